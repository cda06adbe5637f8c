"""Which gift rules apply to one customer at a contact, best first (priority, then the closest occasion).

The rules come with this month's spending and the customer's delights of each rule, as the brief reads
them in its one statement (personalization.brief.inputs); the preferences and issues come from the brief,
which has read them already. Which rules are live, and the cooldown, are defined on GiftRule.

The engine reads the customer, preferences and issues by their fields only: the brief passes model instances,
the arrivals board (personalization.arrivals) its light rows of 500 guests (Guest, Liked, Repair), which have
the same fields and answer address_name() with Customer's own definition.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import NotRequired, TypedDict, Unpack

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from crm.models import Customer, Issue, IssueStatus, Polarity, Preference, Property, Severity
from crm.partial_dates import next_occurrence
from personalization.gifts.rules import favorites_said, fill, top_likes
from personalization.models import GiftRule, PastDelight, Trigger
from personalization.touches.policy import zone_of

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


def guest_today(*, organization_id: int, property_id: int | None, home_property_id: int | None, now: datetime) -> date:
    """The day it is where the guest is (Property.objects.clock_of): the day the gift rules are asked about."""
    place = Property.objects.clock_of(
        organization_id=organization_id, property_id=property_id, home_property_id=home_property_id
    )
    return now.astimezone(zone_of(place)).date()


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


def _words(trigger: str) -> str:
    """Why a rule of this (undated) trigger applies, in the active language, its value still to fill in."""
    if trigger == Trigger.FIRST_VISIT:
        return _("First visit")
    if trigger == Trigger.NTH_VISIT:
        return _("Visit number %(n)d")
    if trigger == Trigger.RETURN_AFTER_ABSENCE:
        return _("Back after %(days)d days away")
    if trigger == Trigger.MANUAL:
        return _("Offered by staff")
    return _("After “%(summary)s” was resolved")


def welcomes_surprises(customer: Customer) -> bool:
    """Gifts are suggested only to a guest who agreed to surprises and may be contacted."""
    return customer.consent_surprises and not customer.do_not_contact


# The customer's fields a dated trigger reads.
_DATE_FIELDS = {
    Trigger.BIRTHDAY: ("birthday_month", "birthday_day"),
    Trigger.ANNIVERSARY: ("anniversary_month", "anniversary_day"),
}

Occasion = tuple[str, int, date, datetime, str]  # key, closeness in days, date, expires, reason


def _closeness(occasion: Occasion) -> int:
    return occasion[1]


class RulesAt:
    """The live rules at one moment, ready to meet one customer after another: the brief meets one, the arrivals
    board hundreds (personalization.arrivals). What depends only on the moment and the rules (the end of each
    day an occasion falls on, the current zone, each rule's tags and trigger, the reasons' words) is worked out
    here once, not per customer and occasion: for the bench's board of 500 guests and 8 rules, that halved the
    engine's time (bench/run arrivals; docs/benchmarks.md)."""

    def __init__(self, rules: list[GiftRule], *, now: datetime, today: date) -> None:
        self.rules = rules
        self.now = now
        self.today = today
        self.zone = timezone.get_current_timezone()
        # Each rule with what is asked of every customer, worked out once: the visits it needs, its tags in lower
        # case, the liked category it needs, whether its gift says a favourite, and the finder of its occasions.
        self._rules = [
            (
                rule,
                rule.min_visits,
                {tag.lower() for tag in rule.tags},
                rule.preference_category,
                bool(favorites_said(rule.gift)),
                _FINDERS.get(rule.trigger, RulesAt._never),
            )
            for rule in rules
        ]
        self._ends: dict[date, datetime] = {}
        self._said: dict[str | tuple[str, int], str] = {}
        # What the rules read of a customer at all: their liked categories, their tags.
        self._categories = any(rule.preference_category for rule in rules)
        self._tagged = any(rule.tags for rule in rules)

    def liked_categories(self) -> set[str]:
        """The categories of the customer's likes the rules read: a category a rule asks for, a favourite its gift
        says ({favorite_drink}). The engine reads no other preference."""
        return {
            category
            for rule in self.rules
            for category in (rule.preference_category, *favorites_said(rule.gift))
            if category
        }

    def end_of(self, day: date) -> datetime:
        """end_of(day), once per day."""
        end = self._ends.get(day)
        if end is None:
            end = self._ends[day] = end_of(day)
        return end

    def say(self, trigger: str, value: int | str = 0) -> str:
        """Why a rule of this trigger applies, in the active language; value: the days to the date or since the
        last visit, the visit's number, or the resolved issue's summary. Each trigger's words are translated
        once per moment (gettext cost more than a rule's evaluation), a date's once per number of days (plurals)."""
        dated = trigger in _DATE_FIELDS
        key = (trigger, value) if dated else trigger
        words = self._said.get(key)
        if words is None:
            words = self._said[key] = _date_reason(trigger, value) if dated else _words(trigger)
        return words if dated else words % {"n": value, "days": value, "summary": value}

    def evaluate(
        self,
        *,
        customer: Customer,
        preferences: list[Preference],
        issues: list[Issue],
        past: Mapping[int, list[PastDelight]] | None = None,
    ) -> list[Candidate]:
        """evaluate() at this moment. past: the customer's delights by rule id; without it, each rule's own
        (rule.past, as the brief reads them with its rules)."""
        if not welcomes_surprises(customer):
            return []
        now, visits = self.now, customer.visit_count
        favorites: dict[str, str] | None = None  # top_likes, once a gift says a favourite
        categories = {p.category for p in preferences if p.polarity == Polarity.LIKES} if self._categories else ()
        tags = {t.lower() for t in customer.tags or ()} if self._tagged else set()
        candidates = []
        for rule, min_visits, rule_tags, category, says_favorite, occasions_of in self._rules:
            if visits < min_visits:
                continue
            if rule_tags and not tags & rule_tags:
                continue
            if category and category not in categories:
                continue
            given = rule.past if past is None else past.get(rule.id, ())
            occasions = occasions_of(self, rule, customer, issues, given)
            if not occasions:
                continue
            if len(occasions) > 1:
                occasions.sort(key=_closeness)
            for key, closeness, occasion_on, expires_at, reason in occasions:
                existing = next((d for d in given if d.occasion_key == key), None) if given else None
                if existing is not None and not existing.is_open(now):
                    continue  # this occasion is over: delivered, declined or expired
                if existing is None and not rule.allows_again(given, now):
                    continue
                if not budget_allows(rule, rule.spent_this_month, existing.cost if existing else rule.cost):
                    continue
                if existing is not None:
                    gift = existing.gift
                else:
                    if says_favorite and favorites is None:
                        favorites = top_likes(preferences)
                    gift = fill(rule.gift, customer=customer, favorites=favorites or {})
                if gift is None:
                    continue
                candidates.append(Candidate(rule, key, gift, reason, closeness, occasion_on, expires_at, existing))
                break  # one occasion per rule at a time
        candidates.sort(key=lambda c: (-c.rule.priority, c.closeness, c.rule.pk))
        return candidates

    # Each trigger's occasions now, for this customer with these delights of the rule (found by the rule's
    # trigger once per moment: _FINDERS).

    def _dated(self, rule: GiftRule, customer: Customer, issues: Iterable[Issue], given) -> list[Occasion]:
        month_field, day_field = _DATE_FIELDS[rule.trigger]
        month, day = getattr(customer, month_field), getattr(customer, day_field)
        if not (month and day):
            return []
        today = self.today
        occurrence = next_occurrence(month, day, today)
        days = (occurrence - today).days
        if days > rule.window_days:
            return []
        reason = self.say(rule.trigger, days)
        return [(f"{rule.trigger}:{occurrence.year}", days, occurrence, self.end_of(occurrence), reason)]

    def _first_visit(self, rule: GiftRule, customer: Customer, issues: Iterable[Issue], given) -> list[Occasion]:
        if customer.visit_count != 0:
            return []
        return [("first_visit", 0, self.today, self.end_of(self.today), self.say(rule.trigger))]

    def _nth_visit(self, rule: GiftRule, customer: Customer, issues: Iterable[Issue], given) -> list[Occasion]:
        if customer.visit_count + 1 != rule.visit_number:
            return []
        reason = self.say(rule.trigger, rule.visit_number)
        return [(f"visit:{rule.visit_number}", 0, self.today, self.end_of(self.today), reason)]

    def _return(self, rule: GiftRule, customer: Customer, issues: Iterable[Issue], given) -> list[Occasion]:
        if customer.last_seen is None:
            return []
        away = (self.now - customer.last_seen).days
        if away < rule.absence_days:
            return []
        key = f"return:{customer.last_seen.astimezone(self.zone).date().isoformat()}"
        reason = self.say(rule.trigger, away)
        return [(key, 0, self.today, self.end_of(self.today), reason)]

    def _manual(self, rule: GiftRule, customer: Customer, issues: Iterable[Issue], given) -> list[Occasion]:
        # Never suggested by itself: only what staff offered by hand and is still open.
        return [
            (d.occasion_key, 0, self.today, d.expires_at, self.say(rule.trigger))
            for d in given
            if d.is_open(self.now) and d.expires_at is not None
        ]

    def _issue_resolved(self, rule: GiftRule, customer: Customer, issues: Iterable[Issue], given) -> list[Occasion]:
        now, least = self.now, SEVERITY_RANK.get(rule.min_severity, 0)
        found = []
        for issue in issues:
            if (
                issue.status == IssueStatus.RESOLVED
                and issue.resolved_at is not None
                and now - issue.resolved_at <= timedelta(days=ISSUE_RESOLVED_WITHIN_DAYS)
                and SEVERITY_RANK.get(issue.severity, 0) >= least
            ):
                days = (now - issue.resolved_at).days
                reason = self.say(rule.trigger, issue.summary)
                resolved_on = issue.resolved_at.astimezone(self.zone).date()
                found.append((f"issue:{issue.pk}", days, resolved_on, self.end_of(self.today), reason))
        return found

    def _never(self, rule: GiftRule, customer: Customer, issues: Iterable[Issue], given) -> list[Occasion]:
        return []


