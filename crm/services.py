"""All writes to the memory. Each service is one transaction, validates with
full_clean() before saving, and leaves an append-only ChangeRecord."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Model
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import phones, signals
from crm.models import (
    SAFETY_CATEGORIES,
    VISIT_KINDS,
    ChangeRecord,
    Contact,
    Customer,
    Issue,
    IssueStatus,
    Organization,
    Preference,
    Property,
    Role,
    Staff,
)

User = AbstractBaseUser

CUSTOMER_FIELDS = frozenset(
    {
        "given_name",
        "family_name",
        "name_order",
        "native_name",
        "latin_name",
        "preferred_name",
        "salutation",
        "pronunciation",
        "pronunciation_ipa",
        "pronunciation_note",
        "language",
        "email",
        "phone",
        "birthday",
        "anniversary",
        "tags",
        "consent_service",
        "consent_marketing",
        "consent_surprises",
        "do_not_contact",
        "home_property",
    }
)
PREFERENCE_FIELDS = frozenset({"category", "text", "key", "value", "polarity", "source", "safety_critical"})
ISSUE_FIELDS = frozenset(
    {
        "summary",
        "detail",
        "severity",
        "status",
        "resolution",
        "compensation",
        "recovery_steps",
        "follow_up",
        "owner",
        "property",
    }
)

# Which status an issue may move to from each status. Reopening is allowed
# from resolved and closed: a guest whose fix did not hold is a new problem.
ISSUE_TRANSITIONS: dict[str, frozenset[str]] = {
    IssueStatus.OPEN: frozenset({IssueStatus.IN_PROGRESS, IssueStatus.RESOLVED, IssueStatus.CLOSED}),
    IssueStatus.IN_PROGRESS: frozenset({IssueStatus.OPEN, IssueStatus.RESOLVED, IssueStatus.CLOSED}),
    IssueStatus.RESOLVED: frozenset({IssueStatus.CLOSED, IssueStatus.OPEN, IssueStatus.IN_PROGRESS}),
    IssueStatus.CLOSED: frozenset({IssueStatus.OPEN}),
}
RESTRICTING_FLAGS = {
    "consent_service": False,
    "consent_marketing": False,
    "consent_surprises": False,
    "do_not_contact": True,
}


def _jsonable(value: Any) -> Any:
    if isinstance(value, Model):
        return value.pk
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    return str(value)


def _record(
    *, organization: Organization, actor: User | None, action: str, target: Model, changes: dict[str, Any] | None = None
) -> None:
    ChangeRecord.objects.create(
        organization=organization,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target_type=target._meta.model_name,
        target_id=target.pk,
        changes={k: _jsonable(v) for k, v in (changes or {}).items()},
    )


def _assign(instance: Model, fields: dict[str, Any], allowed: Iterable[str]) -> dict[str, Any]:
    """Set the given fields on instance; return {field: new value} for those that changed."""
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"not writable here: {', '.join(sorted(unknown))}")
    changed = {}
    for name, value in fields.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed[name] = value
    return changed


def _update_fields(changed: Iterable[str]) -> list[str]:
    fields = set()
    for name in changed:
        if name in ("birthday", "anniversary"):
            fields |= {f"{name}_year", f"{name}_month", f"{name}_day"}
        else:
            fields.add(name)
    return sorted(fields | {"updated_at"})


def _normalize_customer_fields(fields: dict[str, Any], *, organization: Organization) -> dict[str, Any]:
    fields = dict(fields)
    if "phone" in fields:
        try:
            fields["phone"] = phones.to_e164(fields["phone"] or "")
        except ValidationError as exc:
            raise ValidationError({"phone": exc.messages}) from exc
    if "email" in fields:
        fields["email"] = (fields["email"] or "").strip()
    if "language" in fields:
        fields["language"] = (fields["language"] or "en").strip().lower()
    if "tags" in fields:
        fields["tags"] = list(dict.fromkeys(t.strip() for t in fields["tags"] if t and t.strip()))
    home = fields.get("home_property")
    if home is not None and home.organization_id != organization.pk:
        raise ValidationError({"home_property": [_("Unknown property.")]})
    return fields


@transaction.atomic
def customer_create(*, organization: Organization, actor: User | None = None, **fields: Any) -> Customer:
    """Create a customer in organization from validated fields (see CUSTOMER_FIELDS)."""
    fields = _normalize_customer_fields(fields, organization=organization)
    customer = Customer(organization=organization)
    _assign(customer, fields, CUSTOMER_FIELDS)
    customer.full_clean()
    customer.save()
    _record(organization=organization, actor=actor, action="customer.create", target=customer, changes=fields)
    return customer


@transaction.atomic
def customer_update(*, customer: Customer, actor: User | None = None, **fields: Any) -> Customer:
    """Change some of a customer's fields; withdrawing consent announces it so pending touches stop."""
    fields = _normalize_customer_fields(fields, organization=customer.organization)
    changed = _assign(customer, fields, CUSTOMER_FIELDS)
    if not changed:
        return customer
    customer.full_clean()
    customer.save(update_fields=_update_fields(changed))
    _record(organization=customer.organization, actor=actor, action="customer.update", target=customer, changes=changed)
    if any(name in changed and changed[name] == value for name, value in RESTRICTING_FLAGS.items()):
        signals.customer_contact_restricted.send(sender=Customer, customer=customer, actor=actor)
    return customer


