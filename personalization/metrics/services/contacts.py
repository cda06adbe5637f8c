"""A contact counted: logged, it is only marked pending (MetricsPendingContact); the fold counts the pending
contacts — their own counters and the change each makes to its guest's guest-days —, every 10 s (beat) and before
any read of the figures (metrics_caught_up)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

from django.db import DEFAULT_DB_ALIAS, connection, transaction

from crm.models import Contact
from crm.models.tenancy import zone_named
from personalization.metrics import events
from personalization.metrics.services.days import Zones, add_event, add_guest_days, guest_days, places, write_days
from personalization.models.metrics import ALL, NONE, MetricDay, MetricsPendingContact

PENDING = MetricsPendingContact._meta.db_table
# pg_advisory_xact_lock(FOLD_LOCK, organization id): one folder of an organization's pending contacts at a time
# (a fold, a merge's guest-days, a rebuild). The first key names the lock among the application's.
FOLD_LOCK = 140017
# Pending contacts read per round trip by the fold; each is then counted by one statement on PostgreSQL (~1 ms).
FOLD_BATCH = 500
_PENDING_INSERT = f"INSERT INTO {PENDING} (contact_id, organization_id) VALUES (%s, %s)"  # noqa: S608 (our name)


@transaction.atomic(savepoint=False)
def metrics_contact_logged(*, contact: Contact) -> None:
    """A contact logged: marked pending in its own transaction, one short INSERT, counted later by the fold
    (metrics_contacts_count).

    Why not counted here: counting it (_CONTACT_SQL, ~0.5 ms planning and ~0.7 ms execution, and a round trip)
    was 22 % of a contact's p95 in bench/run metrics (2.0 ms of 9.8 ms), against a target of 10 %; the pending row
    is one INSERT of two numbers. The lag: at most the beat's 10 s plus a fold, and never seen — every read of the
    figures folds first. What keeps it exact: the row commits with the contact, so a contact is counted once (the
    fold deletes the row it counted, under the organization's fold lock), and a contact pending is left out of every
    other count's "before" until it is counted itself."""
    with connection.cursor() as cursor:
        cursor.execute(_PENDING_INSERT, [contact.pk, contact.customer.organization_id])


def fold_lock(organization_id: int, *, wait: bool = True) -> bool:
    """Take the organization's fold lock until the transaction ends (PostgreSQL; elsewhere the database serializes
    writers already): False when another holds it and `wait` is False. Inside a transaction only."""
    if connection.vendor != "postgresql":
        return True
    function = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s, %s)", [FOLD_LOCK, organization_id])
        taken = cursor.fetchone()[0]
    return taken is not False  # pg_advisory_xact_lock answers NULL (void)


@transaction.atomic
def metrics_contacts_count(*, organization_id: int, wait: bool = True, limit: int | None = None) -> int:
    """Count the organization's pending contacts into the day counters, in contact order, each as if it had been
    counted when logged, and drop their pending rows; returns how many. Another fold of the organization running:
    waits for it, or with wait=False returns 0 at once (beat's fold: the next run, or the reader, catches up).
    With `limit`, at most that many (beat's fold commits batch by batch: see metrics_contacts_count_all).

    Exact in any order: a contact's guest-days change is counted against the guest's contacts already counted —
    their other pending contacts left out of its "before" (each is counted later against it) —, which is what
    the day rows hold, whatever order the contacts were logged or folded in."""
    if not fold_lock(organization_id, wait=wait):
        return 0
    counted = 0
    while limit is None or counted < limit:
        size = FOLD_BATCH if limit is None else min(FOLD_BATCH, limit - counted)
        pending = (
            MetricsPendingContact.objects.filter(organization_id=organization_id)
            .order_by("contact_id")
            .values_list("contact_id", flat=True)[:size]
        )
        batch = list(Contact.objects.filter(pk__in=pending).select_related("property").order_by("pk"))
        for contact in batch:
            _contact_counted(contact, organization_id)
        counted += len(batch)
        if len(batch) < size:
            break
    return counted


def metrics_contacts_count_all() -> int:
    """metrics_contacts_count of each organization with pending contacts, without waiting for one another fold is
    counting (beat's: that fold counts them), a transaction per FOLD_BATCH contacts: a backlog (an outage of the
    worker, a day of contacts imported) is counted batch by batch and what is committed stays counted when the task's
    time limit stops it. Returns how many were counted."""
    organizations = MetricsPendingContact.objects.order_by("organization_id").values_list("organization_id", flat=True)
    counted = 0
    for organization_id in list(organizations.distinct()):
        while True:
            folded = metrics_contacts_count(organization_id=organization_id, wait=False, limit=FOLD_BATCH)
            counted += folded
            if folded < FOLD_BATCH:
                break
    return counted


def metrics_caught_up(organization_id: int) -> int:
    """Fold the organization's pending contacts, if it has any (one EXISTS on the primary otherwise), before a read
    of its figures: the figures are never behind the contacts logged. Returns how many were counted."""
    if not MetricsPendingContact.objects.using(DEFAULT_DB_ALIAS).filter(organization_id=organization_id).exists():
        return 0
    return metrics_contacts_count(organization_id=organization_id, wait=True)


