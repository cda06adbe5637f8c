"""The writes of the figures: each event adds to its day's counters, in the event's own transaction.

Called by personalization's services (touches, feedback, delights) and, for crm's events, by the receivers of
crm's signals (personalization.metrics.receivers): a counter is written with what it counts or not at all.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction

from crm.models import Contact, Issue, IssueStatus, Property
from crm.models.tenancy import zone_named
from personalization.metrics import events
from personalization.metrics.figures import bucket_of, coarse_counts, coarse_of, flattened, grouped, quantile_buckets
from personalization.models import Delight, Feedback, Touch
from personalization.models.metrics import ALL, COUNTERS, NONE, Measure, MetricDay, MetricDuration, Span

DAY_COLUMNS = frozenset(COUNTERS) | {"delight_cost"}
DURATION_KEYS = ["organization_id", "property_key", "staff_key", "span", "day", "measure"]


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


def _places(property_id: int | None, staff_id: int | None) -> list[tuple[int, int]]:
    """The three rows an event adds to: its place and staff, its place for all staff, everything."""
    place = property_id or NONE
    return sorted({(place, staff_id or NONE), (place, ALL), (ALL, ALL)})


def _upsert(table: str, keys: list[str], rows: list[tuple], columns: list[str]) -> None:
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
            _upsert(table, keys, rows[start : start + per_statement], columns)
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
        _add_event(rows, property_id, staff_id, at if zone is None else at.astimezone(zone).date(), counters, zones)
    _write_days(organization_id, rows)


def _add_event(
    rows: dict, property_id: int | None, staff_id: int | None, at: datetime | date, counters: dict, zones: Zones
) -> None:
    unknown = set(counters) - DAY_COLUMNS
    if unknown:
        raise ValueError(f"unknown counters: {sorted(unknown)}")
    day = at.astimezone(zones.of(property_id)).date() if isinstance(at, datetime) else at
    for place, staff in _places(property_id, staff_id):
        rows.setdefault((place, staff, day), Counter()).update(counters)


def _write_days(organization_id: int, rows: dict[tuple[int, int, date], Counter]) -> None:
    columns = sorted({name for counts in rows.values() for name, value in counts.items() if value})
    if not columns:
        return
    values = [(organization_id, *key, *(counts[c] for c in columns)) for key, counts in rows.items()]
    _upsert(MetricDay._meta.db_table, ["organization_id", "property_key", "staff_key", "day"], values, columns)


@transaction.atomic(savepoint=False)
def metrics_contact_logged(*, contact: Contact) -> None:
    """A contact counted on its day, with the change it makes to the guest's guest-days (a contact logged late
    for an earlier day may make a later day "returning": it was the guest's first).

    Kept on the contact's path, in its transaction, rather than by a periodic task: a count never waits, and an
    erasure or a merge right after a contact finds it counted. On PostgreSQL it is one statement
    (_CONTACT_SQL: the read of the contacts it may change and the upsert of the day rows; bench/run metrics: two
    round trips were ~3 ms of a contact's POST at load 5); elsewhere a read, guest_days in Python, an upsert."""
    if connection.vendor == "postgresql":
        _contact_counted_in_sql(contact)
        return
    organization_id = contact.customer.organization_id
    known = {contact.property_id: contact.property.zone()} if contact.property_id else {}
    zones = Zones(organization_id, known)
    rows: dict[tuple[int, int, date], Counter] = {}
    counters = events.contact_counters(
        greeted_by_name=contact.greeted_by_name,
        preference_honored=contact.preference_honored,
        delight_delivered=contact.delight_delivered,
    )
    _add_event(rows, contact.property_id, contact.staff_id, contact.occurred_at, counters, zones)
    before = _contacts_it_may_change(contact, zones)
    _add_guest_days(
        rows, guest_days(before, zones), guest_days([*before, (contact.property_id, contact.occurred_at)], zones)
    )
    _write_days(organization_id, rows)


# A local day lasts at most 25 hours and zones lie from 12 hours behind UTC to 14 ahead: the contacts that share a
# local day with a contact, in any zone, lie within 51 hours of it.
SAME_DAY_REACH = timedelta(hours=52)


# The guest's other contacts a new one may change (_contacts_it_may_change), as a condition on crm_contact c.
_NEAR_WHERE = """c.customer_id = %(customer)s AND c.id <> %(contact)s AND (
    c.occurred_at BETWEEN %(from)s AND %(to)s
    OR c.occurred_at <= {first_plus_reach}
)"""
_NEAR_SQL = (
    "SELECT c.property_id, c.occurred_at, p.timezone"  # noqa: S608 (our SQL; every value is a parameter)
    " FROM crm_contact c LEFT JOIN crm_property p ON p.id = c.property_id WHERE " + _NEAR_WHERE
)
_FIRST = (
    "(SELECT f.occurred_at FROM crm_contact f"
    " WHERE f.customer_id = %(customer)s AND f.id <> %(contact)s ORDER BY f.occurred_at LIMIT 1)"
)


def _first_plus_reach() -> str:
    """SQL of the moment SAME_DAY_REACH after the guest's first other contact (_FIRST)."""
    hours = int(SAME_DAY_REACH.total_seconds() // 3600)
    if connection.vendor == "postgresql":
        return f"{_FIRST} + interval '{hours} hours'"
    return f"datetime({_FIRST}, '+{hours} hours')"  # SQLite keeps datetimes as text in UTC


def _contacts_it_may_change(contact: Contact, zones: Zones) -> list[tuple[int | None, datetime]]:
    """The guest's other contacts whose guest-days a new contact may change: those sharing a local day with it,
    and those sharing one with the guest's first contact (which becomes a return when the new one is earlier).
    The guest-days of the others are the same before and after, so their difference needs only these — a regular
    with hundreds of contacts reads a handful — in one statement (the index of a customer's contacts by time),
    with their properties' zones (told to `zones`). Plain SQL: building it with the ORM cost more than running it."""
    at, adapt = contact.occurred_at, connection.ops.adapt_datetimefield_value
    params = {
        "customer": contact.customer_id,
        "contact": contact.pk,
        "from": adapt(at - SAME_DAY_REACH),
        "to": adapt(at + SAME_DAY_REACH),
    }
    with connection.cursor() as cursor:
        cursor.execute(_NEAR_SQL.format(first_plus_reach=_first_plus_reach()), params)
        rows = cursor.fetchall()
    zones.know({property_id: zone_named(name) for property_id, _at, name in rows if property_id})
    return [(property_id, _aware(occurred_at)) for property_id, occurred_at, _name in rows]


# metrics_contact_logged in one statement on PostgreSQL: the contacts _contacts_it_may_change reads (the same
# conditions, _NEAR_SQL) with each one's zone, and guest_days of them before and after the new contact, worked out
# by the database — each (place, local day) claimed by its earliest contact, returning when the guest's first
# contact fell on an earlier local day in the claimer's zone —, their difference added with the contact's own
# counters. The zones are the properties' names as stored (validated against the IANA names, which PostgreSQL
# reads like Django's own date functions with a tzinfo); no property: the organization's first property's.
# test_guest_days_logged_in_any_order_across_zones_equal_a_count_from_scratch holds it to guest_days.
_CONTACT_SQL = """INSERT INTO {table} (organization_id, property_key, staff_key, day, {own}, guest_days,
    returning_guest_days)
WITH fallback AS (
    SELECT COALESCE((SELECT NULLIF(f.timezone, '') FROM crm_property f WHERE f.organization_id = %(organization)s
                     ORDER BY f.id LIMIT 1), 'UTC') AS tz
), near AS (
    SELECT c.property_id, c.occurred_at, COALESCE(NULLIF(p.timezone, ''), fallback.tz) AS tz, 0 AS new
    FROM crm_contact c LEFT JOIN crm_property p ON p.id = c.property_id CROSS JOIN fallback
    WHERE {near}
), this AS (
    SELECT CAST(%(property)s AS bigint) AS property_id, CAST(%(at)s AS timestamptz) AS occurred_at,
        COALESCE((SELECT NULLIF(p.timezone, '') FROM crm_property p WHERE p.id = %(property)s), fallback.tz) AS tz,
        1 AS new
    FROM fallback
), sides AS (
    SELECT 0 AS side, * FROM near UNION ALL SELECT 1, * FROM near UNION ALL SELECT 1, * FROM this
), visits AS (
    SELECT side, COALESCE(property_id, {none}) AS place, occurred_at, tz, new, property_id,
        CAST(occurred_at AT TIME ZONE tz AS date) AS day, MIN(occurred_at) OVER (PARTITION BY side) AS first_at
    FROM sides
), claimed AS (
    SELECT DISTINCT ON (side, place, day) side, place, day, tz, first_at
    FROM (SELECT * FROM visits UNION ALL SELECT side, {all}, occurred_at, tz, new, property_id, day, first_at
          FROM visits) AS keyed
    ORDER BY side, place, day, occurred_at, new, property_id NULLS FIRST, tz
), changed AS (
    SELECT place, day, SUM(2 * side - 1) AS guest_days,
        SUM(CASE WHEN CAST(first_at AT TIME ZONE tz AS date) < day THEN 2 * side - 1 ELSE 0 END) AS returns
    FROM claimed GROUP BY place, day
), counted ({own}, place, staff) AS (VALUES {places})
SELECT %(organization)s, place, staff, day, {own_sums}, SUM(guest_days), SUM(returns)
FROM (
    SELECT counted.place, counted.staff, CAST(this.occurred_at AT TIME ZONE this.tz AS date) AS day, {own_columns},
        0 AS guest_days, 0 AS returns
    FROM counted CROSS JOIN this
    UNION ALL
    SELECT place, {all}, day, {own_zeros}, guest_days, returns FROM changed WHERE guest_days <> 0 OR returns <> 0
) AS added
GROUP BY place, staff, day ORDER BY place, staff, day
ON CONFLICT (organization_id, property_key, staff_key, day) DO UPDATE SET {updates}
"""


def _contact_counted_in_sql(contact: Contact) -> None:
    """metrics_contact_logged on PostgreSQL: _CONTACT_SQL."""
    table = MetricDay._meta.db_table
    counters = events.contact_counters(
        greeted_by_name=contact.greeted_by_name,
        preference_honored=contact.preference_honored,
        delight_delivered=contact.delight_delivered,
    )
    own = list(counters)
    # The contact's own counters on its three rows (_places), as named parameters like the statement's others.
    values: dict[str, int] = {}
    rows = []
    for n, (place, staff) in enumerate(_places(contact.property_id, contact.staff_id)):
        row = {f"r{n}_{i}": value for i, value in enumerate([*(counters[name] for name in own), place, staff])}
        values |= row
        rows.append("(" + ", ".join(f"%({name})s" for name in row) + ")")
    sql = _CONTACT_SQL.format(
        table=table,
        own=", ".join(own),
        near=_NEAR_WHERE.format(first_plus_reach=_first_plus_reach()),
        none=NONE,
        all=ALL,
        places=", ".join(rows),
        own_sums=", ".join(f"SUM({name})" for name in own),
        own_columns=", ".join(f"counted.{name}" for name in own),
        own_zeros=", ".join(f"0 AS {name}" for name in own),
        updates=", ".join(
            f"{name} = {table}.{name} + excluded.{name}" for name in [*own, "guest_days", "returning_guest_days"]
        ),
    )
    at, adapt = contact.occurred_at, connection.ops.adapt_datetimefield_value
    params = {
        "organization": contact.customer.organization_id,
        "customer": contact.customer_id,
        "contact": contact.pk,
        "property": contact.property_id,
        "at": adapt(at),
        "from": adapt(at - SAME_DAY_REACH),
        "to": adapt(at + SAME_DAY_REACH),
        **values,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _aware(value: datetime | str) -> datetime:
    """A datetime as SQLite's plain SQL answers it (UTC text or naive) or PostgreSQL's (aware)."""
    value = datetime.fromisoformat(value) if isinstance(value, str) else value
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@transaction.atomic(savepoint=False)
def metrics_duration(
    *,
    organization_id: int,
    property_id: int | None,
    staff_id: int | None,
    at: datetime,
    measure: Measure,
    seconds: float,
) -> None:
    """Count one duration (a first response, a resolution) in the day, the week and the month it ended."""
    day = at.astimezone(Zones(organization_id).of(property_id)).date()
    rows = [
        (organization_id, place, staff, span, start, str(measure))
        for place, staff in _places(property_id, staff_id)
        for span, start in spans_of(day)
    ]
    _histograms_add(sorted(rows), bucket_of(seconds))


def _histograms_add(keys: list[tuple], bucket: int) -> None:
    """One more duration in this bucket of each histogram (MetricDuration, keys in DURATION_KEYS order, sorted: two
    transactions lock the rows in the same order), created when missing: one INSERT … ON CONFLICT DO UPDATE whose
    update adds 1 to the bucket's count inside its coarse bucket's object (jsonb_set on PostgreSQL, json_set on
    SQLite); then each histogram's summaries (its quantiles' buckets and its coarse counts) computed again from what
    it now holds, so a duration that lands late in a span long closed changes that span's quantiles too."""
    table = MetricDuration._meta.db_table
    coarse, fine = str(coarse_of(bucket)), str(bucket)
    if connection.vendor == "postgresql":
        added = (
            f"jsonb_set({table}.counts, ARRAY[%s], jsonb_set(COALESCE({table}.counts -> %s, '{{}}'), ARRAY[%s],"
            f" to_jsonb(COALESCE(({table}.counts #>> ARRAY[%s, %s])::int, 0) + 1)))"
        )
        added_params = [coarse, coarse, fine, coarse, fine]
    else:  # json_set makes the coarse bucket's object when it is missing
        added = f"json_set({table}.counts, %s, COALESCE(json_extract({table}.counts, %s), 0) + 1)"
        added_params = [f'$."{coarse}"."{fine}"'] * 2
    columns = [*DURATION_KEYS, "counts", "median_bucket", "p90_bucket", "coarse"]
    values = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(keys))
    # The table and column names are ours; every value is a parameter.
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values} "  # noqa: S608
        f"ON CONFLICT ({', '.join(DURATION_KEYS)}) DO UPDATE SET counts = {added} RETURNING id, counts"
    )
    _pk, median, p90, summed = _summary(0, {coarse: {fine: 1}})
    new = (json.dumps({coarse: {fine: 1}}), median, p90, json.dumps(summed))  # a histogram's first duration
    params = [value for key in keys for value in (*key, *new)] + added_params
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        # The rows stay locked by this transaction until it ends: what it read back is what it summarizes.
        summaries = [_summary(pk, counts) for pk, counts in cursor.fetchall()]
        cursor.executemany(
            f"UPDATE {table} SET median_bucket = %s, p90_bucket = %s, coarse = %s WHERE id = %s",  # noqa: S608
            [(median, p90, json.dumps(summed), pk) for pk, median, p90, summed in sorted(summaries)],
        )


