"""The day counters (MetricDay): each event adds to its day's rows, in the event's own transaction — its place
and member of staff, its place for all staff, the organization (`places`) —, the local day read in the place's zone
(`Zones`); a guest's guest-days worked out from their contacts (`guest_days`) and their change after a merge."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction

from crm.models import Contact, Property
from crm.models.tenancy import zone_named
from personalization.metrics import events
from personalization.models.metrics import ALL, COUNTERS, NONE, MetricDay, MetricsPendingContact

DAY_COLUMNS = frozenset(COUNTERS) | {"delight_cost"}


class Zones:
    """The time zone of each of an organization's properties (and of "no property": the default property's). The
    zones already at hand are given; the organization's properties are read (once) only when another is asked."""

    def __init__(self, organization_id: int, known: dict[int, ZoneInfo] | None = None) -> None:
        self._organization_id = organization_id
        self._zones = dict(known or {})
        self._default: ZoneInfo | None = None

    def know(self, zones: dict[int, ZoneInfo]) -> None:
        self._zones.update(zones)

    def _load(self) -> None:
        rows = list(
            Property.objects.filter(organization_id=self._organization_id).order_by("pk").values_list("pk", "timezone")
        )
        self._zones.update({pk: zone_named(name) for pk, name in rows})
        self._default = zone_named(rows[0][1]) if rows else ZoneInfo("UTC")

    def of(self, property_id: int | None) -> ZoneInfo:
        if property_id and property_id in self._zones:
            return self._zones[property_id]
        if self._default is None:
            self._load()
        return self._zones.get(property_id, self._default) if property_id else self._default


def staff_id_of(actor: Any) -> int | None:
    """The member of staff an event is counted for: the signed-in actor, else nobody."""
    return actor.pk if actor is not None and getattr(actor, "is_authenticated", False) else None


def places(property_id: int | None, staff_id: int | None) -> list[tuple[int, int]]:
    """The three rows an event adds to: its place and staff, its place for all staff, everything."""
    place = property_id or NONE
    return sorted({(place, staff_id or NONE), (place, ALL), (ALL, ALL)})


def upsert(table: str, keys: list[str], rows: list[tuple], columns: list[str]) -> None:
    """INSERT … ON CONFLICT DO UPDATE adding each column (PostgreSQL and SQLite ≥ 3.24 both speak it). Rows in key
    order: two transactions adding to the same rows lock them in the same order."""
    if not rows:
        return
    rows = sorted(rows)
    names = keys + columns
    # PostgreSQL takes at most 65,535 parameters a statement, SQLite 32,766.
    per_statement = max(1, 30_000 // len(names))
    if len(rows) > per_statement:
        for start in range(0, len(rows), per_statement):
            upsert(table, keys, rows[start : start + per_statement], columns)
        return
    values = ", ".join(["(" + ", ".join(["%s"] * len(names)) + ")"] * len(rows))
    updates = ", ".join(f"{column} = {table}.{column} + excluded.{column}" for column in columns)
    # The table and column names are ours (DAY_COLUMNS); every value is a parameter.
    sql = (
        f"INSERT INTO {table} ({', '.join(names)}) VALUES {values} "  # noqa: S608
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for row in rows for value in row])


@transaction.atomic(savepoint=False)
def metrics_count(
    *,
    organization_id: int,
    property_id: int | None,
    staff_id: int | None,
    at: datetime | date,
    zone: ZoneInfo | None = None,
    **counters: int | Decimal,
) -> None:
    """Add counters (names of MetricDay's columns) to the day of `at` where it happened (in the zone given, else
    the property's: Zones), for its staff member."""
    metrics_count_events(organization_id=organization_id, happened=[(property_id, staff_id, at, counters)], zone=zone)


@transaction.atomic(savepoint=False)
def metrics_count_events(
    *,
    organization_id: int,
    happened: Iterable[tuple[int | None, int | None, datetime | date, dict[str, int | Decimal]]],
    zone: ZoneInfo | None = None,
) -> None:
    """Several events of one organization, each (property id, staff id, when, counters), in one statement. `when`
    is a moment, or the local day itself when the caller knows it (the brief: no zone to read)."""
    zones = Zones(organization_id)
    rows: dict[tuple[int, int, date], Counter] = {}
    for property_id, staff_id, at, counters in happened:
        add_event(rows, property_id, staff_id, at if zone is None else at.astimezone(zone).date(), counters, zones)
    write_days(organization_id, rows)


