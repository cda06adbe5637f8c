"""Which gift rules apply to one customer at a contact, best first (priority, then the closest occasion).

One query reads every live rule of the organization with this month's spending and the customer's
delights of each rule (a filtered LEFT JOIN), whatever the number of rules; the preferences and
issues come from the brief, which has read them already.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Exists, F, FilteredRelation, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from crm.models import Customer, Issue, IssueStatus, Polarity, Preference, Severity
from personalization.gifts.rules import fill, top_likes
from personalization.models import DelightStatus, GiftRule, GiftSpend, Trigger

SEVERITY_RANK = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2}
ISSUE_RESOLVED_WITHIN_DAYS = 30
YEAR = timedelta(days=365)
OPEN = (DelightStatus.SUGGESTED, DelightStatus.PLANNED)


@dataclass(frozen=True)
class PastDelight:
    id: int
    occasion_key: str
    status: str
    gift: str
    cost: Decimal
    created_at: datetime
    delivered_at: datetime | None
    expires_at: datetime | None


@dataclass
class Candidate:
    """A rule that applies now, and the delight it means (existing_id when already recorded)."""

    rule: GiftRule
    occasion_key: str
    gift: str
    reason: str
    closeness: int
    occasion_on: date | None
    expires_at: datetime
    existing: PastDelight | None = None

    @property
    def cost(self) -> Decimal:
        return self.existing.cost if self.existing else self.rule.cost

    @property
    def needs_approval(self) -> bool:
        return needs_approval(self.rule, self.cost)


def needs_approval(rule: GiftRule, cost: Decimal) -> bool:
    """A gift costlier than the rule's approval threshold waits for a manager to plan it."""
    return rule.approval_above is not None and cost > rule.approval_above


def month_of(day: date) -> date:
    return day.replace(day=1)


def next_date(month: int, day: int, today: date) -> date:
    """The next time (today included) a yearly date comes round; 29 February is the 28th in other years."""
    for year in (today.year, today.year + 1):
        last = calendar.monthrange(year, month)[1]
        occurrence = date(year, month, min(day, last))
        if occurrence >= today:
            return occurrence
    raise AssertionError("unreachable")


def end_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def spend_property_id(rule: GiftRule, property_id: int | None) -> int | None:
    """The property of the GiftSpend row a delight at this property charges: none for a rule-wide budget."""
    return property_id if rule.budget_per_property else None


def applies_at(property_id: int | None) -> Q:
    """Rules of every property (none listed), or listing this one."""
    listed = GiftRule.properties.through.objects.filter(giftrule_id=OuterRef("pk"))
    return ~Exists(listed) | Exists(listed.filter(property_id=property_id))