def _summary(pk: int, counts: dict | str) -> tuple[int, int | None, int | None, dict]:
    """(id, median bucket, 90th percentile bucket, coarse counts) of a histogram as kept (figures.grouped):
    MetricDuration's columns beside its counts."""
    buckets = flattened(json.loads(counts) if isinstance(counts, str) else counts)
    quantiles = quantile_buckets(buckets) or {"median": None, "p90": None}
    return pk, quantiles["median"], quantiles["p90"], coarse_counts(buckets)


def spans_of(day: date) -> list[tuple[str, date]]:
    """The day, its ISO week (its Monday) and its month (its first day): the spans a duration is counted in."""
    monday = day - timedelta(days=day.weekday())
    return [(Span.DAY.value, day), (Span.WEEK.value, monday), (Span.MONTH.value, day.replace(day=1))]


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


def _add_guest_days(rows: dict, before: Counter, after: Counter) -> None:
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
    _add_guest_days(rows, before, after)
    _write_days(organization_id, rows)


def contacts_of(customer_id: int, *, exclude: Iterable[int] = (), only: Iterable[int] | None = None) -> list:
    """(property id, when) of a customer's contacts, some left out or only some."""
    rows = Contact.objects.filter(customer_id=customer_id)
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


REBUILD_BATCH = 5000  # raw rows read per round trip by the rebuild