def _contact_counted(contact: Contact, organization_id: int) -> None:
    """A pending contact counted on its day, with the change it makes to the guest's guest-days (a contact logged
    late for an earlier day may make a later day "returning": it was the guest's first), and its pending row
    dropped. On PostgreSQL one statement (_CONTACT_SQL); elsewhere a read, guest_days in Python, an upsert, a
    delete."""
    if connection.vendor == "postgresql":
        _contact_counted_in_sql(contact, organization_id)
        return
    known = {contact.property_id: contact.property.zone()} if contact.property_id else {}
    zones = Zones(organization_id, known)
    rows: dict[tuple[int, int, date], Counter] = {}
    counters = events.contact_counters(
        greeted_by_name=contact.greeted_by_name,
        preference_honored=contact.preference_honored,
        delight_delivered=contact.delight_delivered,
    )
    add_event(rows, contact.property_id, contact.staff_id, contact.occurred_at, counters, zones)
    before = _contacts_it_may_change(contact, zones)
    add_guest_days(
        rows, guest_days(before, zones), guest_days([*before, (contact.property_id, contact.occurred_at)], zones)
    )
    write_days(organization_id, rows)
    MetricsPendingContact.objects.filter(contact_id=contact.pk).delete()


# A local day lasts at most 25 hours and zones lie from 12 hours behind UTC to 14 ahead: the contacts that share a
# local day with a contact, in any zone, lie within 51 hours of it.
SAME_DAY_REACH = timedelta(hours=52)


# The guest's other contacts a new one may change (_contacts_it_may_change), as a condition on crm_contact c: those
# already counted (a pending one is counted later, against this one).
_COUNTED = "NOT EXISTS (SELECT 1 FROM " + PENDING + " q WHERE q.contact_id = {alias}.id)"  # noqa: S608 (our name)
_NEAR_WHERE = """c.customer_id = %(customer)s AND c.id <> %(contact)s AND (
    c.occurred_at BETWEEN %(from)s AND %(to)s
    OR c.occurred_at <= {first_plus_reach}
) AND """ + _COUNTED.format(alias="c")
_NEAR_SQL = (
    "SELECT c.property_id, c.occurred_at, p.timezone"  # noqa: S608 (our SQL; every value is a parameter)
    " FROM crm_contact c LEFT JOIN crm_property p ON p.id = c.property_id WHERE " + _NEAR_WHERE
)
_FIRST = (
    "(SELECT f.occurred_at FROM crm_contact f WHERE f.customer_id = %(customer)s AND f.id <> %(contact)s AND "  # noqa: S608
    + _COUNTED.format(alias="f")
    + " ORDER BY f.occurred_at LIMIT 1)"
)


def _first_plus_reach() -> str:
    """SQL of the moment SAME_DAY_REACH after the guest's first other contact counted (_FIRST)."""
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


# A pending contact counted in one statement on PostgreSQL: its pending row deleted (the data-modifying CTE runs whether
# read or not; the others read the snapshot from before it, where the contact is left out by its id), the contacts
# _contacts_it_may_change reads (the same conditions, _NEAR_SQL) with each one's zone, and guest_days of them before and
# after the new contact, worked out by the database — each (place, local day) claimed by its earliest contact, returning
# when the guest's first contact fell on an earlier local day in the claimer's zone —, their difference added with the
# contact's own counters. The zones are the properties' names as stored (validated against the IANA names, which
# PostgreSQL reads like Django's own date functions with a tzinfo); no property: the organization's first property's.
# test_guest_days_logged_in_any_order_across_zones_equal_a_count_from_scratch holds it to guest_days.
_CONTACT_SQL = """WITH counted_now AS (
    DELETE FROM {pending} WHERE contact_id = %(contact)s
), fallback AS (
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
INSERT INTO {table} (organization_id, property_key, staff_key, day, {own}, guest_days, returning_guest_days)
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


def _contact_counted_in_sql(contact: Contact, organization_id: int) -> None:
    """_contact_counted on PostgreSQL: _CONTACT_SQL."""
    table = MetricDay._meta.db_table
    counters = events.contact_counters(
        greeted_by_name=contact.greeted_by_name,
        preference_honored=contact.preference_honored,
        delight_delivered=contact.delight_delivered,
    )
    own = list(counters)
    # The contact's own counters on its three rows (places), as named parameters like the statement's others.
    values: dict[str, int] = {}
    rows = []
    for n, (place, staff) in enumerate(places(contact.property_id, contact.staff_id)):
        row = {f"r{n}_{i}": value for i, value in enumerate([*(counters[name] for name in own), place, staff])}
        values |= row
        rows.append("(" + ", ".join(f"%({name})s" for name in row) + ")")
    sql = _CONTACT_SQL.format(
        table=table,
        pending=PENDING,
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
        "organization": organization_id,
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
