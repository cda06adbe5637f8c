"""Today's arrivals at a property, each with what to prepare at a glance (issue 13): the front desk's morning.

One read for the whole board, set-based: the stays with their guests, then the safety needs, the issues to
repair and the gift rules' past delights of every arriving guest in one query each, and the gift rules live
at the property on the arrival day once — never a brief per guest (bench/run arrivals compares the board with
one brief). The gift rules are evaluated as the brief evaluates them (personalization.gifts.engine.evaluate),
for the arrival day, without recording anything: the board suggests, the card offers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import F
from django.utils import timezone

from crm.models import Issue, IssueStatus, Preference, Property, Stay, StayStatus
from crm.partial_dates import next_occurrence
from personalization.brief.build import Occasion
from personalization.brief.inputs import rules_for_day
from personalization.gifts.engine import Candidate, evaluate
from personalization.models import Delight, PastDelight

# A complaint resolved this recently is still worth a word at the next arrival.
RECENTLY_RESOLVED = timedelta(days=30)
# Stays that are arriving (or arrived) on the day; cancelled and no-show ones are not on the board.
ON_THE_BOARD = (StayStatus.EXPECTED, StayStatus.IN_HOUSE)
VIP_TAG = "vip"


@dataclass
class Arrival:
    """One arriving guest and what to prepare."""

    stay: Stay
    safety: list[Preference] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    delights: list[Candidate] = field(default_factory=list)
    occasions: list[tuple[str, date]] = field(default_factory=list)

    @property
    def customer(self):
        return self.stay.customer

    @property
    def vip(self) -> bool:
        return any(tag.strip().lower() == VIP_TAG for tag in self.customer.tags or ())

    @property
    def first_visit(self) -> bool:
        """No visit before this stay (its own check-in, once logged, does not count)."""
        return self.customer.visit_count - (1 if self.stay.arrival_contact_id else 0) <= 0

    @property
    def pronunciation(self) -> bool:
        customer = self.customer
        return bool(customer.pronunciation or customer.pronunciation_ipa or customer.pronunciation_audio)

    @property
    def needs_something(self) -> bool:
        """Something to prepare or say beyond the name: safety, a repair, a delight, an occasion, a VIP."""
        return bool(self.safety or self.issues or self.delights or self.occasions or self.vip)


def arrivals_for(*, property: Property, day: date, now: datetime | None = None) -> list[Arrival]:
    """The guests arriving at property on day (expected or already in house), those still to check in first,
    each group in the order the stays came in."""
    now = now or timezone.now()
    stays = list(
        Stay.objects.filter(property=property, arrival=day, status__in=ON_THE_BOARD)
        .select_related("customer")
        .order_by(F("checked_in_at").asc(nulls_first=True), "id")
    )
    board = [Arrival(stay) for stay in stays]
    by_customer: dict[int, list[Arrival]] = defaultdict(list)
    for arrival in board:
        by_customer[arrival.customer.pk].append(arrival)
    ids = list(by_customer)
    if not ids:
        return []
    preferences: dict[int, list[Preference]] = defaultdict(list)
    # What the board and the engine read of a preference (safety, top likes, categories), nothing more.
    shown = ("customer_id", "category", "text", "polarity", "safety_critical", "times_confirmed", "last_confirmed_at")
    for preference in Preference.objects.filter(customer_id__in=ids).only(*shown):
        preferences[preference.customer_id].append(preference)
    issues: dict[int, list[Issue]] = defaultdict(list)
    active = (IssueStatus.OPEN, IssueStatus.IN_PROGRESS)
    for issue in Issue.objects.filter(customer_id__in=ids).order_by("-opened_at"):
        if issue.status in active or (issue.resolved_at and now - issue.resolved_at < RECENTLY_RESOLVED):
            issues[issue.customer_id].append(issue)
    rules = rules_for_day(organization_id=property.organization_id, property_id=property.pk, day=day)
    past: dict[tuple[int, int], list[PastDelight]] = defaultdict(list)
    for delight in Delight.objects.filter(rule__in=rules, customer_id__in=ids):
        past[(delight.customer_id, delight.rule_id)].append(PastDelight.of(delight))
    for customer_id, arrivals in by_customer.items():
        customer = arrivals[0].customer
        # The rules as this guest meets them: their own delights of each. Set on the shared rows, one guest at a
        # time (a copy of every rule for every guest cost more than the rest of the board); nothing after
        # evaluate reads `past` (a Candidate keeps the rule for its id and cost).
        for rule in rules:
            rule.past = past[(customer_id, rule.pk)]
        suggested = evaluate(
            customer=customer,
            property_id=property.pk,
            preferences=preferences[customer_id],
            issues=issues[customer_id],
            now=now,
            rules=rules,
            today=day,
        )
        for arrival in arrivals:
            arrival.safety = [p for p in preferences[customer_id] if p.safety_critical]
            arrival.issues = issues[customer_id]
            arrival.delights = suggested
            arrival.occasions = occasions_during(customer, arrival.stay.arrival, arrival.stay.departure)
    return board


def occasions_during(customer, arrival: date, departure: date) -> list[tuple[str, date]]:
    """(birthday or anniversary, the day it is celebrated) for each falling between arrival and departure."""
    found = []
    for occasion, when in ((Occasion.BIRTHDAY, customer.birthday), (Occasion.ANNIVERSARY, customer.anniversary)):
        if when is not None:
            on = next_occurrence(when.month, when.day, arrival)
            if on <= departure:
                found.append((occasion, on))
    return found
