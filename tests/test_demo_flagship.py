"""The demo shows the product: its flagship guest 张伟 has something in every part of the brief and the card
(issue 12)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from crm.models import Customer, Preference, Staff
from personalization.models import Feedback
from tests.conftest import _client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings):
    settings.DEBUG = True  # the demo refuses to load otherwise
    call_command("seed_demo")
    return Customer.objects.get(native_name="张伟", merged_into__isnull=True)


def test_zhang_wei_has_a_story_to_tell(demo):
    desk = _client_for(Staff.objects.get(user__username="frontdesk"))
    brief = desk.get(f"/api/v1/customers/{demo.pk}/brief/", {"contact_kind": "arrival"}).json()
    # A VIP, greeted as a returning guest (three stays before this one),
    assert "vip" in demo.tags
    assert brief["greet"]["visit_number"] == 4 and "上次光临是" in brief["greet"]["text"]
    # with things to recall, one of them not confirmed for over a year,
    assert len(brief["recall"]) >= 4
    assert [r["text"] for r in brief["recall"] if r["needs_reconfirmation"]] == ["Yoga mat in the room"]
    # the allergy he told us about himself (not "Inferred"),
    allergy = Preference.objects.get(customer=demo, category="allergy")
    assert allergy.source == "customer" and allergy.polarity == "avoid"
    assert [s["text"] for s in brief["safety"]] == ["Peanuts and tree nuts (carries an EpiPen)"]
    # an open complaint to repair,
    assert "Charged twice for the minibar" in [r["summary"] for r in brief["repair"] if r["status"] == "open"]
    # a birthday this week (at the Shanghai property),
    shanghai_today = timezone.now().astimezone(demo.home_property.zone()).date()
    birthday = demo.birthday
    assert any(
        (day.month, day.day) == (birthday.month, birthday.day)
        for day in (shanghai_today + timedelta(days=n) for n in range(7))
    )
    # and his survey answer about the resolved one.
    feedback = Feedback.objects.get(customer=demo)
    assert feedback.score == 4 and feedback.comment


def test_the_card_asks_whether_the_stale_memory_is_still_true(demo):
    browser = Client()
    browser.force_login(Staff.objects.get(user__username="frontdesk").user)
    page = browser.get(f"/customers/{demo.pk}/").content.decode()
    assert "Yoga mat in the room" in page and "Still true?" in page


def test_the_demo_properties_carry_their_country(demo):
    assert {(p.name, p.country) for p in demo.organization.properties.all()} == {
        ("Harbour Hotel Shanghai", "CN"),
        ("Hill House New York", "US"),
    }


def test_the_demo_has_arrivals_today_with_zhang_wei_first(demo):
    desk = _client_for(Staff.objects.get(user__username="frontdesk"))
    board = desk.get("/api/v1/arrivals/").json()
    assert len(board) == 5 and board[0]["customer"]["display_name"] == "张伟"
    assert board[0]["vip"] and board[0]["safety"] and board[0]["occasions"][0]["occasion"] == "birthday"
    assert [row["stay"]["status"] for row in board][-1] == "in_house"  # one guest has checked in already
