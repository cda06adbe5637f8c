from django.core.management.base import BaseCommand

from crm.lookup.terms import reindex
from crm.models import Customer


class Command(BaseCommand):
    help = (
        "Recompute every customer's search terms, pinyin and folded search name (after changing the lookup "
        "code or its data files: nicknames, surname readings)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--organization", help="only this organization (by name)")

    def handle(self, *args, organization=None, **options):
        customers = Customer.objects.order_by("pk")
        if organization:
            customers = customers.filter(organization__name=organization)
        count = reindex(customers.iterator(chunk_size=2000))
        self.stdout.write(self.style.SUCCESS(f"Re-indexed {count} customers."))
