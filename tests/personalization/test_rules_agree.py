"""Each rule of "One rule, one place" gives the same answer wherever it was once copied: the guest's
language and address in the brief, the email, the gift text and the "say it" voice; the cooldown in the
brief and the nightly planner on its boundary day; which rules are live."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from crm import services as crm_services
from crm.partial_dates import PartialDate
from personalization.gifts import services as gift_services
from personalization.gifts.services.planner import delights_plan_nightly
from personalization.models import Delight, DelightStatus, Touch
from personalization.touches import messages
from tests.factories import CustomerFactory, DelightFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("hotel_noon")]  # days from UTC's date


def birthday_in(days: int) -> PartialDate:
    day = timezone.localdate() + timedelta(days=days)
    return PartialDate(month=day.month, day=day.day)


@pytest.fixture
def chen(organization, property_):
    """A guest who reads Traditional Chinese, tagged as an integrator sends it."""
    chen = CustomerFactory(organization=organization, home_property=property_, chen_jing=True, salutation="小姐")
    return crm_services.customer_update(customer=chen, language="zh-Hant-TW", birthday=birthday_in(2))


def test_a_zh_hant_tw_guest_is_greeted_written_to_and_said_in_traditional_chinese(api, client, frontdesk, chen):
    # The brief: Traditional, and the family name as entered (not 陈).
    brief = api.get(f"/api/v1/customers/{chen.pk}/brief/").json()
    assert brief["customer"]["language"] == "zh-hant"
    assert brief["greet"]["name"] == "陳小姐"
    assert brief["greet"]["text"] == "歡迎光臨，陳小姐！"

    # The email: the same language and the same address.
    issue = crm_services.issue_open(customer=chen, summary="Noisy room")
    crm_services.issue_update(issue=issue, status="resolved", resolution="Moved")
    touch = Touch.objects.get(customer=chen, issue=issue)
    assert messages.render(touch).subject == "陳小姐，現在一切都好嗎？"

    # The "say it" button on the card: a Traditional-Chinese guest's Han name in a zh-TW voice.
    client.force_login(frontdesk.user)
    page = client.get(f"/customers/{chen.pk}/").content.decode()
    assert 'data-lang="zh-TW"' in page and "陳小姐" in page


def test_the_gift_text_addresses_the_guest_as_the_brief_does_in_the_brief_and_the_planner(organization, chen):
    rule = gift_services.gift_rule_create(
        organization=organization, name="Cake", trigger="birthday", window_days=7, gift="Cake for {preferred_name}"
    )
    other = CustomerFactory(
        organization=organization, given_name="Wei", family_name="Zhang", salutation="Mr", birthday=birthday_in(3)
    )
    (suggested,) = gift_services.delights_suggest(customer=chen, property_id=None, preferences=[], issues=[])
    assert suggested.gift == "Cake for 陳小姐"
    delights_plan_nightly()
    assert Delight.objects.get(rule=rule, customer=other).gift == "Cake for Mr Zhang"
    assert Delight.objects.get(rule=rule, customer=chen).gift == "Cake for 陳小姐"  # the brief's, kept


@pytest.mark.parametrize(
    ("given_ago", "allowed"), [(timedelta(days=30), True), (timedelta(days=30) - timedelta(minutes=1), False)]
)
def test_the_cooldown_ends_on_the_same_moment_for_the_brief_and_the_planner(organization, given_ago, allowed):
    now = timezone.now()
    rule = gift_services.gift_rule_create(
        organization=organization, name="Cake", trigger="birthday", window_days=7, gift="Cake", cooldown_days=30
    )
    in_brief = CustomerFactory(organization=organization, birthday=birthday_in(3))
    in_planner = CustomerFactory(organization=organization, birthday=birthday_in(3))
    for guest in (in_brief, in_planner):  # last time's gift of the same rule, delivered exactly given_ago
        DelightFactory(
            rule=rule,
            customer=guest,
            occasion_key="birthday:earlier",
            status=DelightStatus.DELIVERED,
            delivered_at=now - given_ago,
            charged_month=(now - given_ago).date().replace(day=1),
        )

    brief = gift_services.delights_suggest(customer=in_brief, property_id=None, preferences=[], issues=[], now=now)
    delights_plan_nightly(now=now)
    planned = Delight.objects.filter(customer=in_planner, status=DelightStatus.SUGGESTED).exists()
    assert bool(brief) is allowed
    assert planned is allowed


def test_a_rule_not_live_today_is_neither_suggested_nor_planned(organization, property_):
    tomorrow = timezone.localdate() + timedelta(days=1)
    later = gift_services.gift_rule_create(
        organization=organization, name="Later", trigger="birthday", window_days=7, gift="Cake", starts_on=tomorrow
    )
    paused = gift_services.gift_rule_create(
        organization=organization, name="Paused", trigger="birthday", window_days=7, gift="Cake", active=False
    )
    guest = CustomerFactory(organization=organization, home_property=property_, birthday=birthday_in(1))

    assert gift_services.delights_suggest(customer=guest, property_id=property_.pk, preferences=[], issues=[]) == []
    delights_plan_nightly()
    assert not Delight.objects.filter(rule__in=[later, paused]).exists()


def test_late_in_utcs_evening_the_brief_and_the_planner_ask_the_rules_about_the_same_day(organization, property_):
    """At 20:00 UTC the Shanghai hotel (the organization's first property, where guests without a home property
    belong) is on the next day: a rule that starts that day is live for the planner there, and for a brief
    asked without a property too."""
    evening = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)  # 11 March, 04:00 in Shanghai
    with time_machine.travel(evening, tick=False):
        gift_services.gift_rule_create(
            organization=organization,
            name="From the 11th",
            trigger="birthday",
            window_days=7,
            gift="Cake",
            starts_on=date(2026, 3, 11),
        )
        in_brief, in_planner = (
            CustomerFactory(organization=organization, birthday=PartialDate(month=3, day=13)) for _ in range(2)
        )
        (suggested,) = gift_services.delights_suggest(customer=in_brief, property_id=None, preferences=[], issues=[])
        delights_plan_nightly()
    assert suggested.reason == "Birthday in 2 days"  # counted from Shanghai's 11 March, not UTC's 10th
    planned = Delight.objects.get(customer=in_planner)
    assert (planned.occasion_on, planned.occasion_key) == (date(2026, 3, 13), suggested.occasion_key)
