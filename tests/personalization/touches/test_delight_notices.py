"""Delight notices: a gift rule that tells the guest ahead writes one delight_notice touch per delight (from the
nightly planner or when staff plan one), at 10:00 local before the occasion, cancelled when the gift is off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from crm.partial_dates import PartialDate
from personalization.gifts import services
from personalization.gifts.services.planner import delights_plan_nightly
from personalization.models import Delight, Touch, TouchKind, TouchStatus
from personalization.touches.services.send import Outcome, touches_send
from tests.factories import CustomerFactory, GiftRuleFactory, PropertyFactory
from tests.personalization.touches.conftest import claim

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("hotel_noon")]  # days from UTC's date

# 09:00 in Shanghai (the Harbour Hotel of the fixtures), 21:00 the evening before in New York (EDT).
MORNING = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)


def birthday_in(days: int) -> PartialDate:
    day = timezone.localdate() + timedelta(days=days)
    return PartialDate(month=day.month, day=day.day, year=1990)


def notices():
    return Touch.objects.filter(kind=TouchKind.DELIGHT_NOTICE)


def cake_rule(organization, **fields):
    fields = {"notify_guest": True, **fields}
    return GiftRuleFactory(
        organization=organization, name="Birthday cake", gift="A slice of cake for {preferred_name}", **fields
    )


@time_machine.travel(MORNING, tick=False)
def test_the_planner_writes_one_notice_per_delight_at_ten_local_however_often_it_runs(organization, property_):
    # Given a rule that tells the guest ahead, and guests with birthdays this week (one living near New York)
    rule = cake_rule(organization)
    new_york = PropertyFactory(organization=organization, name="Hudson Inn", timezone="America/New_York")
    soon = CustomerFactory(organization=organization, preferred_name="Mei", birthday=birthday_in(3))
    today = CustomerFactory(organization=organization, preferred_name="Tom", birthday=birthday_in(0))
    yankee = CustomerFactory(
        organization=organization, preferred_name="Joe", birthday=birthday_in(3), home_property=new_york
    )
    CustomerFactory(organization=organization, preferred_name="Nomail", email="", birthday=birthday_in(3))

    # when the nightly planner runs twice
    assert delights_plan_nightly() == {rule.pk: 4}
    assert delights_plan_nightly() == {rule.pk: 0}

    # then each delight with an email address has one notice, naming its delight, from the right property
    delights = {d.customer_id: d for d in Delight.objects.filter(rule=rule)}
    rows = {t.customer_id: t for t in notices()}
    assert set(rows) == {soon.pk, today.pk, yankee.pk}
    for customer_id, touch in rows.items():
        assert touch.delight_id == delights[customer_id].pk
        assert touch.idempotency_key == f"delight_notice:{touch.delight_id}"
        assert touch.status == TouchStatus.SCHEDULED and touch.channel == "email"
    assert rows[soon.pk].property == property_ and rows[yankee.pk].property == new_york
    # 10:00 in Shanghai tomorrow; a birthday today: 10:00 today; New York: 10:00 its own tomorrow (EDT)
    assert rows[soon.pk].due_at == datetime(2026, 3, 11, 2, 0, tzinfo=UTC)
    assert rows[today.pk].due_at == datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
    assert rows[yankee.pk].due_at == datetime(2026, 3, 10, 14, 0, tzinfo=UTC)


def test_a_rule_that_does_not_tell_the_guest_writes_no_notice(organization):
    rule = cake_rule(organization, notify_guest=False)
    CustomerFactory(organization=organization, birthday=birthday_in(2))
    assert delights_plan_nightly() == {rule.pk: 1}
    assert not notices().exists()


@time_machine.travel(MORNING, tick=False)
def test_planning_a_delight_writes_one_notice_and_planning_the_announced_one_writes_none(organization, manager):
    # Given a manual rule that tells the guest ahead, offered to a guest by the desk
    flowers = services.gift_rule_create(
        organization=organization, name="Flowers", trigger="manual", gift="Flowers for {given_name}", notify_guest=True
    )
    guest = CustomerFactory(organization=organization, given_name="Ana")
    delight = services.delight_offer(rule=flowers, customer=guest)
    assert not notices().exists()  # offered is not yet promised

    # when a manager plans it, then one notice is written for it (its occasion is today: 10:00 local today)
    services.delight_plan(delight=delight, actor=manager.user)
    (touch,) = notices()
    assert touch.delight_id == delight.pk and touch.due_at == datetime(2026, 3, 10, 2, 0, tzinfo=UTC)

    # and a delight the planner already announced gets no second notice when planned
    rule = cake_rule(organization)
    CustomerFactory(organization=organization, birthday=birthday_in(4))
    delights_plan_nightly()
    services.delight_plan(delight=Delight.objects.get(rule=rule), actor=manager.user)
    assert notices().count() == 2


def test_declining_or_expiring_the_gift_cancels_its_notice(organization):
    rule = cake_rule(organization)
    declined, expired = (CustomerFactory(organization=organization, birthday=birthday_in(2)) for _ in range(2))
    delights_plan_nightly()

    services.delight_decline(delight=Delight.objects.get(customer=declined))
    services.delights_expire(now=timezone.now() + timedelta(days=5))

    reasons = dict(notices().values_list("customer_id", "reason"))
    assert reasons == {declined.pk: "gift declined", expired.pk: "gift expired"}
    assert set(notices().values_list("status", flat=True)) == {TouchStatus.CANCELLED}
    assert Delight.objects.get(rule=rule, customer=expired).status == "expired"


@time_machine.travel(MORNING, tick=False)
def test_a_gift_delivered_before_its_notice_goes_out_is_not_announced(smtp, organization, frontdesk):
    cake_rule(organization)
    CustomerFactory(organization=organization, birthday=birthday_in(2))
    delights_plan_nightly()
    (touch,) = notices()
    services.delight_deliver(delight=touch.delight, actor=frontdesk.user)
    with time_machine.travel(touch.due_at, tick=False):
        assert list(touches_send(touch_ids=[claim(touch).pk]).values()) == [Outcome.SKIPPED]
    touch.refresh_from_db()
    assert touch.reason == "gift delivered" and smtp.messages == []


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            "en",
            [
                "For your next visit to Harbour Hotel, we have prepared something just for you:",
                "We look forward to welcoming you.",
            ],
        ),
        ("zh-Hans", ["我们为您下次光临 Harbour Hotel 准备了一份专属心意：", "期待您的光临。"]),
        ("zh-TW", ["我們為您下次光臨 Harbour Hotel 準備了一份專屬心意：", "期待您的光臨。"]),
    ],
)
@time_machine.travel(MORNING, tick=False)
def test_the_notice_names_the_gift_and_the_hotel_in_the_guests_language(smtp, organization, language, words):
    # Given a planned notice for a guest who reads this language
    cake_rule(organization)
    CustomerFactory(
        organization=organization,
        preferred_name="Mei",
        language=language,
        birthday=birthday_in(3),
        email="mei@example.cn",
    )
    delights_plan_nightly()
    (touch,) = notices()

    # when it is due and sent through the real mail server
    with time_machine.travel(touch.due_at, tick=False):
        assert list(touches_send(touch_ids=[claim(touch).pk]).values()) == [Outcome.SENT]

    # then both parts name the gift and the hotel, warmly, in her language
    [message] = smtp.messages
    assert message["To"] == "mei@example.cn" and "Harbour Hotel" in message["From"]
    assert "Mei" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "A slice of cake for Mei" in text and "<strong>A slice of cake for Mei</strong>" in html
    for phrase in words:
        assert phrase in text and phrase in html
