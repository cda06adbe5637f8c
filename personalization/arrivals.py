"""Today's arrivals at a property, each with what to prepare at a glance (issue 13): the front desk's morning.

The whole board is two statements whatever its size: the gift rules live at the property on the arrival day
(personalization.brief.inputs.rules_for_day), then the stays with their guests and every arriving guest's
preferences, issues and delights of those rules, built into JSON by the database in one statement
(inputs.arrivals_rows). A board of 500 guests is read as the rows below, not as model instances: building
~4,000 instances cost more than everything else on the board (bench/run arrivals). The rows answer the same
questions as the models, with the models' own definitions (a guest's name, address, birthday; a stay's
nights). The gift rules are evaluated as the brief evaluates them (personalization.gifts.engine.evaluate),
for the arrival day, without recording anything: the board suggests, the card offers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from operator import attrgetter
from typing import NamedTuple

from django.utils import timezone

from crm.models import Customer, Issue, Polarity, Preference, PreferenceCategory, Property, StayStatus
from crm.models import Stay as StayModel
from crm.partial_dates import next_occurrence
from personalization.brief.build import Occasion
from personalization.brief.inputs import REPAIR_RECENT_DAYS, arrivals_rows, row_reader, rules_for_day
from personalization.gifts.engine import Candidate, RulesAt
from personalization.models import Delight as DelightModel
from personalization.models import PastDelight

# A complaint resolved this recently is still worth a word at the next arrival (as in the brief's repair).
RECENTLY_RESOLVED = timedelta(days=REPAIR_RECENT_DAYS)
# Stays that are arriving (or arrived) on the day; cancelled and no-show ones are not on the board
# (inputs.arrivals_rows reads these).
ON_THE_BOARD = (StayStatus.EXPECTED, StayStatus.IN_HOUSE)
VIP_TAG = "vip"


@dataclass(slots=True)
class Stay:
    """A stay on the board: the columns it shows."""

    id: int
    arrival: date
    departure: date
    room: str
    party_size: int
    status: str
    checked_in_at: datetime | None
    arrival_contact_id: int | None

    pk = property(lambda self: self.id)
    nights = StayModel.nights


@dataclass(slots=True)
class Guest:
    """An arriving guest: what the board shows and the gift engine reads (its conditions, occasions and the
    gift text's placeholders), answered by Customer's own definitions."""

    id: int
    given_name: str
    family_name: str
    name_order: str
    native_name: str
    preferred_name: str
    salutation: str
    pronunciation: str
    pronunciation_ipa: str
    pronunciation_audio: str
    language: str
    birthday_month: int | None
    birthday_day: int | None
    anniversary_month: int | None
    anniversary_day: int | None
    last_seen: datetime | None
    visit_count: int
    tags: list[str]
    consent_surprises: bool
    do_not_contact: bool

    pk = property(lambda self: self.id)
    display_name = Customer.display_name
    message_language = Customer.message_language
    address_name = Customer.address_name


class Liked(NamedTuple):
    """A preference as the board shows a safety need and the gift engine reads a like (top_likes)."""

    id: int
    category: str
    text: str
    polarity: str
    safety_critical: bool
    times_confirmed: int
    last_confirmed_at: datetime

    @property
    def pk(self) -> int:
        return self.id

    @property
    def category_label(self) -> str:
        return _CATEGORIES.get(self.category, self.category)

    @property
    def polarity_label(self) -> str:
        return _POLARITIES.get(self.polarity, self.polarity)


class Repair(NamedTuple):
    """An issue as the board shows it and the engine reads it (the after-an-issue trigger)."""

    id: int
    summary: str
    status: str
    severity: str
    opened_at: datetime
    resolved_at: datetime | None

    @property
    def pk(self) -> int:
        return self.id


_CATEGORIES = dict(PreferenceCategory.choices)
_POLARITIES = dict(Polarity.choices)

# The columns inputs.arrivals_rows reads of each table: the rows' fields above, and what a past delight is.
COLUMNS = (
    (StayModel, tuple(Stay.__dataclass_fields__)),
    (Customer, tuple(Guest.__dataclass_fields__)),
    (Preference, Liked._fields),
    (Issue, Repair._fields),
    (DelightModel, ("rule_id", *PastDelight.__dataclass_fields__)),
)
_COLUMNS = dict(COLUMNS)
_LIGHT = (Customer, Preference, Issue, StayModel)
# As Preference and Issue order them (reversed): the latest confirmed, the latest opened first.
_CONFIRMED = attrgetter("last_confirmed_at", "id")
_OPENED = attrgetter("opened_at", "id")


@dataclass
class Arrival:
    """One arriving guest and what to prepare."""

    stay: Stay
    customer: Guest
    safety: list[Liked] = field(default_factory=list)
    issues: list[Repair] = field(default_factory=list)
    delights: list[Candidate] = field(default_factory=list)
    occasions: list[tuple[str, date]] = field(default_factory=list)

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
    rules = rules_for_day(organization_id=property.organization_id, property_id=property.pk, day=day)
    book = RulesAt(rules, now=now, today=day)
    rows = arrivals_rows(
        property_id=property.pk,
        day=day,
        resolved_since=now - RECENTLY_RESOLVED,
        rule_ids=[rule.pk for rule in rules],
        liked=book.liked_categories(),
        columns=COLUMNS,
    )
    guest_of, liked_of, repair_of, stay_of = (row_reader(model, _COLUMNS[model]) for model in _LIGHT)
    delight_of = row_reader(DelightModel, _COLUMNS[DelightModel])
    board = []
    for stay, guest, preferences, issues, delights in rows:
        customer = Guest(*guest_of(guest))
        liked = [Liked(*liked_of(p)) for p in preferences]
        safety = [p for p in liked if p.safety_critical]
        safety.sort(key=_CONFIRMED, reverse=True)
        repairs = [Repair(*repair_of(i)) for i in issues]
        repairs.sort(key=_OPENED, reverse=True)
        past: dict[int, list[PastDelight]] = {}
        for rule_id, *delight in map(delight_of, delights):
            past.setdefault(rule_id, []).append(PastDelight(*delight))
        stay = Stay(*stay_of(stay))
        board.append(
            Arrival(
                stay=stay,
                customer=customer,
                safety=safety,
                issues=repairs,
                delights=book.evaluate(customer=customer, preferences=liked, issues=repairs, past=past),
                occasions=occasions_during(customer, stay.arrival, stay.departure),
            )
        )
    # Those still to check in first, each group in the order the stays came in.
    board.sort(key=lambda a: (a.stay.checked_in_at is not None, a.stay.checked_in_at or now, a.stay.id))
    return board


def occasions_during(customer: Guest, arrival: date, departure: date) -> list[tuple[str, date]]:
    """(birthday or anniversary, the day it is celebrated) for each falling between arrival and departure."""
    found = []
    for occasion, month, day in (
        (Occasion.BIRTHDAY, customer.birthday_month, customer.birthday_day),
        (Occasion.ANNIVERSARY, customer.anniversary_month, customer.anniversary_day),
    ):
        if month and day:  # as Customer.birthday and .anniversary say (their year is not read)
            on = next_occurrence(month, day, arrival)
            if on <= departure:
                found.append((occasion, on))
    return found
