"""Managers' gift screens (list, editor with live checks, preview, delivered and history) and the card's
deliver button; front desk cannot reach the manager screens."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from crm import services as crm_services
from crm.models import ChangeRecord
from crm.partial_dates import PartialDate
from personalization.gifts import services
from personalization.gifts.backtest import backtest
from personalization.models import Delight, GiftRule
from tests.factories import CustomerFactory, GiftRuleFactory, PropertyFactory

pytestmark = pytest.mark.django_db

FORM = {
    "name": "Birthday dessert",
    "trigger": "birthday",
    "window_days": "7",
    "gift": "A slice of cake for {preferred_name}",
    "cost": "6.00",
    "monthly_budget": "30.00",
    "cooldown_days": "365",
    "min_visits": "0",
    "priority": "0",
    "active": "on",
}


def day(days: int) -> PartialDate:
    d = timezone.localdate() + timedelta(days=days)
    return PartialDate(month=d.month, day=d.day, year=1975)


def test_front_desk_cannot_reach_the_gift_screens(desk, organization):
    rule = services.gift_rule_create(organization=organization, name="R", trigger="first_visit", gift="Tea")
    for url in ("/gifts/", "/gifts/new/", f"/gifts/{rule.pk}/", "/gifts/delivered/"):
        assert desk.get(url).status_code == 403
    assert desk.post("/gifts/new/", FORM).status_code == 403
    assert desk.post(f"/gifts/{rule.pk}/delete/").status_code == 403
    assert GiftRule.objects.count() == 1


def test_anonymous_visitors_are_sent_to_log_in(client):
    assert client.get("/gifts/").status_code == 302


def test_a_manager_creates_a_rule_and_sees_its_preview_and_budget(boss, organization):
    for i in range(4):  # birthdays in the last 90 days
        CustomerFactory(organization=organization, birthday=day(-10 * i))
    CustomerFactory(organization=organization, birthday=day(-120))
    response = boss.post("/gifts/new/", FORM)
    rule = GiftRule.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/gifts/{rule.pk}/"
    page = boss.get(f"/gifts/{rule.pk}/").content.decode()
    assert (
        "Over the last 90 days this rule would have fired 4 times for 4 guests, costing 24.00, 27% of its budget."
        in page
    )
    listing = boss.get("/gifts/").content.decode()
    assert "Birthday dessert" in listing and "0.00 of 30.00 (0%)" in listing


def test_a_manager_changes_a_saved_rule_in_the_editor(boss, manager):
    boss.post("/gifts/new/", FORM)
    rule = GiftRule.objects.get()
    assert boss.post(f"/gifts/{rule.pk}/", {**FORM, "cost": "5.00"}).status_code == 302
    rule.refresh_from_db()
    assert rule.cost == Decimal("5.00")
    assert ChangeRecord.objects.filter(action="gift_rule.update", actor=manager.user, target_id=rule.pk).exists()


def test_the_editor_lets_a_manager_tell_the_guest_ahead(boss):
    page = boss.get("/gifts/new/").content.decode()
    assert 'name="notify_guest"' in page and "Tell the guest ahead" in page
    boss.post("/gifts/new/", {**FORM, "notify_guest": "on"})
    rule = GiftRule.objects.get()
    assert rule.notify_guest is True
    boss.post(f"/gifts/{rule.pk}/", FORM)  # an unticked box is "no"
    rule.refresh_from_db()
    assert rule.notify_guest is False


def test_live_check_shows_the_field_message_or_the_preview(boss, organization):
    bad = boss.post("/gifts/check/", {**FORM, "gift": "Cake for {prefered_name}", "window_days": "90"})
    text = bad.content.decode()
    assert "Unknown placeholder {prefered_name}" in text and "60" in text
    assert "<html" not in text  # a partial, for htmx
    good = boss.post("/gifts/check/", FORM).content.decode()
    assert "would have fired 0 times" in good
    assert not GiftRule.objects.exists()  # checking saves nothing


def test_a_refused_rule_is_shown_again_with_its_errors(boss):
    response = boss.post("/gifts/new/", {**FORM, "trigger": "nth_visit"})
    assert response.status_code == 400 and "Which visit?" in response.content.decode()


def test_delete_keeps_history_and_the_history_page_shows_who(boss, organization, manager, frontdesk):
    rule = services.gift_rule_create(
        organization=organization, actor=manager.user, name="Tea", trigger="first_visit", gift="Jasmine tea"
    )
    guest = CustomerFactory(organization=organization, given_name="Lin")
    (candidate,) = services.delights_suggest(customer=guest, property_id=None, preferences=[], issues=[])
    services.delight_deliver(delight=Delight.objects.get(pk=candidate.existing.id), actor=frontdesk.user)
    services.gift_rule_update(rule=rule, actor=manager.user, gift="Oolong tea")
    assert boss.post(f"/gifts/{rule.pk}/delete/").status_code == 302
    page = boss.get("/gifts/delivered/").content.decode()
    assert "Jasmine tea" in page and frontdesk.user.username in page
    assert "rule deleted" in page and "gift delivered" in page and manager.user.username in page
    assert "rule changed" in page and "gift: Jasmine tea → Oolong tea" in page


def test_the_card_offers_the_delight_and_delivers_it(desk, organization, frontdesk):
    GiftRuleFactory(
        organization=organization, gift="Cake for {given_name}", cost=Decimal("6"), monthly_budget=Decimal("6")
    )
    guest = CustomerFactory(organization=organization, given_name="Mei", birthday=day(2))
    page = desk.get(f"/customers/{guest.pk}/").content.decode()
    assert "Cake for Mei" in page and "Birthday in 2 days" in page and "6.00 left this month" in page
    delight = Delight.objects.get(customer=guest)
    done = desk.post(f"/delights/{delight.pk}/deliver/", follow=True).content.decode()
    assert "Delivered: “Cake for Mei”." in done
    again = desk.post(f"/delights/{delight.pk}/deliver/", follow=True).content.decode()
    assert "already delivered" in again


def test_backtest_counts_visits_absences_and_issues(organization):
    now = timezone.now()
    regular = CustomerFactory(organization=organization)
    for days in (200, 60, 50):
        crm_services.contact_log(customer=regular, kind="visit", occurred_at=now - timedelta(days=days))
    third = GiftRule(organization=organization, name="3rd", trigger="nth_visit", visit_number=3, gift="x", cost=2)
    back = GiftRule(
        organization=organization,
        name="Back",
        trigger="return_after_absence",
        absence_days=100,
        gift="x",
        cost=1,
        cooldown_days=0,
    )
    crm_services.issue_open(customer=regular, summary="Cold", status="resolved", resolution="Hot", severity="high")
    sorry = GiftRule(
        organization=organization, name="Sorry", trigger="issue_resolved", gift="x", cost=5, monthly_budget=Decimal("1")
    )
    assert (
        backtest(rule=third, organization=organization).fired,
        backtest(rule=third, organization=organization).cost,
    ) == (1, 2)
    assert backtest(rule=back, organization=organization).fired == 1
    result = backtest(rule=sorry, organization=organization)
    assert result.fired == 1 and result.percent_of_budget == 167 and result.over_budget


@pytest.mark.parametrize(
    ("language", "texts"),
    [
        ("zh-hans", ["还有 2 天生日", "送出", "惊喜"]),
        ("zh-hant", ["還有 2 天生日", "送出", "驚喜"]),
    ],
)
def test_the_delight_speaks_the_staffs_language(client, frontdesk, organization, language, texts):
    frontdesk.language = language
    frontdesk.save()
    client.force_login(frontdesk.user)
    services.gift_rule_create(organization=organization, name="Cake", trigger="birthday", gift="Cake")
    guest = CustomerFactory(organization=organization, birthday=day(2))
    page = client.get(f"/customers/{guest.pk}/").content.decode()
    for text in texts:
        assert text in page


def test_a_costly_gift_waits_for_a_managers_approval_on_the_card(client, frontdesk, manager, organization):
    GiftRuleFactory(organization=organization, suite=True)
    guest = CustomerFactory(organization=organization)
    client.force_login(frontdesk.user)
    page = client.get(f"/customers/{guest.pk}/").content.decode()
    assert "Needs a manager" in page and 'class="deliver"' not in page and 'class="approve"' not in page
    delight = Delight.objects.get(customer=guest)
    client.force_login(manager.user)
    assert "Planned: “Suite upgrade”." in client.post(f"/delights/{delight.pk}/plan/", follow=True).content.decode()
    client.force_login(frontdesk.user)
    assert 'class="deliver"' in client.get(f"/customers/{guest.pk}/").content.decode()
    assert "Delivered" in client.post(f"/delights/{delight.pk}/deliver/", follow=True).content.decode()


def test_not_now_declines_the_gift_for_this_occasion(desk, organization):
    services.gift_rule_create(organization=organization, name="Tea", trigger="first_visit", gift="Jasmine tea")
    guest = CustomerFactory(organization=organization)
    desk.get(f"/customers/{guest.pk}/")
    delight = Delight.objects.get(customer=guest)
    assert "Declined: “Jasmine tea”." in desk.post(f"/delights/{delight.pk}/decline/", follow=True).content.decode()
    card = desk.get(f"/customers/{guest.pk}/").content.decode()
    assert "Jasmine tea" not in card[: card.index('id="timeline"')]  # no longer offered; the timeline keeps it
    assert "Gift: Declined</span> Jasmine tea" in card


def test_the_card_offers_a_manual_gift(desk, organization):
    rule = services.gift_rule_create(
        organization=organization, name="Flowers", trigger="manual", gift="Flowers for {given_name}"
    )
    guest = CustomerFactory(organization=organization, given_name="Ana")
    assert "Offer a gift" in desk.get(f"/customers/{guest.pk}/").content.decode()
    page = desk.post(f"/customers/{guest.pk}/delights/", {"rule": rule.pk}, follow=True).content.decode()
    assert "Offered: “Flowers for Ana”." in page and 'class="deliver"' in page
    again = desk.post(f"/customers/{guest.pk}/delights/", {"rule": rule.pk}, follow=True).content.decode()
    assert "already offered" in again


def test_live_check_of_a_saved_rule_previews_the_change_without_saving(boss, organization):
    rule = services.gift_rule_create(organization=organization, name="Cake", trigger="birthday", gift="Cake", cost=6)
    CustomerFactory(organization=organization, birthday=day(-3))
    page = boss.post(f"/gifts/{rule.pk}/check/", {**FORM, "cost": "9.00"}).content.decode()
    assert "would have fired 1 times for 1 guests, costing 9.00" in page
    rule.refresh_from_db()
    assert rule.cost == 6


def test_the_editor_chooses_several_properties_and_a_budget_per_property(boss, organization, property_):
    garden = PropertyFactory(organization=organization, name="Garden Hotel")
    page = boss.get("/gifts/new/").content.decode()
    assert '<select name="properties"' in page and "multiple" in page and "Garden Hotel" in page
    boss.post("/gifts/new/", {**FORM, "properties": [property_.pk, garden.pk], "budget_per_property": "on"})
    rule = GiftRule.objects.get()
    assert set(rule.properties.all()) == {property_, garden} and rule.budget_per_property is True
    boss.post(f"/gifts/{rule.pk}/", FORM)  # none chosen: every property
    assert list(rule.properties.all()) == []
    preview = boss.post("/gifts/check/", {**FORM, "properties": [garden.pk]})
    assert preview.status_code == 200
