"""The brief's inputs in one round trip: the customer, all their preferences, the issues to repair,
the tips of the place and the live gift rules (with this month's spending and this customer's
delights of each), each table's rows built into JSON by the database.

The brief is read at every contact and by integrations under load. Four ORM queries cost more in
compiling SQL and building objects than the database spent answering them; one statement whose
rows arrive as JSON leaves Python only the decoding (bench/run brief measures it). The statement
is made once per database vendor from the models' own fields, so a new column needs no change here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache

from django.db import connection
from django.db.models import Model
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from crm.models import Customer, Issue, IssueStatus, Organization, Preference
from personalization.gifts.engine import PastDelight, month_of
from personalization.models import Delight, GiftRule, GiftSpend, Tip

REPAIR_RECENT_DAYS = 30


@dataclass(frozen=True, slots=True)
class BriefInputs:
    customer: Customer
    preferences: list[Preference]
    issues: list[Issue]  # open and in progress, and resolved in the last REPAIR_RECENT_DAYS; newest first
    tips: list[Tip]  # active, of this property or the whole organization
    # Live, active, in-date rules of this property or all, best first, each with .spent_this_month and
    # .past (this customer's delights of it): what gifts.engine.evaluate needs.
    rules: list[GiftRule]


def load(*, organization: Organization, customer_id: int, property_id: int | None, now: datetime) -> BriefInputs:
    """The organization's (unmerged) customer and what their brief needs; Customer.DoesNotExist otherwise."""
    try:
        customer_id = int(customer_id)
    except (TypeError, ValueError):
        raise Customer.DoesNotExist from None
    if not -(2**63) <= customer_id < 2**63:  # beyond any id, and beyond what SQLite can bind
        raise Customer.DoesNotExist
    recent = connection.ops.adapt_datetimefield_value(now - timedelta(days=REPAIR_RECENT_DAYS))
    today = timezone.localdate(now)
    day, month = connection.ops.adapt_datefield_value(today), connection.ops.adapt_datefield_value(month_of(today))
    params = [recent, property_id, month, property_id, property_id, day, day, customer_id, organization.pk]
    with connection.cursor() as cursor:
        cursor.execute(_statement(connection.vendor), params)
        row = cursor.fetchone()
    if row is None:
        raise Customer.DoesNotExist
    customer, preferences, issues, tips, rules = (_decode(value) for value in row)
    return BriefInputs(
        customer=_model(Customer, customer),
        preferences=[_model(Preference, p) for p in preferences],
        issues=sorted((_model(Issue, i) for i in issues), key=lambda i: (i.opened_at, i.pk), reverse=True),
        tips=[_model(Tip, t) for t in tips],
        rules=sorted((_rule(r) for r in rules), key=lambda r: (-r.priority, r.pk)),
    )


def _rule(data: dict) -> GiftRule:
    rule = _model(GiftRule, data)
    rule.spent_this_month = _python(GiftSpend._meta.get_field("spent"), data["spent_this_month"])
    rule.past = []
    for item in data["past"]:
        delight = _model(Delight, item)
        rule.past.append(
            PastDelight(
                delight.pk,
                delight.occasion_key,
                delight.status,
                delight.gift,
                delight.cost,
                delight.created_at,
                delight.delivered_at,
                delight.expires_at,
            )
        )
    return rule