@transaction.atomic
def metrics_rebuild(*, organization_id: int) -> dict[str, int]:
    """The organization's counters counted again from the raw rows still on file: contacts (and guest-days),
    issues (opened, first answered, resolved: by their owner, as who answered or resolved them is not on the
    row), survey answers, touches as they stand, delights. For history logged before the counters existed (the
    migration's backfill, a benchmark's generated data). Never run by the service itself: what was erased is no
    longer on file, and reopenings are not on the issue row, so a rebuild forgets them. Returns how many rows of
    each kind it counted."""
    zones = Zones(organization_id)
    days: dict[tuple[int, int, date], Counter] = {}
    durations: defaultdict[tuple, Counter] = defaultdict(Counter)

    def add(property_id: int | None, staff_id: int | None, at: datetime, counters: dict) -> None:
        day = at.astimezone(zones.of(property_id)).date()
        for key in _places(property_id, staff_id):
            days.setdefault((*key, day), Counter()).update(counters)

    counted: Counter = Counter()
    contacts = (
        Contact.objects.filter(customer__organization_id=organization_id)
        .order_by("customer_id", "occurred_at")
        .values_list(
            "customer_id",
            "property_id",
            "staff_id",
            "occurred_at",
            "greeted_by_name",
            "preference_honored",
            "delight_delivered",
        )
    )
    guest, visits = None, []

    def guest_done() -> None:
        for (place, day, counter), n in guest_days(visits, zones).items():
            days.setdefault((place, ALL, day), Counter())[counter] += n

    for customer_id, property_id, staff_id, at, greeted, honored, delighted in contacts.iterator(REBUILD_BATCH):
        if customer_id != guest:
            guest_done()
            guest, visits = customer_id, []
        visits.append((property_id, at))
        add(
            property_id,
            staff_id,
            at,
            events.contact_counters(greeted_by_name=greeted, preference_honored=honored, delight_delivered=delighted),
        )
        counted["contacts"] += 1
    guest_done()

    issues = Issue.objects.filter(customer__organization_id=organization_id).values_list(
        "property_id", "owner_id", "severity", "status", "opened_at", "first_response_at", "resolved_at"
    )
    for property_id, owner_id, severity, status, opened, answered, resolved in issues.iterator(REBUILD_BATCH):
        add(property_id, owner_id, opened, events.issue_opened_counters(severity=severity))
        for measure, ended, counter in (
            (Measure.FIRST_RESPONSE, answered, "issues_first_responses"),
            (
                Measure.RESOLUTION,
                resolved if status in (IssueStatus.RESOLVED, IssueStatus.CLOSED) else None,
                "issues_resolved",
            ),
        ):
            if ended is not None:
                add(property_id, owner_id, ended, {counter: 1})
                day = ended.astimezone(zones.of(property_id)).date()
                bucket = str(bucket_of((ended - opened).total_seconds()))
                for place, staff in _places(property_id, owner_id):
                    for span, start in spans_of(day):
                        durations[(place, staff, span, start, str(measure))][bucket] += 1
        counted["issues"] += 1

    answers = Feedback.objects.filter(customer__organization_id=organization_id).values_list(
        "touch__property_id", "created_at", "score", "recommend"
    )
    for property_id, at, score, recommend in answers.iterator(REBUILD_BATCH):
        add(property_id, None, at, events.feedback_counters(score=score, recommend=recommend))
        counted["feedback"] += 1

    touches = Touch.objects.filter(organization_id=organization_id, status__in=list(events.FINISHED_COUNTERS))
    for property_id, kind, status, reason, sent_at, done_at, done_by, updated_at in touches.values_list(
        "property_id", "kind", "status", "reason", "sent_at", "done_at", "done_by_id", "updated_at"
    ).iterator(REBUILD_BATCH):
        at = sent_at if status == "sent" else done_at if status == "done" else updated_at
        add(
            property_id,
            done_by if status == "done" else None,
            at or updated_at,
            events.touch_counters(status=status, kind=kind, reason=reason),
        )
        counted["touches"] += 1

    delights = Delight.objects.filter(organization_id=organization_id).values_list(
        "property_id",
        "created_at",
        "status",
        "cost",
        "delivered_at",
        "delivered_by_id",
        "declined_at",
        "declined_by_id",
    )
    for property_id, created, status, cost, delivered, delivered_by, declined, declined_by in delights.iterator(
        REBUILD_BATCH
    ):
        add(property_id, None, created, {"delights_suggested": 1})
        if status == "delivered" and delivered is not None:
            add(property_id, delivered_by, delivered, {"delights_delivered": 1, "delight_cost": cost})
        if status == "declined" and declined is not None:
            add(property_id, declined_by, declined, {"delights_declined": 1})
        counted["delights"] += 1

    MetricDay.objects.filter(organization_id=organization_id).delete()
    MetricDuration.objects.filter(organization_id=organization_id).delete()
    columns = sorted(DAY_COLUMNS)
    rows = [(organization_id, *key, *(counts[c] for c in columns)) for key, counts in days.items()]
    _upsert(MetricDay._meta.db_table, ["organization_id", "property_key", "staff_key", "day"], rows, columns)
    MetricDuration.objects.bulk_create(
        (_duration_row(organization_id, key, counts) for key, counts in sorted(durations.items())),
        batch_size=REBUILD_BATCH,
    )
    return dict(counted)


def _duration_row(organization_id: int, key: tuple, counts: Counter) -> MetricDuration:
    """A histogram as the rebuild writes it, with its summaries (_summary)."""
    stored = grouped(counts)
    _pk, median, p90, coarse = _summary(0, stored)
    return MetricDuration(
        **dict(zip(DURATION_KEYS, (organization_id, *key), strict=True)),
        counts=stored,
        median_bucket=median,
        p90_bucket=p90,
        coarse=coarse,
    )