def rules_with_history(*, organization_id: int, property_id: int | None, customer_id: int, today: date) -> list:
    """Live, active, in-date rules with this month's spending (at this property when the budget is per
    property) and, for each, the customer's delights. One query: rows are (rule, one of its delights for
    this customer or nothing)."""
    spent = (
        GiftSpend.objects.filter(rule=OuterRef("pk"), month=month_of(today))
        .filter(
            Q(rule__budget_per_property=False, property__isnull=True)
            | Q(rule__budget_per_property=True, property_id=property_id)
        )
        .values("spent")[:1]
    )
    rows = (
        GiftRule.objects.live()
        .filter(organization_id=organization_id, active=True)
        .filter(applies_at(property_id))
        .filter(Q(starts_on__isnull=True) | Q(starts_on__lte=today), Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .annotate(
            spent_this_month=Coalesce(Subquery(spent), Value(Decimal("0.00"))),
            mine=FilteredRelation("delights", condition=Q(delights__customer_id=customer_id)),
            d_id=F("mine__id"),
            d_key=F("mine__occasion_key"),
            d_status=F("mine__status"),
            d_gift=F("mine__gift"),
            d_cost=F("mine__cost"),
            d_created_at=F("mine__created_at"),
            d_delivered_at=F("mine__delivered_at"),
            d_expires_at=F("mine__expires_at"),
        )
        .order_by("-priority", "id")
    )
    rules: dict[int, GiftRule] = {}
    for row in rows:
        rule = rules.setdefault(row.pk, row)
        if not hasattr(rule, "past"):
            rule.past = []
        if row.d_id is not None:
            fields = (row.d_key, row.d_status, row.d_gift, row.d_cost, row.d_created_at, row.d_delivered_at)
            rule.past.append(PastDelight(row.d_id, *fields, row.d_expires_at))
    return list(rules.values())


def _occasions(rule: GiftRule, customer: Customer, issues: Iterable[Issue], now: datetime, today: date):
    """(key, closeness in days, date, expires, reason) for each occasion of this rule now."""
    trigger = rule.trigger
    if trigger in (Trigger.BIRTHDAY, Trigger.ANNIVERSARY):
        month, day = getattr(customer, f"{trigger}_month"), getattr(customer, f"{trigger}_day")
        if not (month and day):
            return
        occurrence = next_date(month, day, today)
        days = (occurrence - today).days
        if days <= rule.window_days:
            if trigger == Trigger.BIRTHDAY:
                reason = _("Birthday today") if days == 0 else ngettext(
                    "Birthday in %(days)d day", "Birthday in %(days)d days", days) % {"days": days}  # fmt: skip
            else:
                reason = _("Anniversary today") if days == 0 else ngettext(
                    "Anniversary in %(days)d day", "Anniversary in %(days)d days", days) % {"days": days}  # fmt: skip
            yield f"{trigger}:{occurrence.year}", days, occurrence, end_of(occurrence), reason
    elif trigger == Trigger.FIRST_VISIT:
        if customer.visit_count == 0:
            yield "first_visit", 0, today, end_of(today), _("First visit")
    elif trigger == Trigger.NTH_VISIT:
        if customer.visit_count + 1 == rule.visit_number:
            yield (
                f"visit:{rule.visit_number}",
                0,
                today,
                end_of(today),
                _("Visit number %(n)d") % {"n": rule.visit_number},
            )
    elif trigger == Trigger.RETURN_AFTER_ABSENCE:
        if customer.last_seen is not None:
            away = (now - customer.last_seen).days
            if away >= rule.absence_days:
                key = f"return:{timezone.localdate(customer.last_seen).isoformat()}"
                yield key, 0, today, end_of(today), _("Back after %(days)d days away") % {"days": away}
    elif trigger == Trigger.MANUAL:
        # Never suggested by itself: only what staff offered by hand and is still open.
        for d in rule.past:
            if d.status in OPEN and d.expires_at is not None and d.expires_at > now:
                yield d.occasion_key, 0, today, d.expires_at, _("Offered by staff")
    elif trigger == Trigger.ISSUE_RESOLVED:
        least = SEVERITY_RANK.get(rule.min_severity, 0)
        for issue in issues:
            if (
                issue.status == IssueStatus.RESOLVED
                and issue.resolved_at is not None
                and now - issue.resolved_at <= timedelta(days=ISSUE_RESOLVED_WITHIN_DAYS)
                and SEVERITY_RANK.get(issue.severity, 0) >= least
            ):
                days = (now - issue.resolved_at).days
                yield (f"issue:{issue.pk}", days, timezone.localdate(issue.resolved_at),
                       end_of(today), _("After “%(summary)s” was resolved") % {"summary": issue.summary})  # fmt: skip


def _conditions_hold(rule: GiftRule, customer: Customer, categories: set[str], tags: set[str]) -> bool:
    if rule.tags and not tags & {t.lower() for t in rule.tags}:
        return False
    if rule.preference_category and rule.preference_category not in categories:
        return False
    return customer.visit_count >= rule.min_visits


def _budget_allows(rule: GiftRule, cost: Decimal) -> bool:
    return rule.monthly_budget is None or rule.monthly_budget - rule.spent_this_month >= cost


def evaluate(
    *,
    customer: Customer,
    property_id: int | None,
    preferences: list[Preference],
    issues: list[Issue],
    now: datetime | None = None,
    rules: list[GiftRule] | None = None,
) -> list[Candidate]:
    """The rules that apply to this customer now, best first: higher priority, then the closer occasion.

    A rule is left out when a condition fails, the occasion was already delivered, declined or expired,
    the cooldown or yearly cap forbids it, the budget left is below the cost, or a placeholder of its
    gift cannot be filled from the customer. One query (none without surprise consent, or when the
    caller passes the rules as rules_with_history reads them: the brief reads them in its own statement)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    if not customer.consent_surprises or customer.do_not_contact:
        return []
    if rules is None:
        rules = rules_with_history(
            organization_id=customer.organization_id, property_id=property_id, customer_id=customer.pk, today=today
        )
    favorites = top_likes(preferences)
    categories = {p.category for p in preferences if p.polarity == Polarity.LIKES}
    tags = {t.lower() for t in customer.tags or ()}
    candidates = []
    for rule in rules:
        if not _conditions_hold(rule, customer, categories, tags):
            continue
        occasions = sorted(_occasions(rule, customer, issues, now, today), key=lambda o: o[1])
        for key, closeness, occasion_on, expires_at, reason in occasions:
            existing = next((d for d in rule.past if d.occasion_key == key), None)
            if existing is not None and (
                existing.status not in OPEN or (existing.expires_at is not None and existing.expires_at <= now)
            ):
                continue  # this occasion is over: delivered, declined or expired
            if existing is None and not allowed_again(rule, now):
                continue
            if not _budget_allows(rule, existing.cost if existing else rule.cost):
                continue
            gift = existing.gift if existing else fill(rule.gift, customer=customer, favorites=favorites)
            if gift is None:
                continue
            candidates.append(Candidate(rule, key, gift, reason, closeness, occasion_on, expires_at, existing))
            break  # one occasion per rule at a time
    candidates.sort(key=lambda c: (-c.rule.priority, c.closeness, c.rule.pk))
    return candidates


def allowed_again(rule: GiftRule, now: datetime) -> bool:
    """Cooldown and yearly cap, counted on delivered and planned gifts of this rule to this customer."""
    given = [d.delivered_at or d.created_at for d in rule.past if d.status in (DelightStatus.DELIVERED,
                                                                               DelightStatus.PLANNED)]  # fmt: skip
    if any(now - when < timedelta(days=rule.cooldown_days) for when in given):
        return False
    return rule.yearly_cap is None or sum(1 for when in given if now - when < YEAR) < rule.yearly_cap