_FINDERS = {
    Trigger.BIRTHDAY.value: RulesAt._dated,
    Trigger.ANNIVERSARY.value: RulesAt._dated,
    Trigger.FIRST_VISIT.value: RulesAt._first_visit,
    Trigger.NTH_VISIT.value: RulesAt._nth_visit,
    Trigger.RETURN_AFTER_ABSENCE.value: RulesAt._return,
    Trigger.MANUAL.value: RulesAt._manual,
    Trigger.ISSUE_RESOLVED.value: RulesAt._issue_resolved,
}


def budget_allows(rule: GiftRule, spent: Decimal, cost: Decimal) -> bool:
    """The rule's month (or property's month) can still pay for a gift of this cost."""
    return rule.monthly_budget is None or rule.monthly_budget - spent >= cost


class Situation(TypedDict):
    """A guest's moment the rules are evaluated at (evaluate(), delights_suggest()): the customer with their
    preferences and issues, at property_id, now (default: the clock), on today (default: the day at the property),
    with rules (default: read in one query)."""

    customer: Customer
    property_id: int | None
    preferences: list[Preference]
    issues: list[Issue]
    now: NotRequired[datetime | None]
    rules: NotRequired[list[GiftRule] | None]
    today: NotRequired[date | None]


def evaluate(**situation: Unpack[Situation]) -> list[Candidate]:
    """The rules that apply to this customer now, best first: higher priority, then the closer occasion.

    A rule is left out when a condition fails, the occasion was already delivered, declined or expired,
    the cooldown or yearly cap forbids it (GiftRule.allows_again), the budget left is below the cost, or a
    placeholder of its gift cannot be filled from the customer. rules: as personalization.brief.inputs
    reads them (the brief passes its own); read here in one query when not given. Many customers at one moment:
    RulesAt."""
    customer, property_id, rules = situation["customer"], situation["property_id"], situation.get("rules")
    now = situation.get("now") or timezone.now()
    today = situation.get("today") or guest_today(  # the brief passes the same day, read in its statement
        organization_id=customer.organization_id,
        property_id=property_id,
        home_property_id=customer.home_property_id,
        now=now,
    )
    if not welcomes_surprises(customer):
        return []
    if rules is None:
        from personalization.brief.inputs import load_rules  # the brief's module imports this one

        rules = load_rules(customer=customer, property_id=property_id, today=today)
    return RulesAt(rules, now=now, today=today).evaluate(
        customer=customer, preferences=situation["preferences"], issues=situation["issues"]
    )
