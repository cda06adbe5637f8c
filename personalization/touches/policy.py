"""What each kind of touch needs before it may go out, and the property's local time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from crm.models import Customer, Property
from crm.models.tenancy import zone_named
from personalization.models import TouchKind

# Greetings, thank-yous and win-backs go out at this local time of the property.
SEND_HOUR = time(10, 0)


@dataclass(frozen=True)
class KindPolicy:
    consent: str  # the customer's flag that must be true at send time
    capped: bool  # counts against (and is held back by) the pressure cap
    needs_calm: bool  # not while the customer has an open complaint


POLICIES: dict[str, KindPolicy] = {
    TouchKind.ISSUE_FOLLOW_UP: KindPolicy("consent_service", capped=False, needs_calm=False),
    TouchKind.STAFF_TASK: KindPolicy("consent_service", capped=False, needs_calm=False),
    TouchKind.CSAT_SURVEY: KindPolicy("consent_service", capped=True, needs_calm=False),
    TouchKind.THANK_YOU: KindPolicy("consent_service", capped=True, needs_calm=True),
    TouchKind.BIRTHDAY: KindPolicy("consent_surprises", capped=True, needs_calm=True),
    TouchKind.ANNIVERSARY: KindPolicy("consent_surprises", capped=True, needs_calm=True),
    TouchKind.DELIGHT_NOTICE: KindPolicy("consent_surprises", capped=True, needs_calm=True),
    TouchKind.WIN_BACK: KindPolicy("consent_marketing", capped=True, needs_calm=True),
    TouchKind.PRE_ARRIVAL: KindPolicy("consent_service", capped=True, needs_calm=True),
}
CAPPED_KINDS = tuple(kind for kind, policy in POLICIES.items() if policy.capped)


def zone_of(property_: Property | None) -> ZoneInfo:
    """The property's clock (Property.zone), UTC without a property."""
    return property_.zone() if property_ is not None else zone_named("UTC")


def local_at(day: date, at: time, zone: ZoneInfo) -> datetime:
    """That wall-clock time on that day in zone, as an aware datetime (a DST gap moves it forward)."""
    naive = datetime.combine(day, at)
    aware = naive.replace(tzinfo=zone)
    # A time inside a spring-forward gap does not exist: round-tripping through UTC moves it on.
    return aware.astimezone(ZoneInfo("UTC")).astimezone(zone)


def quiet_hours() -> tuple[time, time]:
    start, end = settings.RAPPORT_QUIET_HOURS.split("-")
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


def quiet_until(now: datetime, zone: ZoneInfo) -> datetime | None:
    """When the quiet hours around now end in zone (e.g. 09:00 local), or None when it is not quiet."""
    start, end = quiet_hours()
    local = now.astimezone(zone)
    clock = local.time()
    if start == end:
        return None
    if start > end:  # over midnight: 21:00-09:00
        if clock >= start:
            return local_at(local.date() + timedelta(days=1), end, zone)
        if clock < end:
            return local_at(local.date(), end, zone)
        return None
    if start <= clock < end:
        return local_at(local.date(), end, zone)
    return None


def default_property(customer: Customer) -> Property | None:
    """The property whose time and sender a customer's touches use: home, else the organization's default."""
    if customer.home_property_id:
        return customer.home_property
    return Property.objects.default_of(customer.organization_id)
