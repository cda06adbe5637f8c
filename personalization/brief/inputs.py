"""The brief's inputs in one round trip: the customer, all their preferences, the issues to repair,
the tips of the place and the live gift rules (with this month's spending and this customer's
delights of each), each table's rows built into JSON by the database.

The brief is read at every contact and by integrations under load. Four ORM queries cost more in
compiling SQL and building objects than the database spent answering them; one statement whose
rows arrive as JSON leaves Python only the decoding (bench/run brief measures it). This is the one
module of hand-written SQL in personalization (see README, Design): the JSON wrapping is written here
once per database vendor from the models' own fields, so a new column needs no change; which gift
rules are live, and what a rule spent, are the ORM's (GiftRule.objects.live_on / at_property,
GiftSpend.objects.charged_at), compiled into the statement. Each part returns its SQL with its own
parameters, in order.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from django.db import connection, connections, router
from django.db.models import Model, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from crm import prepared, rows
from crm.models import (
    Contact,
    ContactKind,
    Customer,
    Issue,
    IssueStatus,
    Organization,
    Polarity,
    Preference,
    Property,
    Stay,
    StayStatus,
)
from crm.models.tenancy import zone_named
from personalization.models import Delight, GiftRule, GiftSpend, PastDelight, Tip

REPAIR_RECENT_DAYS = 30

Part = tuple[str, list]


@dataclass(frozen=True, slots=True)
class BriefInputs:
    customer: Customer
    preferences: list[Preference]
    issues: list[Issue]  # open and in progress, and resolved in the last REPAIR_RECENT_DAYS; newest first
    tips: list[Tip]  # active, of this property or the whole organization
    # Live rules of this property or all, best first, each with .spent_this_month and .past (this
    # customer's delights of it): what gifts.engine.evaluate needs.
    rules: list[GiftRule]
    # The place: the time zone of the contact's property (else the guest's home property, else the
    # organization's first), the guest's two latest visits (kind, when; newest first) and their latest
    # departure: what the greeting needs to tell this visit from the one before.
    zone: str = "UTC"
    visits: tuple[tuple[str, datetime], ...] = ()
    departed_at: datetime | None = None
    # The guest's stay going on today at this property (expected or in house), if a PMS told us of one.
    stay: Stay | None = None


def load(
    *,
    organization: Organization,
    customer_id: int,
    property_id: int | None,
    now: datetime,
    zone: ZoneInfo | None,
    then: list[str] | None = None,
) -> BriefInputs:
    """The organization's (unmerged) customer and what their brief needs; Customer.DoesNotExist otherwise.

    The gift rules are those live on the day at the property. Its zone comes with the caller's staff member
    (the API's authentication reads the property with the token); without it the statement asks for the
    server's day, and when the property's day turns out to differ (hours around midnight), the rules are read
    again for that day (load_rules: one more query, then only).

    then: statements sent after the read in the same round trip (the access record of this view:
    crm.services.access_record_sql), pipelined (psycopg's pipeline mode); rolled back if they fail. The read is
    prepared (crm.prepared): PostgreSQL took longer to plan it than to run it (0.6 against 0.35–0.5 ms at 100,000
    guests, 2026-12-06), and a message of several statements could not be prepared."""
    try:
        customer_id = int(customer_id)
    except (TypeError, ValueError):
        raise Customer.DoesNotExist from None
    if not -(2**63) <= customer_id < 2**63:  # beyond any id, and beyond what SQLite can bind
        raise Customer.DoesNotExist
    today = now.astimezone(zone).date() if zone is not None else timezone.localdate(now)
    parts = [
        (_as_json(Customer, "c", connection.vendor), []),
        (_rows(Preference, "p", "p.customer_id = c.id", connection.vendor), []),
        _issues_part(now),
        _tips_part(property_id),
        rules_part(organization_id=organization.pk, property_id=property_id, customer_id=customer_id, today=today),
        _place_part(property_id, today),
    ]
    sql = (
        f"SELECT {', '.join(part for part, _params in parts)} FROM {Customer._meta.db_table} c"  # noqa: S608
        " WHERE c.id = %s AND c.organization_id = %s AND c.merged_into_id IS NULL"
    )
    params = [param for _sql, part_params in parts for param in part_params]
    # Hand-written SQL takes the road the ORM would (a replica in the views config/routers.py names); then, a
    # write, comes only where that road is the primary's (crm.services.access_record_sql).
    database = connections[router.db_for_read(Customer)]
    with prepared.cursor(database) as cursor:
        try:
            if then:
                with prepared.sent_together(database), database.cursor() as record:
                    cursor.execute(sql, [*params, customer_id, organization.pk])
                    for statement in then:
                        record.execute(statement)
            else:
                cursor.execute(sql, [*params, customer_id, organization.pk])
        except Exception:
            if then:
                with database.cursor() as record:
                    record.execute("ROLLBACK")  # then's transaction must not outlive a failed read or record
            raise
        row = cursor.fetchone()
    if row is None:
        raise Customer.DoesNotExist
    customer, preferences, issues, tips, rules, place = (_decode(value) for value in row)
    occurred_at = Contact._meta.get_field("occurred_at")
    customer = _model(Customer, customer)
    there = now.astimezone(zone_named(place["zone"])).date()
    return BriefInputs(
        customer=customer,
        preferences=[_model(Preference, p) for p in preferences],
        issues=sorted((_model(Issue, i) for i in issues), key=lambda i: (i.opened_at, i.pk), reverse=True),
        tips=[_model(Tip, t) for t in tips],
        rules=decode_rules(rules)
        if there == today
        else load_rules(customer=customer, property_id=property_id, today=there),
        zone=place["zone"] or "UTC",
        visits=tuple((v["kind"], _python(occurred_at, v["at"])) for v in _decode(place["visits"])),
        departed_at=_python(occurred_at, place["departed"]),
        stay=_model(Stay, _decode(place["stay"])) if place["stay"] else None,
    )


def load_rules(*, customer: Customer, property_id: int | None, today: date) -> list[GiftRule]:
    """The gift rules of the brief alone (rules_part), for callers that have the customer already."""
    return _load_rules(customer.organization_id, property_id, customer.pk, today)


def rules_for_day(*, organization_id: int, property_id: int | None, day: date) -> list[GiftRule]:
    """The rules live at this property on day, best first, each with what it spent that month; no guest's
    delights (``past`` empty): for a board of many guests that adds each one's (personalization.arrivals)."""
    return _load_rules(organization_id, property_id, None, day)


def _load_rules(organization_id: int, property_id: int | None, customer_id: int | None, today: date) -> list[GiftRule]:
    sql, params = rules_part(
        organization_id=organization_id, property_id=property_id, customer_id=customer_id, today=today
    )
    with connections[router.db_for_read(GiftRule)].cursor() as cursor:
        cursor.execute(f"SELECT {sql}", params)
        return decode_rules(_decode(cursor.fetchone()[0]))


def rules_part(*, organization_id: int, property_id: int | None, customer_id: int | None, today: date) -> Part:
    """Live rules of the organization at this property, as a JSON array: each rule's columns, what it spent
    this month (at this property when its budget is per property), and this customer's delights of it (none
    without a customer)."""
    sql, slots = _rules_sql(connection.vendor, property_id is not None)
    values = {
        "organization": organization_id,
        "property": property_id,
        "customer": customer_id,
        "today": today,
        "month": GiftSpend.month_of(today),
    }
    return sql, [value if name is None else _bind(values[name], adapted) for name, value, adapted in slots]


def _rules_queryset(*, organization_id: int, property_id: int | None, today: date):
    """The rules as the ORM says which are live here and what each spent (GiftRule.objects.live_on /
    at_property, GiftSpend.objects.charged_at)."""
    spent = GiftSpend.objects.filter(rule=OuterRef("pk"), month=GiftSpend.month_of(today)).charged_at(property_id)
    return (
        GiftRule.objects.live_on(today)
        .at_property(property_id)
        .filter(organization_id=organization_id)
        .annotate(spent_this_month=Coalesce(Subquery(spent.values("spent")[:1]), Value(Decimal("0.00"))))
        .order_by()
    )


# Compiling the queryset costs more than the database spends on the whole brief: it is compiled once per
# vendor and shape with these stand-in values, and each of its parameters is found again by its stand-in.
_STAND_INS = {"organization": -7_000_001, "property": -7_000_002, "today": date(1901, 2, 3), "month": date(1901, 2, 1)}


@cache
def _rules_sql(vendor: str, at_a_property: bool) -> tuple[str, list[tuple[str | None, object, bool]]]:
    """rules_part's SQL for this vendor, and for each parameter in order: (the value's name, or None for a
    constant the ORM bound; the constant; whether the ORM adapted it to text, as SQLite's dates)."""
    stand_in = dict(_STAND_INS, property=_STAND_INS["property"] if at_a_property else None)
    queryset = _rules_queryset(
        organization_id=stand_in["organization"], property_id=stand_in["property"], today=stand_in["today"]
    )
    rules_sql, rules_params = queryset.query.sql_with_params()
    by_value = {value: name for name, value in stand_in.items() if value is not None}
    by_text = {str(value): name for value, name in by_value.items()}
    slots: list[tuple[str | None, object, bool]] = [("customer", None, False)]  # the delights' (_rule_json)
    for param in rules_params:
        if isinstance(param, str) and param in by_text:
            slots.append((by_text[param], None, True))
        elif not isinstance(param, bool) and param in by_value:
            slots.append((by_value[param], None, False))
        else:
            slots.append((None, param, False))
    gather = "json_agg" if _postgres(vendor) else "json_group_array"
    return f"(SELECT coalesce({gather}({_rule_json(vendor)}), '[]') FROM ({rules_sql}) r)", slots  # noqa: S608


def _bind(value, adapted: bool):
    return str(value) if adapted and value is not None else value


def decode_rules(rows: list[dict]) -> list[GiftRule]:
    return sorted((_rule(r) for r in rows), key=lambda r: (-r.priority, r.pk))


def _rule(data: dict) -> GiftRule:
    rule = _model(GiftRule, data)
    rule.spent_this_month = _python(GiftSpend._meta.get_field("spent"), data["spent_this_month"])
    rule.past = [PastDelight.of(_model(Delight, item)) for item in data["past"]]
    return rule


# --- the SQL, written once per vendor from the models' fields -------------------------------------------


def _postgres(vendor: str) -> bool:
    return vendor == "postgresql"


@cache
def _as_json(model: type[Model], alias: str, vendor: str, *extra: str) -> str:
    pairs = list(extra)
    for field in model._meta.concrete_fields:
        pairs.append(f"'{field.attname}', {_column(field, alias, vendor)}")
    return f"{'json_build_object' if _postgres(vendor) else 'json_object'}({', '.join(pairs)})"


@cache
def _as_array(model: type[Model], alias: str, vendor: str, columns: tuple[str, ...]) -> str:
    """The row alias of model as a JSON array of these attnames' values, in order (no names to parse)."""
    values = ", ".join(_column(model._meta.get_field(name), alias, vendor) for name in columns)
    return f"{'json_build_array' if _postgres(vendor) else 'json_array'}({values})"


def _column(field, alias: str, vendor: str) -> str:
    column = f"{alias}.{connection.ops.quote_name(field.column)}"
    if not _postgres(vendor) and field.get_internal_type() == "JSONField":
        column = f"json({column})"  # SQLite keeps JSON as text: embed it as JSON, not as a string
    return column


def _rows(model: type[Model], alias: str, where: str, vendor: str, columns: tuple[str, ...] | None = None) -> str:
    """The rows of model matching where as a JSON array: of objects (every field by name), or with columns, of
    arrays of those columns (_as_array)."""
    gather = "json_agg" if _postgres(vendor) else "json_group_array"
    table = model._meta.db_table
    shape = _as_json(model, alias, vendor) if columns is None else _as_array(model, alias, vendor, columns)
    return f"(SELECT coalesce({gather}({shape}), '[]') FROM {table} {alias} WHERE {where})"  # noqa: S608


def _issues_part(now: datetime) -> Part:
    active = f"'{IssueStatus.OPEN.value}', '{IssueStatus.IN_PROGRESS.value}'"
    resolved = IssueStatus.RESOLVED.value
    where = f"i.customer_id = c.id AND (i.status IN ({active}) OR (i.status = '{resolved}' AND i.resolved_at >= %s))"
    recent = connection.ops.adapt_datetimefield_value(now - timedelta(days=REPAIR_RECENT_DAYS))
    return _rows(Issue, "i", where, connection.vendor), [recent]


def _tips_part(property_id: int | None) -> Part:
    where = "t.organization_id = c.organization_id AND t.active AND (t.property_id IS NULL OR t.property_id = %s)"
    return _rows(Tip, "t", where, connection.vendor), [property_id]


def _place_part(property_id: int | None, today: date) -> Part:
    """{"zone", "visits", "departed", "stay"} of the customer c: see BriefInputs. Served by the
    contact_customer_recent index (customer, occurred_at DESC) and the stays' customer index."""
    vendor = connection.vendor
    postgres = _postgres(vendor)
    contacts, properties = Contact._meta.db_table, Property._meta.db_table
    visit_kinds = ", ".join(f"'{kind.value}'" for kind in (ContactKind.ARRIVAL, ContactKind.VISIT))
    # Identifiers are the models' own; the property id is a parameter.
    zone_of = f"SELECT p.timezone FROM {properties} p WHERE"  # noqa: S608
    zone = (
        f"coalesce(({zone_of} p.id = %s AND p.organization_id = c.organization_id),"
        f" ({zone_of} p.id = c.home_property_id),"
        f" ({zone_of} p.organization_id = c.organization_id ORDER BY p.id LIMIT 1))"
    )
    pair = (
        "json_build_object('kind', v.kind, 'at', v.occurred_at)"
        if postgres
        else ("json_object('kind', v.kind, 'at', v.occurred_at)")
    )
    gather = "json_agg" if postgres else "json_group_array"
    visits = (
        f"(SELECT coalesce({gather}({pair}), '[]') FROM (SELECT kind, occurred_at FROM {contacts}"  # noqa: S608
        f" WHERE customer_id = c.id AND kind IN ({visit_kinds}) ORDER BY occurred_at DESC, id DESC LIMIT 2) v)"
    )
    if not postgres:
        visits = f"json({visits})"
    departed = (
        f"(SELECT max(d.occurred_at) FROM {contacts} d"  # noqa: S608
        f" WHERE d.customer_id = c.id AND d.kind = '{ContactKind.DEPARTURE.value}')"
    )
    build = "json_build_object" if postgres else "json_object"
    staying = ", ".join(f"'{status.value}'" for status in (StayStatus.EXPECTED, StayStatus.IN_HOUSE))
    here = "s.property_id = %s" if property_id is not None else "TRUE"
    stay = (
        f"(SELECT {_as_json(Stay, 's', vendor)} FROM {Stay._meta.db_table} s"  # noqa: S608
        f" WHERE s.customer_id = c.id AND s.status IN ({staying}) AND s.arrival <= %s AND s.departure >= %s"
        f" AND {here} ORDER BY s.arrival DESC, s.id DESC LIMIT 1)"
    )
    if not postgres:
        stay = f"json({stay})"
    day = today if postgres else today.isoformat()  # SQLite compares dates as ISO text
    params = [property_id, day, day, *([property_id] if property_id is not None else [])]
    return f"{build}('zone', {zone}, 'visits', {visits}, 'departed', {departed}, 'stay', {stay})", params


@cache
def _rule_json(vendor: str) -> str:
    """The JSON of one row r of rules_part's derived table; its one parameter is the customer id."""
    gather = "json_agg" if _postgres(vendor) else "json_group_array"
    past = (
        f"(SELECT coalesce({gather}({_as_json(Delight, 'd', vendor)}), '[]') FROM {Delight._meta.db_table} d"  # noqa: S608
        " WHERE d.rule_id = r.id AND d.customer_id = %s)"
    )
    if not _postgres(vendor):
        past = f"json({past})"  # nested as JSON whatever SQLite's version does with a subquery's JSON
    return _as_json(GiftRule, "r", vendor, "'spent_this_month', r.spent_this_month", f"'past', {past}")


# --- the arrivals board: every arriving guest's inputs in one statement ---------------------------------

Columns = tuple[tuple[type[Model], tuple[str, ...]], ...]


def arrivals_rows(
    *, property_id: int, day: date, resolved_since: datetime, rule_ids: list[int], liked: set[str], columns: Columns
) -> list[list]:
    """The stays arriving at the property on day (expected or in house), in no order: for each, [stay, guest,
    preferences, issues, delights], each row an array of the columns that columns names for its model (Stay,
    Customer, Preference, Issue, Delight), as JSON decodes them (read_row types them). The preferences are the
    safety-critical ones and the likes of the categories liked (those the gift rules read); the issues, those
    open or in progress, or resolved after resolved_since; the delights, the guest's of the rules rule_ids.

    One statement and one JSON value whatever the board's size: for 500 guests, parsing 2,500 JSON values
    cost four times parsing the same as one, and the columns' names doubled its size (bench/run arrivals)."""
    vendor = connection.vendor
    since = connection.ops.adapt_datetimefield_value(resolved_since)
    on = day if _postgres(vendor) else day.isoformat()  # SQLite compares dates as ISO text
    with connections[router.db_for_read(Stay)].cursor() as cursor:
        cursor.execute(
            _arrivals_sql(vendor, columns, len(rule_ids), len(liked)),
            [*sorted(liked), since, *rule_ids, property_id, on],
        )
        return _decode(cursor.fetchone()[0])


@cache
def _arrivals_sql(vendor: str, columns: Columns, rules: int, liked: int) -> str:
    of = dict(columns)
    postgres = _postgres(vendor)
    active = ", ".join(f"'{status.value}'" for status in (IssueStatus.OPEN, IssueStatus.IN_PROGRESS))
    staying = ", ".join(f"'{status.value}'" for status in (StayStatus.EXPECTED, StayStatus.IN_HOUSE))
    of_rules = f"d.rule_id IN ({', '.join(['%s'] * rules)})" if rules else "FALSE"
    issues = f"i.customer_id = c.id AND (i.status IN ({active}) OR i.resolved_at > %s)"
    # Of the 2,545 preferences of the bench's 500 arriving guests, 638 are safety needs and 417 likes of the one
    # category its rules read: the other 1,490 were built, parsed and typed to be dropped (bench/run arrivals).
    likes = f"p.polarity = '{Polarity.LIKES.value}' AND p.category IN ({', '.join(['%s'] * liked)})"
    shown = f"p.safety_critical OR ({likes})" if liked else "p.safety_critical"
    lists = [
        _rows(Preference, "p", f"p.customer_id = c.id AND ({shown})", vendor, of[Preference]),
        _rows(Issue, "i", issues, vendor, of[Issue]),
        _rows(Delight, "d", f"d.customer_id = c.id AND {of_rules}", vendor, of[Delight]),
    ]
    if not postgres:
        lists = [f"json({rows})" for rows in lists]  # nested as JSON, not as text (as _rule_json)
    parts = [_as_array(Stay, "s", vendor, of[Stay]), _as_array(Customer, "c", vendor, of[Customer]), *lists]
    row = f"{'json_build_array' if postgres else 'json_array'}({', '.join(parts)})"
    gather = "json_agg" if postgres else "json_group_array"
    # Served by stay_property_arrival, then each guest's own index of preferences, issues and delights.
    return (
        f"SELECT coalesce({gather}({row}), '[]') FROM {Stay._meta.db_table} s"  # noqa: S608 (the models' names)
        f" JOIN {Customer._meta.db_table} c ON c.id = s.customer_id"
        f" WHERE s.property_id = %s AND s.arrival = %s AND s.status IN ({staying})"
    )


def _decode(value):
    return json.loads(value) if isinstance(value, str) else value


def _model(model: type[Model], data: dict) -> Model:
    """An instance, as the ORM loads it, from a JSON object of its columns (the connection asked once, not for
    each value: ~0.2 ms of a brief's six or seven instances)."""
    names = rows.attnames(model)
    return rows.loaded(model, row_reader(model, names)([data[name] for name in names]))


def row_reader(model: type[Model], columns: tuple[str, ...]) -> Callable[[list], list]:
    """The reader of JSON arrays of these attnames of model (arrivals_rows): it types each value as the field holds
    it, in place, converting only what JSON cannot carry (dates, times, SQLite's booleans, decimals). Made once per
    board: asked per row, the connection's vendor (a lookup through asgiref's Local) cost more than the typing."""
    readers = _readers(model, columns, connection.vendor)

    def read(values: list) -> list:
        for at, convert in readers:
            value = values[at]
            if value is not None:
                values[at] = convert(value)
        return values

    return read


@cache
def _readers(model: type[Model], columns: tuple[str, ...], vendor: str) -> tuple[tuple[int, object], ...]:
    readers = ((at, _reader(model._meta.get_field(name), vendor)) for at, name in enumerate(columns))
    return tuple((at, convert) for at, convert in readers if convert is not None)


def _python(field, value):
    """A JSON value as the model field holds it (PostgreSQL writes ISO datetimes with an offset, SQLite
    the stored UTC text and 0/1 for booleans; numbers arrive as floats, decimals get their scale back)."""
    if value is None:
        return None
    convert = _reader(field, connection.vendor)
    return value if convert is None else convert(value)


def _reader(field, vendor: str):
    kind = field.get_internal_type()
    if kind == "DateTimeField":
        # PostgreSQL writes every timestamp with its offset (the session's zone is UTC): fromisoformat reads it
        # as it is, without _moment's fallback and default zone, a Python call per value less (~2,000 a board).
        return datetime.fromisoformat if _postgres(vendor) else _moment
    if kind == "DateField":
        return _day
    if kind == "BooleanField":
        return None if _postgres(vendor) else bool  # SQLite writes 0 and 1
    if kind == "DecimalField":
        places = Decimal(1).scaleb(-field.decimal_places)
        return lambda value: Decimal(str(value)).quantize(places)
    return None


# A board's days are few (its arrival day, the departures after it): each is parsed once.
_day = lru_cache(maxsize=1024)(parse_date)


def _moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)  # what both databases write (parse_datetime tries it first too)
    except ValueError:
        moment = parse_datetime(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
