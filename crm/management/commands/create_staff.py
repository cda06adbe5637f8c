from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from crm import services
from crm.models import Role


class Command(BaseCommand):
    help = "Create a staff user (or update its password and role), creating its organization and property."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--password", required=True)
        parser.add_argument("--organization", required=True, help="organization name")
        parser.add_argument("--property", default=None, help="property name (optional)")
        parser.add_argument("--role", required=True, choices=Role.values)

    def handle(self, *args, username, password, organization, property, role, **options):
        try:
            staff = services.staff_upsert(
                username=username, password=password, organization_name=organization, property_name=property, role=role
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        where = f"{staff.organization}" + (f" / {staff.property}" if staff.property else "")
        self.stdout.write(self.style.SUCCESS(f"{username}: {role} at {where}"))
