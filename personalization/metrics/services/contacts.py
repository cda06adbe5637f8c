"""A contact counted: its own counters and the change it makes to the guest's guest-days, in one statement on
PostgreSQL."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

from django.db import connection, transaction

from crm.models import Contact
from crm.models.tenancy import zone_named
from personalization.metrics import events
from personalization.metrics.services.days import Zones, add_event, add_guest_days, guest_days, places, write_days
from personalization.models.metrics import ALL, NONE, MetricDay


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
    add_event(rows, contact.property_id, contact.staff_id, contact.occurred_at, counters, zones)
    before = _contacts_it_may_change(contact, zones)
    add_guest_days(
        rows, guest_days(before, zones), guest_days([*before, (contact.property_id, contact.occurred_at)], zones)
    )
    write_days(organization_id, rows)


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
    # The contact's own counters on its three rows (places), as named parameters like the statement's others.
    values: dict[str, int] = {}
    rows = []
    for n, (place, staff) in enumerate(places(contact.property_id, contact.staff_id)):
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
