"""Count the managers' figures again from the raw rows (history logged before the counters existed)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from crm.models import Organization
from personalization.metrics.services.rebuild import metrics_rebuild


class Command(BaseCommand):
    help = (
        "Rebuild the dashboard's day counters of one organization (or all) from the contacts, issues, survey "
        "answers, touches and delights on file. Run once after upgrading to a version with the dashboard; what was "
        "erased since, and reopenings, are not on file and are not counted again."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--organization", type=int, help="Its id (default: every organization).")

    def handle(self, *args, organization: int | None = None, **options) -> None:
        organizations = Organization.objects.order_by("pk")
        if organization is not None:
            organizations = organizations.filter(pk=organization)
            if not organizations.exists():
                raise CommandError(f"No organization {organization}.")
        for each in organizations:
            counted = metrics_rebuild(organization_id=each.pk)
            summary = ", ".join(f"{n} {kind}" for kind, n in sorted(counted.items())) or "nothing on file"
            self.stdout.write(f"{each.name}: {summary}")