def add_event(
    rows: dict, property_id: int | None, staff_id: int | None, at: datetime | date, counters: dict, zones: Zones
) -> None:
    unknown = set(counters) - DAY_COLUMNS
    if unknown:
        raise ValueError(f"unknown counters: {sorted(unknown)}")
    day = at.astimezone(zones.of(property_id)).date() if isinstance(at, datetime) else at
    for place, staff in places(property_id, staff_id):
        rows.setdefault((place, staff, day), Counter()).update(counters)


def write_days(organization_id: int, rows: dict[tuple[int, int, date], Counter]) -> None:
    columns = sorted({name for counts in rows.values() for name, value in counts.items() if value})
    if not columns:
        return
    values = [(organization_id, *key, *(counts[c] for c in columns)) for key, counts in rows.items()]
    upsert(MetricDay._meta.db_table, ["organization_id", "property_key", "staff_key", "day"], values, columns)


def guest_days(contacts: Iterable[tuple[int | None, datetime]], zones: Zones) -> Counter:
    """One guest's guest-days from their contacts ((property id, when)): {(place, day, counter): n} with
    counter guest_days or returning_guest_days (figures.returning_guest_rate says what they mean). Each place's
    day is read in that place's zone; the organization's (ALL) in the zone of the day's first contact."""
    contacts = sorted(contacts, key=lambda contact: contact[1])
    counts: Counter = Counter()
    if not contacts:
        return counts
    first_at = contacts[0][1]
    seen: set[tuple[int, date]] = set()
    for property_id, at in contacts:
        zone = zones.of(property_id)
        day = at.astimezone(zone).date()
        for place in (property_id or NONE, ALL):
            if (place, day) in seen:
                continue
            seen.add((place, day))
            counts[(place, day, "guest_days")] += 1
            if first_at.astimezone(zone).date() < day:
                counts[(place, day, "returning_guest_days")] += 1
    return counts


def add_guest_days(rows: dict, before: Counter, after: Counter) -> None:
    """The change between two sets of guest-days, on the rows of all staff."""
    delta = Counter(after)
    delta.subtract(before)
    for (place, day, counter), n in delta.items():
        if n:
            rows.setdefault((place, ALL, day), Counter())[counter] += n


@transaction.atomic(savepoint=False)
def metrics_guest_days_changed(*, organization_id: int, before: Counter, after: Counter) -> None:
    """Apply the change between two sets of guest-days (guest_days of two profiles' contacts before and after a
    merge or its undo) to the rows of all staff."""
    rows: dict[tuple[int, int, date], Counter] = {}
    add_guest_days(rows, before, after)
    write_days(organization_id, rows)


def contacts_of(
    customer_id: int, *, exclude: Iterable[int] = (), only: Iterable[int] | None = None, counted: bool = False
) -> list:
    """(property id, when) of a customer's contacts, some left out or only some; `counted`: only those already in
    the day counters (not pending: MetricsPendingContact)."""
    rows = Contact.objects.filter(customer_id=customer_id)
    if counted:
        rows = MetricsPendingContact.counted(rows)
    if only is not None:
        rows = rows.filter(pk__in=list(only))
    return list(rows.exclude(pk__in=list(exclude)).values_list("property_id", "occurred_at"))


def metrics_touches_finished(touches: Iterable, *, status: str, at: datetime, reason: str = "") -> None:
    """Count touches leaving the outbox (events.touch_counters) on the day of `at` at each touch's property; a
    task done counts for who did it."""
    counted: dict[int, list] = {}
    for touch in touches:
        staff_id = touch.done_by_id if status == "done" else None
        counters = events.touch_counters(status=status, kind=touch.kind, reason=reason)
        counted.setdefault(touch.organization_id, []).append((touch.property_id, staff_id, at, counters))
    for organization_id, happened in counted.items():
        metrics_count_events(organization_id=organization_id, happened=happened)
