"""The preview a manager reads before saving a rule: over the last 90 days, how often would it have fired,
for how many guests, at what cost — from the real contacts, issues and customer dates.

Birthdays and anniversaries come round once in 90 days: one COUNT with the planner's conditions. For visits
and issues the database finds the occasions (visits and the visit before each, resolved issues); conditions,
placeholders, cooldown and the yearly cap are then applied in Python to those occasions only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone

from crm.models import VISIT_KINDS, Contact, Customer, Issue, IssueStatus, Organization, Polarity, Preference
from personalization.gifts.engine import SEVERITY_RANK
from personalization.gifts.rules import fill, top_likes
from personalization.gifts.services.planner import date_condition, eligible, listed_properties
from personalization.models import GiftRule, Trigger

DAYS = 90
MONTHS = Decimal(3)  # 90 days of a monthly budget
BATCH = 5_000  # customer ids per statement


@dataclass(frozen=True)
class Backtest:
    days: int
    fired: int
    guests: int
    cost: Decimal
    budget: Decimal | None  # three months of the monthly budget
    percent_of_budget: int | None

    @property
    def over_budget(self) -> bool:
        return self.budget is not None and self.cost > self.budget


def _occasions(
    rule: GiftRule, organization: Organization, start: datetime, now: datetime
) -> list[tuple[int, datetime]]:
    """(customer id, when) for every occasion of a visit or issue trigger in the period, before conditions."""
    customers = Customer.objects.filter(organization=organization, merged_into__isnull=True)
    if rule.trigger == Trigger.FIRST_VISIT:
        return list(customers.filter(first_seen__gte=start).values_list("pk", "first_seen"))
    if rule.trigger == Trigger.ISSUE_RESOLVED:
        issues = Issue.objects.filter(customer__in=customers, resolved_at__gte=start).exclude(status=IssueStatus.OPEN)
        least = SEVERITY_RANK.get(rule.min_severity, 0)
        return [
            (customer_id, resolved_at)
            for customer_id, resolved_at, severity in issues.values_list("customer_id", "resolved_at", "severity")
            if SEVERITY_RANK.get(severity, 0) >= least
        ]
    visits = Contact.objects.filter(customer__in=customers, kind__in=VISIT_KINDS)
    if rule.trigger == Trigger.NTH_VISIT:
        # The nth visit in the period is a visit with n - 1 visits before it.
        earlier = (
            visits.filter(customer=OuterRef("customer"), occurred_at__lt=OuterRef("occurred_at"))
            .order_by()
            .values("customer")
        )
        counted = earlier.annotate(n=Count("pk")).values("n")
        rows = visits.filter(occurred_at__gte=start).annotate(before=Subquery(counted))
        return [
            (c, at)
            for c, at, before in rows.values_list("customer_id", "occurred_at", "before")
            if (before or 0) + 1 == rule.visit_number
        ]
    if rule.trigger == Trigger.RETURN_AFTER_ABSENCE:
        previous = (
            visits.filter(customer=OuterRef("customer"), occurred_at__lt=OuterRef("occurred_at"))
            .order_by("-occurred_at")
            .values("occurred_at")[:1]
        )
        rows = visits.filter(occurred_at__gte=start).annotate(previous=Subquery(previous))
        gap = timedelta(days=rule.absence_days)
        return [
            (c, at)
            for c, at, before in rows.values_list("customer_id", "occurred_at", "previous")
            if before is not None and at - before >= gap
        ]
    return []


def backtest(*, rule: GiftRule, organization: Organization, now: datetime | None = None) -> Backtest:
    """What the rule (saved or not) would have done over the last 90 days."""
    now = now or timezone.now()
    start = now - timedelta(days=DAYS)
    if rule.trigger in (Trigger.BIRTHDAY, Trigger.ANNIVERSARY):
        # A yearly date comes round once in 90 days: one COUNT of the guests it allows, as the planner selects them.
        today = timezone.localdate(now)
        match, _cases = date_condition(rule.trigger, [today - timedelta(days=i) for i in range(DAYS + 1)])
        fired = eligible(rule).filter(match).count()
        return _result(rule, fired, fired)
    occasions = sorted(_occasions(rule, organization, start, now), key=lambda o: o[1])
    ids = sorted({customer_id for customer_id, _when in occasions})
    customers: dict[int, Customer] = {}
    preferences = defaultdict(list)
    # In batches: a big organization has tens of thousands of birthdays in 90 days, more ids than one
    # statement may bind (PostgreSQL: 65,535 parameters; SQLite: 32,766).
    for i in range(0, len(ids), BATCH):
        batch = ids[i : i + BATCH]
        customers.update(
            (c.pk, c)
            for c in Customer.objects.filter(pk__in=batch).filter(
                Q(consent_surprises=True), Q(do_not_contact=False), Q(visit_count__gte=rule.min_visits)
            )
        )
        for p in Preference.objects.filter(customer_id__in=batch, polarity=Polarity.LIKES):
            preferences[p.customer_id].append(p)
    listed = set(listed_properties(rule))
    if listed:
        customers = {pk: c for pk, c in customers.items() if c.home_property_id in listed}
    wanted = {t.lower() for t in rule.tags or ()}
    given: dict[int, list[datetime]] = defaultdict(list)
    for customer_id, when in occasions:
        customer = customers.get(customer_id)
        if customer is None:
            continue
        if wanted and not wanted & {t.lower() for t in customer.tags or ()}:
            continue
        if rule.preference_category and rule.preference_category not in {p.category for p in preferences[customer_id]}:
            continue
        if fill(rule.gift, customer=customer, favorites=top_likes(preferences[customer_id])) is None:
            continue
        if not rule.allows_after(given[customer_id], when):
            continue
        given[customer_id].append(when)
    return _result(rule, sum(len(v) for v in given.values()), len(given))


def _result(rule: GiftRule, fired: int, guests: int) -> Backtest:
    cost = rule.cost * fired
    budget = None if rule.monthly_budget is None else rule.monthly_budget * MONTHS
    percent = None if not budget else round(cost * 100 / budget)
    return Backtest(DAYS, fired, guests, cost, budget, percent)