@transaction.atomic
def customer_erase(*, customer: Customer, actor: User | None = None) -> None:
    """Erase a customer and everything remembered about them; the change record keeps only the id."""
    signals.customer_erasing.send(sender=Customer, customer=customer, actor=actor)
    _record(organization=customer.organization, actor=actor, action="customer.erase", target=customer)
    customer.delete()


@transaction.atomic
def preference_record(
    *, customer: Customer, actor: User | None = None, property: Property | None = None, **fields: Any
) -> Preference:
    """Remember a preference; allergy and dietary ones are safety-critical unless said otherwise."""
    preference = Preference(
        customer=customer,
        recorded_by=_user_or_none(actor),
        recorded_at_property=property,
        last_confirmed_at=timezone.now(),
    )
    _assign(preference, fields, PREFERENCE_FIELDS)
    if "safety_critical" not in fields:
        preference.safety_critical = preference.category in SAFETY_CATEGORIES
    preference.full_clean()
    preference.save()
    _record(
        organization=customer.organization, actor=actor, action="preference.record", target=preference, changes=fields
    )
    return preference


@transaction.atomic
def preference_update(*, preference: Preference, actor: User | None = None, **fields: Any) -> Preference:
    changed = _assign(preference, fields, PREFERENCE_FIELDS)
    if not changed:
        return preference
    preference.full_clean()
    preference.save(update_fields=_update_fields(changed))
    _record(
        organization=preference.customer.organization,
        actor=actor,
        action="preference.update",
        target=preference,
        changes=changed,
    )
    return preference


@transaction.atomic
def preference_confirm(*, preference: Preference, actor: User | None = None) -> Preference:
    """The customer (or staff) confirmed it is still true: count it and reset its age."""
    now = timezone.now()
    Preference.objects.filter(pk=preference.pk).update(
        times_confirmed=F("times_confirmed") + 1, last_confirmed_at=now, updated_at=now
    )
    preference.refresh_from_db(fields=["times_confirmed", "last_confirmed_at", "updated_at"])
    _record(organization=preference.customer.organization, actor=actor, action="preference.confirm", target=preference)
    return preference


@transaction.atomic
def preference_delete(*, preference: Preference, actor: User | None = None) -> None:
    _record(
        organization=preference.customer.organization,
        actor=actor,
        action="preference.delete",
        target=preference,
        changes={"text": preference.text, "category": preference.category},
    )
    preference.delete()


@transaction.atomic
def issue_open(
    *,
    customer: Customer,
    actor: User | None = None,
    property: Property | None = None,
    opened_at: datetime | None = None,
    **fields: Any,
) -> Issue:
    """Record what went wrong; an issue may be created already in progress or resolved."""
    status = fields.pop("status", IssueStatus.OPEN)
    issue = Issue(
        customer=customer, property=property, owner=_user_or_none(actor), opened_at=opened_at or timezone.now()
    )
    _assign(issue, fields, ISSUE_FIELDS)
    issue.full_clean(exclude=["status"])
    issue.save()
    _record(organization=customer.organization, actor=actor, action="issue.open", target=issue, changes=fields)
    if status != IssueStatus.OPEN:
        issue_update(issue=issue, actor=actor, status=status)
    return issue


