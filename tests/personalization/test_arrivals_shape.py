"""The arrivals API's rows, whole (issue 13, API.md "Stays and arrivals"): every key and how each value is written
(dates, times, money, choices), for a guest with something of every kind to prepare, and for one with nothing.
The board is built for speed (bench/run arrivals); its JSON must not move."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from crm import services
from crm.models import Customer
from crm.partial_dates import PartialDate
from crm.services.stays import stay_check_in
from personalization.gifts.services import gift_rule_create
from personalization.models import Delight, GiftRule
from tests.factories import GiftRuleFactory
from tests.personalization.conftest import arriving

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _night_before():
    """01:30 on 2 December in Shanghai, for the fixtures too; the clock stands still (the check-in's time)."""
    with time_machine.travel("2026-12-01T17:30:00Z", tick=False):
        yield


@pytest.fixture
def rich(organization, property_):
    """Lin Mei: VIP, two nights with her birthday and anniversary in them, an allergy, a liked tea, an issue open,
    one lately resolved and one long ago, a delight already suggested, checked in; and Plain, who needs nothing."""
    property_.timezone = "Asia/Shanghai"
    property_.save()
    with time_machine.travel("2026-11-01T03:00:00Z"):
        guest, stay = arriving(
            organization,
            property_,
            "Mei",
            nights=3,
            family_name="Lin",
            native_name="林美",
            salutation="Ms",
            tags=["VIP", "tea lover"],
            birthday=PartialDate(month=12, day=3),
            anniversary=PartialDate(year=2010, month=12, day=4),
            pronunciation="lin MAY",
            pronunciation_ipa="lin meɪ",
        )
        old = services.issue_open(customer=guest, summary="Cold shower", property=property_)
        services.issue_update(issue=old, status="resolved", resolution="Boiler fixed")
    plain, _ = arriving(organization, property_, "Plain")
    services.preference_record(customer=guest, category="allergy", text="Shellfish", polarity="avoid")
    services.preference_record(customer=guest, category="drink", text="Green tea", polarity="likes")
    services.preference_record(customer=guest, category="food", text="Dumplings", polarity="likes")
    services.issue_open(
        customer=guest,
        summary="Slow check-in",
        property=property_,
        severity="high",
        opened_at=timezone.now() - timedelta(hours=2),
    )
    kettle = services.issue_open(customer=guest, summary="Broken kettle", property=property_)
    services.issue_update(issue=kettle, status="resolved", resolution="New kettle")
    Customer.objects.filter(pk=guest.pk).update(visit_count=3, last_seen=timezone.now() - timedelta(days=200))
    GiftRuleFactory(
        organization=organization,
        name="Tea",
        gift="{favorite_drink} for {preferred_name}",
        cost=Decimal("12.5"),
        priority=5,
    )
    anniversary = gift_rule_create(
        organization=organization, name="Flowers", trigger="anniversary", window_days=7, gift="Flowers", cost=30
    )
    gift_rule_create(organization=organization, name="Sorry", trigger="issue_resolved", gift="Fruit basket", cost=9)
    GiftRuleFactory(organization=organization, back=True, gift="Welcome back card", cost=0, tags=["nobody"])
    Delight.objects.create(
        organization=organization,
        rule=anniversary,
        customer=guest,
        occasion_key="anniversary:2026",
        gift="Roses",
        cost=Decimal("25.00"),
        expires_at=timezone.now() + timedelta(days=5),
    )
    stay_check_in(stay=stay)
    return guest, plain


def test_every_key_and_value_of_a_row_is_as_before(api, rich):
    guest, plain = rich
    rows = api.get("/api/v1/arrivals/").json()
    assert [row["customer"]["id"] for row in rows] == [plain.pk, guest.pk]  # still to check in first
    waiting, there = rows
    stay = guest.stays.get()
    issues = {issue.summary: issue.pk for issue in guest.issues.all()}
    safety = guest.preferences.get(category="allergy")
    rules = dict(GiftRule.objects.values_list("name", "pk"))
    assert there == {
        "stay": {
            "id": stay.pk,
            "arrival": "2026-12-02",
            "departure": "2026-12-05",
            "nights": 3,
            "room": "",
            "party_size": 1,
            "status": "in_house",
            "checked_in_at": "2026-12-01T17:30:00Z",
        },
        "customer": {"id": guest.pk, "display_name": "林美", "tags": ["VIP", "tea lover"], "visit_count": 4},
        "needs_something": True,
        "vip": True,
        "first_visit": False,
        "safety": [{"id": safety.pk, "category": "allergy", "polarity": "avoid", "text": "Shellfish"}],
        "issues": [
            {"id": issues["Broken kettle"], "summary": "Broken kettle", "status": "resolved", "severity": "medium"},
            {"id": issues["Slow check-in"], "summary": "Slow check-in", "status": "open", "severity": "high"},
        ],
        "delights": [
            {"rule_id": rules["Tea"], "gift": "Green tea for Ms Lin", "reason": "Birthday in 1 day", "cost": "12.50"},
            {
                "rule_id": rules["Sorry"],
                "gift": "Fruit basket",
                "reason": "After “Broken kettle” was resolved",
                "cost": "9.00",
            },
            {"rule_id": rules["Flowers"], "gift": "Roses", "reason": "Anniversary in 2 days", "cost": "25.00"},
        ],
        "occasions": [{"occasion": "birthday", "on": "2026-12-03"}, {"occasion": "anniversary", "on": "2026-12-04"}],
        "pronunciation": {"respelling": "lin MAY", "ipa": "lin meɪ", "recording": False},
    }
    assert waiting == {
        "stay": {
            "id": plain.stays.get().pk,
            "arrival": "2026-12-02",
            "departure": "2026-12-04",
            "nights": 2,
            "room": "",
            "party_size": 1,
            "status": "expected",
            "checked_in_at": None,
        },
        "customer": {"id": plain.pk, "display_name": "Plain", "tags": [], "visit_count": 0},
        "needs_something": False,
        "vip": False,
        "first_visit": True,
        "safety": [],
        "issues": [],
        "delights": [],
        "occasions": [],
        "pronunciation": None,
    }


def test_the_plain_rows_are_what_the_schemas_serializer_says(property_, rich):
    """arrival_data writes out ArrivalSerializer, which describes the rows in the OpenAPI schema: the same data."""
    from personalization.arrivals import arrivals_for
    from personalization.serializers import ArrivalSerializer, arrival_data

    board = arrivals_for(property=property_, day=timezone.now().astimezone(property_.zone()).date())
    assert len(board) == 2 and board[1].delights
    assert [arrival_data(arrival) for arrival in board] == ArrivalSerializer(board, many=True).data


def test_what_the_board_no_longer_reads_is_never_missed(api, organization, property_):
    """Given a VIP on a first visit, her birthday during the stay, an allergy, a favourite drink that one rule's
    gift says, a liked food that another rule asks for, and likes and dislikes no rule reads, when the board is
    read (it reads only safety needs and the likes of the categories the live rules name), then every one of
    them still shows as before."""
    property_.timezone = "Asia/Shanghai"
    property_.save()
    noor, _stay = arriving(
        organization, property_, "Noor", tags=["VIP"], birthday=PartialDate(month=12, day=3), nights=3
    )
    services.preference_record(customer=noor, category="allergy", text="Peanuts", polarity="avoid")
    services.preference_record(customer=noor, category="drink", text="Mint tea", polarity="likes")
    services.preference_record(customer=noor, category="food", text="Dates", polarity="likes")
    services.preference_record(customer=noor, category="room", text="High floor", polarity="likes")
    services.preference_record(customer=noor, category="seating", text="By the door", polarity="dislikes")
    GiftRuleFactory(organization=organization, name="Tea", gift="{favorite_drink} in the room", cost=5)
    for name, category, gift, cost in (
        ("Tasting", "food", "A tasting menu", 20),
        ("Quiet", "seating", "A quiet table", 0),
    ):
        gift_rule_create(
            organization=organization,
            name=name,
            trigger="first_visit",
            preference_category=category,
            gift=gift,
            cost=cost,
        )

    (row,) = api.get("/api/v1/arrivals/").json()

    assert [(p["category"], p["text"]) for p in row["safety"]] == [("allergy", "Peanuts")]
    assert [(d["gift"], d["reason"]) for d in row["delights"]] == [
        ("A tasting menu", "First visit"),
        ("Mint tea in the room", "Birthday in 1 day"),
    ]  # the closer occasion first; a disliked seat is no liked seat: no quiet table
    assert row["vip"] is True and row["first_visit"] is True and row["needs_something"] is True
    assert row["occasions"] == [{"occasion": "birthday", "on": "2026-12-03"}]
