"""The nightly planner: birthdays, anniversaries, win-backs and pre-arrival notes, per property at its local night.

It runs hourly (celery beat) and plans each property once its local clock has passed PLAN_HOUR:
greetings for the dates in (last planned date, today + window], so a missed night is caught up
by the next run (dates already past are greeted at once, at most CATCH_UP_DAYS late). Idempotency
keys make a re-run a no-op: ``birthday:<customer>:<year>``, ``win_back:<customer>:<last seen>``.

Customers belong to their home property; those without one to their organization's first property.
Selection is one indexed-filter query per property and occasion; rows are inserted with
``bulk_create(ignore_conflicts=True)`` in PLAN_BATCH chunks — no Python pass over the table.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from itertools import batched

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from crm.models import Customer, Property, Stay, StayStatus
from crm.partial_dates import celebrated_on
from personalization.models import PlanningRun, Touch, TouchKind
from personalization.touches import policy

PLAN_HOUR = time(2, 0)
CATCH_UP_DAYS = 3
# Touch rows per INSERT: ~2,000 rows is one round trip of a few hundred kB.
PLAN_BATCH = 2000
# A win-back goes to customers whose absence reached N days in this margin: turning the feature
# on does not mail everyone who left years ago, and a few missed nights are still caught up.
WIN_BACK_MARGIN = timedelta(days=30)


def _occasions(days: list[date]) -> dict[tuple[int, int], date]:
    """The (month, day) dates celebrated on these days, each with its day (crm.partial_dates.celebrated_on)."""
    return {pair: day for day in days for pair in celebrated_on(day)}


def _customers_of(property_: Property) -> Q:
    first = Property.objects.default_of(property_.organization_id)
    mine = Q(home_property=property_)
    if first is not None and first.pk == property_.pk:
        mine |= Q(home_property__isnull=True)
    return (
        Q(organization_id=property_.organization_id, merged_into__isnull=True, do_not_contact=False)
        & mine
        & ~Q(email="")
    )


def _insert(touches: Iterable[Touch]) -> int:
    """Insert the touches PLAN_BATCH at a time (the candidates stream from a server-side cursor);
    an existing idempotency key makes a row a no-op. Returns how many were offered."""
    offered = 0
    for batch in batched(touches, PLAN_BATCH):
        Touch.objects.bulk_create(batch, ignore_conflicts=True)
        offered += len(batch)
    return offered


def _planned(
    property_: Property, customer_id: int, kind: str, due: datetime, key: str, now: datetime, **extra
) -> Touch:
    """A touch the planner offers (an existing key makes it a no-op: see _insert)."""
    return Touch(
        organization_id=property_.organization_id,
        customer_id=customer_id,
        property=property_,
        kind=kind,
        due_at=due,
        idempotency_key=key,
        created_at=now,
        updated_at=now,
        **extra,
    )


def _plan_greetings(property_: Property, kind: str, days: list[date], now: datetime) -> int:
    prefix = "birthday" if kind == TouchKind.BIRTHDAY else "anniversary"
    occasions = _occasions(days)
    match = Q()
    for month, day in occasions:
        match |= Q(**{f"{prefix}_month": month, f"{prefix}_day": day})
    candidates = Customer.objects.filter(_customers_of(property_), match, consent_surprises=True)
    zone = policy.zone_of(property_)
    rows = candidates.values_list("pk", f"{prefix}_month", f"{prefix}_day").iterator(PLAN_BATCH)
    return _insert(
        _planned(
            property_,
            pk,
            kind,
            max(policy.local_at(when, policy.SEND_HOUR, zone), now),
            f"{prefix}:{pk}:{when.year}",
            now,
        )
        for pk, month, day in rows
        for when in [occasions[month, day]]
    )


def _plan_win_back(property_: Property, today: date, now: datetime) -> int:
    threshold = now - timedelta(days=settings.RAPPORT_WIN_BACK_AFTER_DAYS)
    candidates = Customer.objects.filter(
        _customers_of(property_),
        consent_marketing=True,
        last_seen__lt=threshold,
        last_seen__gte=threshold - WIN_BACK_MARGIN,
    )
    zone = policy.zone_of(property_)
    due = max(policy.local_at(today, policy.SEND_HOUR, zone), now)
    return _insert(
        _planned(property_, pk, TouchKind.WIN_BACK, due, f"win_back:{pk}:{last_seen.date().isoformat()}", now)
        for pk, last_seen in candidates.values_list("pk", "last_seen").iterator(PLAN_BATCH)
    )


def _plan_pre_arrival(property_: Property, today: date, now: datetime) -> int:
    """ "Anything we can prepare?" for the stays a PMS told us of, arriving within the property's pre-arrival
    days (off when it has none); a stay pushed late is written to on the next night. Key: ``pre_arrival:<stay>``."""
    days = property_.pre_arrival_days
    if not days:
        return 0
    stays = Stay.objects.filter(
        property=property_,
        status=StayStatus.EXPECTED,
        arrival__gt=today,
        arrival__lte=today + timedelta(days=days),
        customer__merged_into__isnull=True,
        customer__do_not_contact=False,
    ).exclude(customer__email="")
    due = max(policy.local_at(today, policy.SEND_HOUR, policy.zone_of(property_)), now)
    return _insert(
        _planned(property_, customer_id, TouchKind.PRE_ARRIVAL, due, f"pre_arrival:{stay_id}", now, stay_id=stay_id)
        for stay_id, customer_id in stays.values_list("pk", "customer_id").iterator(PLAN_BATCH)
    )


@transaction.atomic
def property_plan(*, property_: Property, now: datetime | None = None, force: bool = False) -> int:
    """Plan one property's greetings, win-backs and pre-arrival notes if its local night has come; returns rows
    offered."""
    now = now or timezone.now()
    zone = policy.zone_of(property_)
    local = now.astimezone(zone)
    today = local.date()
    if not force and local.time() < PLAN_HOUR:
        today -= timedelta(days=1)  # tonight's run has not come yet: yesterday's run is the latest due
    run = PlanningRun.objects.select_for_update().filter(property=property_).first()
    through = today + timedelta(days=settings.RAPPORT_GREETING_WINDOW_DAYS)
    if run is not None and run.planned_through >= through:
        return 0
    # First run: from today. Later: from the day after the last planned one, a few missed days at most.
    start = today if run is None else max(today - timedelta(days=CATCH_UP_DAYS), run.planned_through + timedelta(1))
    days = [start + timedelta(days=n) for n in range((through - start).days + 1)]
    planned = _plan_greetings(property_, TouchKind.BIRTHDAY, days, now)
    planned += _plan_greetings(property_, TouchKind.ANNIVERSARY, days, now)
    planned += _plan_win_back(property_, today, now)
    planned += _plan_pre_arrival(property_, today, now)
    PlanningRun.objects.update_or_create(property=property_, defaults={"planned_through": through, "ran_at": now})
    return planned


def touches_plan(*, now: datetime | None = None) -> int:
    """Plan every property whose night has come (one transaction per property)."""
    return sum(property_plan(property_=p, now=now) for p in Property.objects.order_by("pk"))
