"""Which gift rules apply to one customer at a contact, best first (priority, then the closest occasion).

The rules come with this month's spending and the customer's delights of each rule, as the brief reads
them in its one statement (personalization.brief.inputs); the preferences and issues come from the brief,
which has read them already. Which rules are live, and the cooldown, are defined on GiftRule.

The engine reads the customer, preferences and issues by their fields only: the brief passes model instances,
the arrivals board (personalization.arrivals) its light rows of 500 guests (Guest, Liked, Repair), which have
the same fields and answer address_name() with Customer's own definition.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from crm.models import Customer, Issue, IssueStatus, Polarity, Preference, Severity
from crm.partial_dates import next_occurrence
from personalization.gifts.rules import fill, top_likes
from personalization.models import GiftRule, PastDelight, Trigger

SEVERITY_RANK = {Severity.LOW: 0, Severity.MEDIUM: 1, Severity.HIGH: 2}
ISSUE_RESOLVED_WITHIN_DAYS = 30


@dataclass
class Candidate:
    """A rule that applies now, and the delight it means (existing when already recorded)."""

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


def end_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def _date_reason(trigger: str, days: int) -> str:
    if trigger == Trigger.BIRTHDAY:
        if days == 0:
            return _("Birthday today")
        return ngettext("Birthday in %(days)d day", "Birthday in %(days)d days", days) % {"days": days}
    if days == 0:
        return _("Anniversary today")
    return ngettext("Anniversary in %(days)d day", "Anniversary in %(days)d days", days) % {"days": days}


def _occasions(rule: GiftRule, customer: Customer, issues: Iterable[Issue], now: datetime, today: date):
    """(key, closeness in days, date, expires, reason) for each occasion of this rule now."""
    trigger = rule.trigger
    if trigger in (Trigger.BIRTHDAY, Trigger.ANNIVERSARY):
        month, day = getattr(customer, f"{trigger}_month"), getattr(customer, f"{trigger}_day")
        if not (month and day):
            return
        occurrence = next_occurrence(month, day, today)
        days = (occurrence - today).days
        if days <= rule.window_days:
            yield f"{trigger}:{occurrence.year}", days, occurrence, end_of(occurrence), _date_reason(trigger, days)
    elif trigger == Trigger.FIRST_VISIT:
        if customer.visit_count == 0:
            yield "first_visit", 0, today, end_of(today), _("First visit")
    elif trigger == Trigger.NTH_VISIT:
        if customer.visit_count + 1 == rule.visit_number:
            reason = _("Visit number %(n)d") % {"n": rule.visit_number}
            yield f"visit:{rule.visit_number}", 0, today, end_of(today), reason
    elif trigger == Trigger.RETURN_AFTER_ABSENCE:
        if customer.last_seen is not None:
            away = (now - customer.last_seen).days
            if away >= rule.absence_days:
                key = f"return:{timezone.localdate(customer.last_seen).isoformat()}"
                yield key, 0, today, end_of(today), _("Back after %(days)d days away") % {"days": away}
    elif trigger == Trigger.MANUAL:
        # Never suggested by itself: only what staff offered by hand and is still open.
        for d in rule.past:
            if d.is_open(now) and d.expires_at is not None:
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
                reason = _("After “%(summary)s” was resolved") % {"summary": issue.summary}
                yield f"issue:{issue.pk}", days, timezone.localdate(issue.resolved_at), end_of(today), reason


def _conditions_hold(rule: GiftRule, customer: Customer, categories: set[str], tags: set[str]) -> bool:
    if rule.tags and not tags & {t.lower() for t in rule.tags}:
        return False
    if rule.preference_category and rule.preference_category not in categories:
        return False
    return customer.visit_count >= rule.min_visits


def budget_allows(rule: GiftRule, spent: Decimal, cost: Decimal) -> bool:
    """The rule's month (or property's month) can still pay for a gift of this cost."""
    return rule.monthly_budget is None or rule.monthly_budget - spent >= cost


def evaluate(
    *,
    customer: Customer,
    property_id: int | None,
    preferences: list[Preference],
    issues: list[Issue],
    now: datetime | None = None,
    rules: list[GiftRule] | None = None,
    today: date | None = None,
) -> list[Candidate]:
    """The rules that apply to this customer now, best first: higher priority, then the closer occasion.

    A rule is left out when a condition fails, the occasion was already delivered, declined or expired,
    the cooldown or yearly cap forbids it (GiftRule.allows_again), the budget left is below the cost, or a
    placeholder of its gift cannot be filled from the customer. rules: as personalization.brief.inputs
    reads them (the brief passes its own); read here in one query when not given."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)  # the brief passes the day at the property
    if not customer.consent_surprises or customer.do_not_contact:
        return []
    if rules is None:
        from personalization.brief.inputs import load_rules  # the brief's module imports this one

        rules = load_rules(customer=customer, property_id=property_id, today=today)
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
            if existing is not None and not existing.is_open(now):
                continue  # this occasion is over: delivered, declined or expired
            if existing is None and not rule.allows_again(rule.past, now):
                continue
            if not budget_allows(rule, rule.spent_this_month, existing.cost if existing else rule.cost):
                continue
            gift = existing.gift if existing else fill(rule.gift, customer=customer, favorites=favorites)
            if gift is None:
                continue
            candidates.append(Candidate(rule, key, gift, reason, closeness, occasion_on, expires_at, existing))
            break  # one occasion per rule at a time
    candidates.sort(key=lambda c: (-c.rule.priority, c.closeness, c.rule.pk))
    return candidates
