"""Writes of stays: a PMS's idempotent push, and the check-in that counts the visit once (issue 13)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.errors import Conflict
from crm.models import (
    ChangeAction,
    Contact,
    ContactKind,
    Customer,
    EventType,
    ExternalId,
    Organization,
    Property,
    Stay,
)
from crm.models.stays import StayStatus
from crm.services.common import User, assign, created, record
from crm.services.customers import customer_create
from crm.services.history import contact_log
from crm.webhooks import events as webhook_events
from crm.webhooks import services as webhooks

# What a push may write on a stay (API.md "Stays and arrivals").
STAY_FIELDS = ("property", "customer", "arrival", "departure", "room", "party_size", "status", "note")
# A stay in one of these never arrived (or has left): it is not checked in.
NOT_ARRIVING = frozenset({StayStatus.CANCELLED, StayStatus.NO_SHOW, StayStatus.DEPARTED})


def stay_guest(
    *, organization: Organization, guest: dict[str, Any], actor: User | None, property: Property | None
) -> Customer:
    """The guest a push names by one of its external ids, or a new guest made of the push's fields (a PMS
    creating the profile with its first reservation). The existing profile is not changed by a push."""
    for item in guest.get("external_ids") or []:
        known = (
            ExternalId.objects.filter(
                organization=organization, system=item["system"].strip().lower(), value=item["id"].strip()
            )
            .select_related("customer")
            .first()
        )
        if known is not None and known.customer.merged_into_id is None:
            return known.customer
        if known is not None:
            return known.customer.surviving_profile()
    return customer_create(organization=organization, actor=actor, property=property, **guest)


@transaction.atomic
def stay_push(
    *,
    organization: Organization,
    system: str,
    external_id: str,
    actor: User | None = None,
    customer: Customer | None = None,
    guest: dict[str, Any] | None = None,
    **fields: Any,
) -> tuple[Stay, bool]:
    """Create or update the stay a PMS knows as system:external_id (True when created), for customer or the
    guest its fields name (stay_guest); in one transaction, so a refused stay leaves no new guest behind. A push
    that says the guest is in house checks them in (stay_check_in: the visit counts once)."""
    if customer is None:
        if not guest:
            raise ValidationError({"customer": [_("Name the guest: “customer” (an id) or “guest” with external ids.")]})
        customer = stay_guest(organization=organization, guest=guest, actor=actor, property=fields.get("property"))
    fields["customer"] = customer
    stay = (
        Stay.objects.select_for_update()
        .filter(organization=organization, external_system=system, external_id=external_id)
        .first()
    )
    is_new = stay is None
    if is_new:
        stay = Stay(organization=organization, external_system=system, external_id=external_id, **fields)
        changed = created(fields)
    else:
        changed = assign(stay, fields, STAY_FIELDS)
    if stay.property.organization_id != organization.pk or stay.customer.organization_id != organization.pk:
        raise ValidationError({"property": [_("Unknown property.")]})
    if not is_new and not changed:
        return stay, False
    stay.full_clean(validate_constraints=False, validate_unique=False)
    try:
        with transaction.atomic():
            stay.save()
    except IntegrityError as exc:  # the same reservation pushed twice at once: the other push made it
        raise Conflict(_("This stay is being written by another request; send it again.")) from exc
    record(
        organization=organization,
        actor=actor,
        action=ChangeAction.STAY_CREATE if is_new else ChangeAction.STAY_UPDATE,
        target=stay,
        changes=changed,
    )
    if stay.status == StayStatus.IN_HOUSE and stay.arrival_contact_id is None:
        stay_check_in(stay=stay, actor=actor)
    return stay, is_new


@transaction.atomic
def stay_check_in(*, stay: Stay, actor: User | None = None, at: datetime | None = None) -> Stay:
    """The guest of stay has arrived: the stay is in house and its arrival contact is logged — or, when the desk
    logged the arrival already (from the card) on the arrival day, that contact is the one. Checking in twice,
    or after the PMS said so, changes nothing more: the visit is counted once."""
    stay = Stay.objects.select_for_update().select_related("customer", "property").get(pk=stay.pk)
    if stay.arrival_contact_id is not None:
        return stay
    if stay.status in NOT_ARRIVING:
        raise Conflict(
            _("A stay that is %(status)s cannot be checked in.") % {"status": stay.get_status_display().lower()}
        )
    now = at or timezone.now()
    contact = _arrival_logged(stay, now) or contact_log(
        customer=stay.customer, kind=ContactKind.ARRIVAL, actor=actor, property=stay.property, occurred_at=now
    )
    stay.arrival_contact = contact
    stay.status = StayStatus.IN_HOUSE
    stay.checked_in_at = now
    stay.save(update_fields=["arrival_contact", "status", "checked_in_at", "updated_at"])
    record(actor=actor, action=ChangeAction.STAY_CHECK_IN, target=stay, changes={"contact": contact.pk})
    webhooks.webhook_event_record(
        organization_id=stay.organization_id, event_type=EventType.STAY_CHECKED_IN, data=webhook_events.stay_data(stay)
    )
    return stay


def _arrival_logged(stay: Stay, now: datetime) -> Contact | None:
    """An arrival the desk logged for this guest at this property from the start of the arrival day (at the
    property) until now, not yet the arrival of another stay."""
    return (
        Contact.objects.filter(
            customer=stay.customer,
            property=stay.property,
            kind=ContactKind.ARRIVAL,
            occurred_at__gte=local_midnight(stay.arrival, stay.property),
            occurred_at__lte=now,
            stay__isnull=True,
        )
        .order_by("occurred_at")
        .first()
    )


def local_midnight(day: date, property_: Property) -> datetime:
    """The moment day begins at the property."""
    return datetime.combine(day, time.min, tzinfo=property_.zone())
