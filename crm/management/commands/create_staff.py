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
        parser.add_argument("--country", default=None, help="the property's country, two letters (e.g. CN)")
        parser.add_argument("--time-zone", default=None, help="the property's IANA time zone (e.g. Asia/Shanghai)")

    def handle(self, *args, username, password, organization, property, role, country, time_zone, **options):
        try:
            staff = services.staff_upsert(
                username=username,
                password=password,
                organization_name=organization,
                property_name=property,
                role=role,
                country=country,
                time_zone=time_zone,
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                raise CommandError(
                    "; ".join(f"--{name.replace('_', '-')}: {' '.join(e.messages)}" for name, e in _flat(exc))
                ) from exc
            raise CommandError("; ".join(exc.messages)) from exc
        where = f"{staff.organization}" + (f" / {staff.property}" if staff.property else "")
        if staff.property:
            where += f" ({staff.property.country or '—'}, {staff.property.timezone})"
        self.stdout.write(self.style.SUCCESS(f"{username}: {role} at {where}"))


# The model's field names, as the command's options say them.
OPTION_OF_FIELD = {"timezone": "time_zone", "name": "property"}


def _flat(exc: ValidationError):
    for field, errors in exc.error_dict.items():
        yield OPTION_OF_FIELD.get(field, field), ValidationError(errors)
