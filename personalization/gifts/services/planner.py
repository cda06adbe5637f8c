"""The nightly planner: suggested delights for every customer whose birthday or anniversary is coming,
or who has just been away long enough — set-based, one INSERT … SELECT per rule.

The ORM builds the SELECT (conditions, gift text filled from the customer and their preferences, the
occasion key); it is wrapped in ``INSERT … ON CONFLICT DO NOTHING`` on the delight's unique occasion key,
so running twice, or after a brief already recorded the same occasion, adds nothing. Same SQL on
PostgreSQL and SQLite; no Python loop over customers.
"""

from __future__ import annotations

import json
import string
from collections import Counter
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Case as CaseExpr
from django.db.models import (
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    Exists,
    Expression,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Concat, NullIf, TruncDate
from django.db.models.lookups import Exact, In
from django.utils import timezone

from crm.models import Customer, Polarity, Preference, Property
from crm.partial_dates import celebrated_on
from personalization.gifts.engine import budget_allows, end_of
from personalization.gifts.signals import delights_suggested
from personalization.metrics.services.days import metrics_count_events
from personalization.models import Delight, DelightStatus, GiftRule, GiftSpend, Trigger
from personalization.touches.policy import zone_of

PLANNED_TRIGGERS = (Trigger.BIRTHDAY, Trigger.ANNIVERSARY, Trigger.RETURN_AFTER_ABSENCE)
# An absence is planned for in the week after it crosses the rule's threshold (a missed night catches
# up); older absences were planned for then, and scanning every lapsed customer nightly would cost more.
ABSENCE_CATCH_UP_DAYS = 7
COLUMNS = (
    "organization_id",
    "customer_id",
    "rule_id",
    "property_id",
    "occasion_key",
    "gift",
    "reason",
    "cost",
    "status",
    "occasion_on",
    "expires_at",
    "created_at",
    "updated_at",
)


def _dates_in_window(today: date, window_days: int) -> list[date]:
    return [today + timedelta(days=i) for i in range(window_days + 1)]


def date_condition(prefix: str, days: list[date]) -> tuple[Q, list[tuple[Q, date]]]:
    """Q for a month/day celebrated in the window (one IN over month * 100 + day, cheaper per row than an OR
    of pairs), and (Q, date) per day for the CASEs (crm.partial_dates.celebrated_on: 29 February on the 28th
    in common years)."""
    cases = []
    codes = []
    for day in days:
        q = Q()
        for month, day_of_month in celebrated_on(day):
            q |= Q(**{f"{prefix}_month": month, f"{prefix}_day": day_of_month})
            codes.append(month * 100 + day_of_month)
        cases.append((q, day))
    code = ExpressionWrapper(F(f"{prefix}_month") * 100 + F(f"{prefix}_day"), output_field=IntegerField())
    return Q(Exact(code, codes[0])) if len(codes) == 1 else Q(In(code, codes)), cases


def _name(field: str) -> Expression:
    return NullIf(field, Value(""))


def _favorite(category: str) -> Subquery:
    return Subquery(
        Preference.objects.filter(customer=OuterRef("pk"), category=category, polarity=Polarity.LIKES)
        .order_by("-times_confirmed", "-last_confirmed_at", "-pk")
        .values("text")[:1]
    )


def gift_expression(template: str) -> tuple[Expression, dict[str, Expression]]:
    """The gift text as SQL (literal parts and customer values concatenated), and the placeholder values
    as aliases that must not be NULL: a placeholder that cannot be filled means no suggestion."""
    parts: list[Expression] = []
    values: dict[str, Expression] = {}
    for literal, name, _spec, _conversion in string.Formatter().parse(template):
        if literal:
            parts.append(Value(literal))
        if name is None:
            continue
        if name == "preferred_name":
            value = _name("addressed_as")  # Customer.address_name(), stored when the customer is written
        elif name in ("given_name", "family_name"):
            value = _name(name)
        else:
            value = _favorite(name.removeprefix("favorite_"))
        values[f"v_{name}"] = value
        parts.append(F(f"v_{name}"))
    if not parts:
        return Value(""), values
    expression = parts[0] if len(parts) == 1 else Concat(*parts, output_field=CharField())
    return expression, values


def _tags_condition(tags: list[str]) -> Q:
    """Any of the tags, ignoring case as the brief does: the tag, quoted, inside the stored JSON text
    (PostgreSQL prints jsonb text unescaped; Django writes SQLite's JSON with ASCII escapes)."""
    ascii_only = connection.vendor != "postgresql"
    q = Q()
    for tag in tags:
        q |= Q(tags__icontains=json.dumps(tag, ensure_ascii=ascii_only))
    return q


def listed_properties(rule: GiftRule) -> list[int]:
    """The rule's property ids (empty: every property), read once per rule object."""
    if not hasattr(rule, "property_ids"):  # an unsaved rule (a preview) lists none unless told
        rule.property_ids = list(rule.properties.values_list("pk", flat=True)) if rule.pk else []
    return rule.property_ids


def eligible(rule: GiftRule) -> QuerySet:
    """Customers the rule's conditions allow (consent, visits, property, tags, a liked category) and
    whose profile fills every placeholder of its gift (as aliases v_<placeholder>); no history, no dates."""
    customers = Customer.objects.filter(
        organization_id=rule.organization_id,
        merged_into__isnull=True,
        consent_surprises=True,
        do_not_contact=False,
        visit_count__gte=rule.min_visits,
    )
    if listed_properties(rule):
        customers = customers.filter(home_property_id__in=listed_properties(rule))
    if rule.tags:
        customers = customers.filter(_tags_condition(rule.tags))
    if rule.preference_category:
        customers = customers.filter(
            Exists(
                Preference.objects.filter(
                    customer=OuterRef("pk"), category=rule.preference_category, polarity=Polarity.LIKES
                )
            )
        )
    _gift, values = gift_expression(rule.gift)
    return customers.alias(**values).filter(**{f"{name}__isnull": False for name in values})


def candidates(
    rule: GiftRule, *, today: date, now: datetime, homes: list[int] | None = None, homeless: bool = True
) -> QuerySet | None:
    """The rule's new delights as a SELECT of COLUMNS, or None when it has nothing to plan today. homes: only
    the guests of these properties (and, with homeless, those without a home property) — the places where
    it is today; None: every guest."""
    customers = eligible(rule)
    if homes is not None:
        here = Q(home_property_id__in=homes)
        customers = customers.filter(here | Q(home_property__isnull=True) if homeless else here)
    given = Delight.objects.given().filter(rule=rule, customer=OuterRef("pk"))
    cooldown, cap = rule.gifts_blocking(now)
    if cooldown is not None:
        customers = customers.exclude(Exists(given.filter(cooldown)))
    if cap is not None:
        # At most yearly_cap rows: an OFFSET probe instead of a count.
        recent = given.filter(cap).values("id").order_by("id")
        customers = customers.exclude(Exists(recent[rule.yearly_cap - 1 : rule.yearly_cap]))

    if rule.trigger in (Trigger.BIRTHDAY, Trigger.ANNIVERSARY):
        match, cases = date_condition(rule.trigger, _dates_in_window(today, rule.window_days))
        customers = customers.filter(match)
        key = CaseExpr(
            *(When(q, then=Value(f"{rule.trigger}:{day.year}")) for q, day in cases), output_field=CharField()
        )
        occasion_on = CaseExpr(*(When(q, then=Value(day)) for q, day in cases), output_field=DateField())
        expires_at = CaseExpr(*(When(q, then=Value(end_of(day))) for q, day in cases), output_field=DateTimeField())
        reason = Value(str(Trigger(rule.trigger).label))
    elif rule.trigger == Trigger.RETURN_AFTER_ABSENCE:
        threshold = now - timedelta(days=rule.absence_days)
        customers = customers.filter(
            last_seen__lte=threshold, last_seen__gt=threshold - timedelta(days=ABSENCE_CATCH_UP_DAYS)
        )
        key = Concat(Value("return:"), Cast(TruncDate("last_seen"), CharField()), output_field=CharField())
        occasion_on = Value(today, output_field=DateField())
        expires_at = Value(None, output_field=DateTimeField())  # waits for their return
        reason = Value("Away for a while")
    else:
        return None

    gift, _values = gift_expression(rule.gift)  # over the aliases eligible() defined
    annotations = {
        "p_organization_id": Value(rule.organization_id, output_field=IntegerField()),
        "p_customer_id": F("pk"),
        "p_rule_id": Value(rule.pk, output_field=IntegerField()),
        # The customer's home property when the rule is of some properties or its budget is per property
        # (delivering charges that property's row); before properties were a list, the rule's one property.
        "p_property_id": (
            F("home_property_id")
            if listed_properties(rule) or rule.budget_per_property
            else Value(None, output_field=IntegerField())
        ),
        "p_occasion_key": key,
        "p_gift": gift,
        "p_reason": reason,
        "p_cost": Value(rule.cost, output_field=DecimalField(max_digits=10, decimal_places=2)),
        "p_status": Value(DelightStatus.SUGGESTED),
        "p_occasion_on": occasion_on,
        "p_expires_at": expires_at,
        "p_created_at": Value(now, output_field=DateTimeField()),
        "p_updated_at": Value(now, output_field=DateTimeField()),
    }
    customers = customers.annotate(**annotations)
    return customers.order_by().values_list(*annotations)


def _budget_allows_today(rule: GiftRule, today: date) -> bool:
    """Per property, the planner suggests (delivering charges and refuses); rule-wide, not when spent."""
    if rule.monthly_budget is None or rule.budget_per_property:
        return True
    spent = (
        GiftSpend.objects.filter(rule=rule, month=GiftSpend.month_of(today), property__isnull=True)
        .values_list("spent", flat=True)
        .first()
        or 0
    )
    return budget_allows(rule, spent, rule.cost)


def plan_rule(
    rule: GiftRule, *, today: date, now: datetime, homes: list[int] | None = None, homeless: bool = True
) -> int:
    """New suggested delights of one rule (how many) for the guests of homes (None: all) on the day it is
    there: one INSERT … SELECT … ON CONFLICT DO NOTHING."""
    select = candidates(rule, today=today, now=now, homes=homes, homeless=homeless)
    if select is None or not _budget_allows_today(rule, today):
        return 0
    sql, params = select.query.sql_with_params()
    table = Delight._meta.db_table
    insert = (
        f"INSERT INTO {table} ({', '.join(COLUMNS)}) {sql} "  # noqa: S608 - identifiers are ours; values are params
        "ON CONFLICT (rule_id, customer_id, occasion_key) DO NOTHING RETURNING property_id"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The per-row subplans inflate the cost estimate past jit_above_cost: compiling then took ~600 ms of
            # a 650 ms statement (bench/run rules). The scan itself is simple; plain execution is faster.
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(insert, params)
        places = Counter(property_id for (property_id,) in cursor.fetchall())
    metrics_count_events(
        organization_id=rule.organization_id,
        happened=[(place, None, now, {"delights_suggested": n}) for place, n in places.items()],
    )
    return sum(places.values())


def rule_place(rule: GiftRule) -> Property | None:
    """The rule's own place, whose clock its preview reads: its first listed property, else its organization's
    first property (where guests without a home property belong)."""
    listed = listed_properties(rule)
    if listed:
        return Property.objects.filter(pk=min(listed)).first()
    return Property.objects.default_of(rule.organization_id)


def rule_days(rule: GiftRule, now: datetime) -> dict[date, tuple[list[int], bool]]:
    """The day it is at each of the rule's properties (Property.zone), as {day: (property ids, whether guests
    without a home property are planned on it)}. Those guests belong to the organization's first property."""
    listed = listed_properties(rule)
    properties = Property.objects.filter(organization_id=rule.organization_id).order_by("pk")
    if listed:
        properties = properties.filter(pk__in=listed)
    days: dict[date, tuple[list[int], bool]] = {}
    for position, place in enumerate(properties.only("pk", "timezone", "organization_id")):
        day = now.astimezone(zone_of(place)).date()
        ids, homeless = days.get(day, ([], False))
        days[day] = ([*ids, place.pk], homeless or (position == 0 and not listed))
    if not days:  # an organization without properties yet: its guests on UTC's day
        days[now.astimezone(zone_of(None)).date()] = ([], True)
    return days


def delights_plan_nightly(*, now: datetime | None = None, organization_id: int | None = None) -> dict[int, int]:
    """Run every live, active, in-date birthday / anniversary / absence rule; {rule id: new delights}.

    Each property's guests are planned on the day it is there, and whether the rule is live is asked for that
    day. One transaction per rule, so a big organization does not hold one long transaction."""
    now = now or timezone.now()
    rules = (
        GiftRule.objects.live()
        .filter(active=True)
        .filter(trigger__in=PLANNED_TRIGGERS)
        .order_by("organization_id", "-priority", "id")
    )
    if organization_id is not None:
        rules = rules.filter(organization_id=organization_id)
    created = {}
    for rule in rules:
        places = [
            (today, homes, homeless)
            for today, (homes, homeless) in sorted(rule_days(rule, now).items())
            if GiftRule.objects.live_on(today).filter(pk=rule.pk).exists()
        ]
        if not places:
            continue
        with transaction.atomic():
            created[rule.pk] = count = sum(
                plan_rule(rule, today=today, now=now, homes=homes, homeless=homeless)
                for today, homes, homeless in places
            )
            if count:
                delights_suggested.send(sender=GiftRule, rule=rule, count=count, since=now)
    return created
