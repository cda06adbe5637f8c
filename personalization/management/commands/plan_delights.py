from django.core.management.base import BaseCommand

from personalization.tasks import plan_delights


class Command(BaseCommand):
    help = "Plan suggested delights now (what the nightly task does): birthdays, anniversaries, absences."

    def handle(self, *args, **options):
        count = plan_delights()
        self.stdout.write(self.style.SUCCESS(f"{count} delights suggested."))
