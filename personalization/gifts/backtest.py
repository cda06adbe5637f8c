"""The preview a manager reads before saving a rule: month by month, over the last three whole months and this
month so far, how often would it have fired, at what cost against its monthly budget, and on which day that
budget would have run out — from the real contacts, issues and customer dates.

Birthdays and anniversaries: one grouped COUNT with the planner's conditions (how many guests celebrate on
each day). For visits and issues the database finds the occasions (visits and the visit before each, resolved
issues); conditions, placeholders, cooldown and the yearly cap are then applied in Python to those occasions
only. The budget is then spent day by day as delivering would (GiftRule budgets per month, per property when
the rule says so), where each gift is charged to the month of its occasion.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone

from crm.models import VISIT_KINDS, Contact, Customer, Issue, IssueStatus, Organization, Polarity, Preference, Property
from crm.partial_dates import occurrence_in
from personalization.gifts.engine import SEVERITY_RANK, budget_allows
from personalization.gifts.rules import fill, top_likes
from personalization.gifts.services.planner import date_condition, eligible, listed_properties, rule_place
from personalization.models import GiftRule, GiftSpend, Trigger
from personalization.touches.policy import zone_of

WHOLE_MONTHS = 3  # before this one; a monthly budget is compared with whole months
BATCH = 5_000  # customer ids per statement


@dataclass(frozen=True)
class MonthFigure:
    """One month (at one property, when the budget is per property) against the monthly budget."""

    month: date  # its first day
    so_far: bool  # this month, up to today
    property_name: str  # with a budget per property; "" otherwise
    gifts: int  # occasions the rule would have fired on, paid for or not
    cost: Decimal  # what those gifts would have cost
    budget: Decimal | None
    percent: int | None  # cost against the budget
    runs_out_on: date | None  # the day the budget left would fall below one gift's cost
    not_given: int  # gifts after that day: the guests would have gone without


@dataclass(frozen=True)
class Backtest:
    first_day: date
    last_day: date  # today
    fired: int
    guests: int
    cost: Decimal
    months: list[MonthFigure]

    @property
    def over_budget(self) -> bool:
        return any(m.runs_out_on is not None for m in self.months)


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


def _first_day(today: date) -> date:
    first = today.replace(day=1)
    for _month in range(WHOLE_MONTHS):
        first = (first - timedelta(days=1)).replace(day=1)
    return first


def _yearly_fires(rule: GiftRule, first: date, today: date) -> Counter:
    """{(day, home property id): guests} celebrating in the period, as the planner selects them."""
    days = [first + timedelta(days=i) for i in range((today - first).days + 1)]
    match, _cases = date_condition(rule.trigger, days)
    month, day = f"{rule.trigger}_month", f"{rule.trigger}_day"
    rows = eligible(rule).filter(match).values_list(month, day, "home_property_id").annotate(n=Count("pk"))
    fires: Counter = Counter()
    for m, d, home, n in rows.order_by():
        for year in {first.year, today.year}:
            on = occurrence_in(year, m, d)
            if first <= on <= today:
                fires[on, home] += n
    return fires


def backtest(*, rule: GiftRule, organization: Organization, now: datetime | None = None) -> Backtest:
    """What the rule (saved or not) would have done in each of the last three whole months and this one so far."""
    now = now or timezone.now()
    zone = zone_of(rule_place(rule))
    today = now.astimezone(zone).date()
    first = _first_day(today)
    if rule.trigger in (Trigger.BIRTHDAY, Trigger.ANNIVERSARY):
        fires = _yearly_fires(rule, first, today)
        fired = sum(fires.values())
        return _result(rule, organization, fires, fired, fired, first, today)
    start = datetime.combine(first, time.min, zone)
    occasions = sorted(_occasions(rule, organization, start, now), key=lambda o: o[1])
    ids = sorted({customer_id for customer_id, _when in occasions})
    customers: dict[int, Customer] = {}
    preferences = defaultdict(list)
    # In batches: a big organization has tens of thousands of occasions in a few months, more ids than one
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
    fires: Counter = Counter()
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
        fires[when.astimezone(zone).date(), customer.home_property_id] += 1
    return _result(rule, organization, fires, sum(fires.values()), len(given), first, today)


def _result(
    rule: GiftRule, organization: Organization, fires: Counter, fired: int, guests: int, first: date, today: date
) -> Backtest:
    """Each month's gifts spent from its budget day by day, as delivering charges it (GiftSpend)."""
    per_property = rule.budget_per_property and rule.monthly_budget is not None
    homeless = Property.objects.default_of(organization.pk)
    names = dict(Property.objects.filter(organization=organization).values_list("pk", "name"))
    by_month: dict[tuple[date, int | None], list[tuple[date, int]]] = defaultdict(list)
    for (day, home), n in sorted(fires.items(), key=lambda item: (item[0][0], item[0][1] or 0)):
        place = (home or (homeless.pk if homeless else None)) if per_property else None
        by_month[GiftSpend.month_of(day), place].append((day, n))
    months = []
    month = first
    while month <= today:
        places = sorted({p for m, p in by_month if m == month}, key=lambda p: names.get(p, "")) or [None]
        for place in places:
            name = names.get(place, "") if per_property else ""
            months.append(_month(rule, month, month == today.replace(day=1), name, by_month.get((month, place), [])))
        month = (month + timedelta(days=32)).replace(day=1)
    return Backtest(first, today, fired, guests, rule.cost * fired, months)


def _month(rule: GiftRule, month: date, so_far: bool, name: str, days: list[tuple[date, int]]) -> MonthFigure:
    budget = rule.monthly_budget
    spent, gifts, paid, runs_out_on = Decimal(0), 0, 0, None
    for day, n in days:
        for _gift in range(n):
            gifts += 1
            if runs_out_on is not None:
                continue
            if not budget_allows(rule, spent, rule.cost):
                runs_out_on = day  # not even one gift (a budget below the cost)
                continue
            paid += 1
            spent += rule.cost
            if not budget_allows(rule, spent, rule.cost):
                runs_out_on = day  # after this gift the rule would no longer be suggested this month
    cost = rule.cost * gifts
    percent = round(cost * 100 / budget) if budget else None
    return MonthFigure(month, so_far, name, gifts, cost, budget, percent, runs_out_on, gifts - paid)