@cache
def _statement(vendor: str) -> str:
    postgres = vendor == "postgresql"
    build, gather = ("json_build_object", "json_agg") if postgres else ("json_object", "json_group_array")

    def as_json(model: type[Model], alias: str, *extra: str) -> str:
        pairs = list(extra)
        for field in model._meta.concrete_fields:
            column = f"{alias}.{connection.ops.quote_name(field.column)}"
            if not postgres and field.get_internal_type() == "JSONField":
                column = f"json({column})"  # SQLite keeps JSON as text: embed it as JSON, not as a string
            pairs.append(f"'{field.attname}', {column}")
        return f"{build}({', '.join(pairs)})"

    def rows(model: type[Model], alias: str, where: str) -> str:
        table = model._meta.db_table
        return f"(SELECT coalesce({gather}({as_json(model, alias)}), '[]') FROM {table} {alias} WHERE {where})"  # noqa: S608

    active = [IssueStatus.OPEN.value, IssueStatus.IN_PROGRESS.value]
    # Only table and column names from the models and fixed SQL are interpolated; values are parameters.
    return (
        f"SELECT {as_json(Customer, 'c')}, "  # noqa: S608
        + rows(Preference, "p", "p.customer_id = c.id")
        + ", "
        + rows(
            Issue,
            "i",
            f"i.customer_id = c.id AND (i.status IN ('{active[0]}', '{active[1]}')"
            f" OR (i.status = '{IssueStatus.RESOLVED.value}' AND i.resolved_at >= %s))",
        )
        + ", "
        + rows(
            Tip,
            "t",
            "t.organization_id = c.organization_id AND t.active AND (t.property_id IS NULL OR t.property_id = %s)",
        )
        + ", "
        + _rules(as_json, gather, postgres)
        + f" FROM {Customer._meta.db_table} c WHERE c.id = %s AND c.organization_id = %s AND c.merged_into_id IS NULL"
    )


def _rules(as_json, gather: str, postgres: bool) -> str:
    """Live, active rules listing this property or none, in date, each with this month's spending (at this
    property when its budget is per property) and this customer's delights of it (parameters: the month,
    the property twice, today twice)."""
    # The rule-wide row (property NULL), or this property's row: coalesce to 0 so NULL = NULL matches.
    spent = (
        f"coalesce((SELECT s.spent FROM {GiftSpend._meta.db_table} s WHERE s.rule_id = r.id AND s.month = %s"  # noqa: S608
        " AND coalesce(s.property_id, 0) = CASE WHEN r.budget_per_property THEN coalesce(%s, 0) ELSE 0 END), 0)"
    )
    listed = f"SELECT 1 FROM {GiftRule.properties.through._meta.db_table} rp WHERE rp.giftrule_id = r.id"  # noqa: S608
    past = (
        f"(SELECT coalesce({gather}({as_json(Delight, 'd')}), '[]') FROM {Delight._meta.db_table} d"  # noqa: S608
        " WHERE d.rule_id = r.id AND d.customer_id = c.id)"
    )
    if not postgres:
        past = f"json({past})"  # nested as JSON whatever SQLite's version does with a subquery's JSON
    rule = as_json(GiftRule, "r", f"'spent_this_month', {spent}", f"'past', {past}")
    return (
        f"(SELECT coalesce({gather}({rule}), '[]') FROM {GiftRule._meta.db_table} r"  # noqa: S608
        " WHERE r.organization_id = c.organization_id AND r.active AND r.deleted_at IS NULL"
        f" AND (NOT EXISTS ({listed}) OR EXISTS ({listed} AND rp.property_id = %s))"
        " AND (r.starts_on IS NULL OR r.starts_on <= %s) AND (r.ends_on IS NULL OR r.ends_on >= %s))"
    )


def _decode(value):
    return json.loads(value) if isinstance(value, str) else value


def _model(model: type[Model], data: dict) -> Model:
    names = [field.attname for field in model._meta.concrete_fields]
    values = [_python(field, data[field.attname]) for field in model._meta.concrete_fields]
    return model.from_db(connection.alias, names, values)


def _python(field, value):
    """A JSON value as the model field holds it (PostgreSQL writes ISO datetimes with an offset, SQLite
    the stored UTC text and 0/1 for booleans; numbers arrive as floats, decimals get their scale back)."""
    if value is None:
        return None
    kind = field.get_internal_type()
    if kind == "DateTimeField":
        moment = parse_datetime(value)
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if kind == "DateField":
        return parse_date(value)
    if kind == "BooleanField":
        return bool(value)
    if kind == "DecimalField":
        return Decimal(str(value)).quantize(Decimal(1).scaleb(-field.decimal_places))
    return value