@transaction.atomic
def issue_update(*, issue: Issue, actor: User | None = None, **fields: Any) -> Issue:
    """Change an issue; a status change follows ISSUE_TRANSITIONS and stamps its times."""
    old_status = issue.status
    changed = _assign(issue, fields, ISSUE_FIELDS)
    if not changed:
        return issue
    new_status = issue.status
    if new_status != old_status:
        _apply_transition(issue, old_status, new_status)
        changed.update(status=new_status)
    issue.full_clean()
    issue.save(update_fields=_update_fields(set(changed) | {"first_response_at", "resolved_at", "closed_at"}))
    _record(organization=issue.customer.organization, actor=actor, action="issue.update", target=issue, changes=changed)
    if new_status != old_status:
        if new_status == IssueStatus.RESOLVED:
            signals.issue_resolved.send(sender=Issue, issue=issue, actor=actor)
        elif old_status in (IssueStatus.RESOLVED, IssueStatus.CLOSED):
            signals.issue_reopened.send(sender=Issue, issue=issue, actor=actor)
    return issue


def _apply_transition(issue: Issue, old: str, new: str) -> None:
    if new not in ISSUE_TRANSITIONS[old]:
        raise ValidationError(
            {"status": [_("An issue cannot move from %(old)s to %(new)s.") % {"old": old, "new": new}]}
        )
    now = timezone.now()
    if new == IssueStatus.RESOLVED and not issue.resolution.strip():
        raise ValidationError({"resolution": [_("A resolution is required to resolve an issue.")]})
    if new != IssueStatus.OPEN and issue.first_response_at is None:
        issue.first_response_at = now
    if new == IssueStatus.RESOLVED:
        issue.resolved_at = now
        issue.closed_at = None
    elif new == IssueStatus.CLOSED:
        issue.closed_at = now
    else:  # open or in progress again
        issue.resolved_at = None
        issue.closed_at = None


@transaction.atomic
def contact_log(
    *,
    customer: Customer,
    kind: str,
    actor: User | None = None,
    property: Property | None = None,
    occurred_at: datetime | None = None,
    note: str = "",
    greeted_by_name: bool = False,
    preference_honored: bool = False,
    delight_delivered: bool = False,
    brief_shown: dict | None = None,
) -> Contact:
    """Log an interaction and keep the customer's visit count and first/last seen in step."""
    contact = Contact(
        customer=customer,
        kind=kind,
        staff=_user_or_none(actor),
        property=property,
        occurred_at=occurred_at or timezone.now(),
        note=note,
        greeted_by_name=greeted_by_name,
        preference_honored=preference_honored,
        delight_delivered=delight_delivered,
        brief_shown=brief_shown,
    )
    contact.full_clean(exclude=["customer"])
    # Lock the customer row: two desks logging at once must both count.
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    contact.save()
    if kind in VISIT_KINDS:
        locked.visit_count += 1
    when = contact.occurred_at
    locked.first_seen = min(locked.first_seen, when) if locked.first_seen else when
    locked.last_seen = max(locked.last_seen, when) if locked.last_seen else when
    locked.save(update_fields=["visit_count", "first_seen", "last_seen", "updated_at"])
    customer.visit_count, customer.first_seen, customer.last_seen = (
        locked.visit_count,
        locked.first_seen,
        locked.last_seen,
    )
    _record(
        organization=customer.organization, actor=actor, action="contact.log", target=contact, changes={"kind": kind}
    )
    signals.contact_logged.send(sender=Contact, contact=contact, actor=actor)
    return contact


def _user_or_none(actor: User | None) -> User | None:
    return actor if actor is not None and actor.is_authenticated else None


MANAGER_GROUP = "Rapport managers"


def _manager_group():
    """The admin-site permissions of managers and admins: everything in the memory but its history."""
    from django.contrib.auth.models import Group, Permission

    group, created = Group.objects.get_or_create(name=MANAGER_GROUP)
    if created:
        group.permissions.set(
            Permission.objects.filter(
                content_type__app_label__in=["crm", "personalization", "django_celery_beat"]
            ).exclude(
                codename__in=[
                    "add_organization",
                    "delete_organization",
                    "add_changerecord",
                    "change_changerecord",
                    "delete_changerecord",
                ]
            )
        )
    return group


@transaction.atomic
def staff_upsert(
    *, username: str, password: str, organization_name: str, property_name: str | None, role: str
) -> Staff:
    """Create (or update the password and role of) a staff user, creating the organization and property.

    Password strength is the operator's call here (the command warns); the screens' password change
    applies the validators."""
    from django.contrib.auth import get_user_model

    organization, _created = Organization.objects.get_or_create(name=organization_name)
    property = None
    if property_name:
        property, _created = Property.objects.get_or_create(organization=organization, name=property_name)
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first() or user_model(username=username)
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
    group = _manager_group()
    if user.is_staff:
        user.groups.add(group)
    else:
        user.groups.remove(group)
    return staff
