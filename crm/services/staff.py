"""Staff accounts: users placed in an organization with a role."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from crm.models import (
    Organization,
    Property,
    Role,
    Staff,
)

MANAGER_GROUP = "Rapport managers"


# What managers may not do in the admin: create or remove organizations, touch the history or the access audit. The
# schedules of Celery beat (django_celery_beat) are not an organization's: they run every organization's
# follow-ups, so they belong to the operator (superuser) alone.
MANAGER_APPS = ("crm", "personalization")
NOT_FOR_MANAGERS = (
    "add_organization",
    "delete_organization",
    "add_changerecord",
    "change_changerecord",
    "delete_changerecord",
    "add_accessrecord",
    "change_accessrecord",
    "delete_accessrecord",
)


def manager_group():
    """The admin-site permissions of managers and admins: everything in the memory but its history, and
    nothing of the schedules; brought up to date each time (a group made by an earlier version)."""
    from django.contrib.auth.models import Group, Permission

    group, _created = Group.objects.get_or_create(name=MANAGER_GROUP)
    group.permissions.set(
        Permission.objects.filter(content_type__app_label__in=MANAGER_APPS).exclude(codename__in=NOT_FOR_MANAGERS)
    )
    return group


@transaction.atomic
def staff_upsert(
    *,
    username: str,
    password: str,
    organization_name: str,
    property_name: str | None,
    role: str,
    country: str | None = None,
    time_zone: str | None = None,
) -> Staff:
    """Create (or update the password and role of) a staff user, creating the organization and property;
    country and time_zone, when given, are set on the property (created or not; refused when unknown).

    The password must pass Django's validators (AUTH_PASSWORD_VALIDATORS: length, common passwords, not
    like the username): ValidationError({"password": [...]}) otherwise, and nothing is written."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password

    if (country or time_zone) and not property_name:
        raise ValidationError({"property": [_("A country or time zone belongs to a property: name the property.")]})
    organization, _created = Organization.objects.get_or_create(name=organization_name)
    property = None
    if property_name:
        property = Property.objects.filter(organization=organization, name=property_name).first()
        property = property or Property(organization=organization, name=property_name)
        if country is not None:
            property.country = country.strip().upper()
        if time_zone is not None:
            property.timezone = time_zone.strip()
        property.full_clean()
        property.save()
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first() or user_model(username=username)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    user.is_staff = role in (Role.MANAGER, Role.ADMIN)
    user.save()
    staff = Staff.objects.filter(user=user).first()
    if staff is not None and staff.organization_id != organization.pk:
        raise ValidationError({"organization": [_("This user already belongs to another organization.")]})
    staff = staff or Staff(user=user, organization=organization)
    staff.property = property or staff.property
    staff.role = role
    staff.full_clean()
    staff.save()
    group = manager_group()
    if user.is_staff:
        user.groups.add(group)
    else:
        user.groups.remove(group)
    return staff
