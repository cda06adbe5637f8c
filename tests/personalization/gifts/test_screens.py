"""Managers' gift screens (list, editor with live checks, preview, delivered and history) and the card's
deliver button; front desk cannot reach the manager screens."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
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
    for days in (0, -1):
        CustomerFactory(organization=organization, birthday=day(days))
    response = boss.post("/gifts/new/", FORM)
    rule = GiftRule.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/gifts/{rule.pk}/"
    page = boss.get(f"/gifts/{rule.pk}/").content.decode()
    assert "this rule would have fired 2 times for 2 guests, costing 12.00." in page
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
    boss_name, desk_name = manager.user.username, frontdesk.user.username
    assert f"{boss_name} deleted the rule “Tea”." in page
    assert f"{desk_name} delivered “Jasmine tea” to Lin" in page
    assert f"{boss_name} changed the gift from Jasmine tea to Oolong tea." in page
    assert f"{boss_name} created the rule “Tea”." in page


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
    back = GiftRuleFactory.build(organization=organization, back=True, gift="x", cost=1, cooldown_days=0)
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
    this_month = result.months[-1]
    assert result.fired == 1 and this_month.so_far and this_month.percent == 500 and result.over_budget
    assert this_month.runs_out_on == timezone.localdate() and this_month.not_given == 1  # not even one gift


NOW = datetime(2026, 11, 5, 4, 0, tzinfo=UTC)  # 12:00 on 5 November in Shanghai (the property's clock)
BIRTHDAYS = [(7, 30), (9, 9), (9, 20), *((10, d) for d in (3, 7, 12, 15, 18, 22, 25)), (11, 2), (11, 20)]


def _birthdays(organization, home=None, dates=BIRTHDAYS):
    for month, day_of_month in dates:
        CustomerFactory(organization=organization, home_property=home, birthday=PartialDate(month, day_of_month, 1980))


def test_the_preview_compares_each_month_with_the_monthly_budget_and_says_when_it_runs_out(organization):
    # Given birthdays on 30 July, 9 and 20 September, seven in October, 2 and 20 November,
    _birthdays(organization)
    rule = GiftRuleFactory.build(organization=organization, cost=6, monthly_budget=30)
    # when a 6.00 gift with a 30.00 monthly budget is previewed on 5 November,
    result = backtest(rule=rule, organization=organization, now=NOW)
    # then each month since August is compared with one month's budget: October's five gifts use it up on
    # 18 October, and the last two guests go without; November counts up to today.
    figures = [(m.month, m.gifts, m.cost, m.percent, m.runs_out_on, m.not_given, m.so_far) for m in result.months]
    assert figures == [
        (date(2026, 8, 1), 0, Decimal("0.00"), 0, None, 0, False),
        (date(2026, 9, 1), 2, Decimal("12.00"), 40, None, 0, False),
        (date(2026, 10, 1), 7, Decimal("42.00"), 140, date(2026, 10, 18), 2, False),
        (date(2026, 11, 1), 1, Decimal("6.00"), 20, None, 0, True),
    ]
    assert (result.first_day, result.fired, result.guests, result.cost) == (date(2026, 8, 1), 10, 10, Decimal("60"))


def test_the_preview_without_a_budget_counts_months_and_warns_of_nothing(organization):
    _birthdays(organization)
    rule = GiftRuleFactory.build(organization=organization, cost=6)
    result = backtest(rule=rule, organization=organization, now=NOW)
    assert [(m.gifts, m.budget, m.percent, m.runs_out_on) for m in result.months] == [
        (0, None, None, None),
        (2, None, None, None),
        (7, None, None, None),
        (1, None, None, None),
    ]
    assert not result.over_budget


def test_a_budget_per_property_is_compared_with_each_propertys_month(organization, property_):
    garden = PropertyFactory(organization=organization, name="Garden Hotel")
    _birthdays(organization, home=property_, dates=[(10, 3), (10, 7), (10, 12)])
    _birthdays(organization, home=garden, dates=[(10, 5)])
    rule = GiftRuleFactory.build(organization=organization, cost=6, monthly_budget=12, budget_per_property=True)
    october = [m for m in backtest(rule=rule, organization=organization, now=NOW).months if m.month.month == 10]
    assert [(m.property_name, m.gifts, m.percent, m.runs_out_on, m.not_given) for m in october] == [
        ("Garden Hotel", 1, 50, None, 0),
        (property_.name, 3, 150, date(2026, 10, 7), 1),
    ]


def test_the_editor_shows_each_months_figures_and_the_run_out_day(boss, organization):
    _birthdays(organization)
    with time_machine.travel(NOW, tick=False):
        boss.post("/gifts/new/", FORM)
        rule = GiftRule.objects.get()
        page = boss.get(f"/gifts/{rule.pk}/").content.decode()
    assert "Since 1 August this rule would have fired 10 times for 10 guests, costing 60.00." in page
    assert "October 2026" in page and "140% of 30.00" in page and "November 2026 (so far)" in page
    assert "In October the budget would run out on 18 October." in page
    assert "2 guests would have gone without." in page
    assert "90 days" not in page


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
    GiftRuleFactory(organization=organization)
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
    rule = GiftRuleFactory(organization=organization, cost=6)
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


def test_the_editor_groups_the_fields_of_each_trigger_in_sentence_case(boss):
    page = boss.get("/gifts/new/").content.decode()
    assert 'data-triggers="nth_visit"' in page and "Only for: Nth visit" in page
    assert 'data-triggers="birthday anniversary"' in page and 'data-triggers="return_after_absence"' in page
    assert "personalization/giftrules.js" in page  # hides the other triggers' sections
    for label in (
        "Cost:</label>",
        "Monthly budget:</label>",
        "Customer tags (any of):</label>",
        "Visit number:</label>",
    ):
        assert label in page
    assert 'class="helptext"' in page and "Days since the last visit, at least." in page


def test_fields_of_another_trigger_are_ignored_even_when_posted(boss):
    # Given a birthday rule posted with a visit number (not even a number), days away and a severity,
    posted = {**FORM, "visit_number": "ten", "absence_days": "30", "min_severity": "high"}
    # when it is saved,
    assert boss.post("/gifts/new/", posted).status_code == 302
    # then none of them is: they belong to other triggers.
    rule = GiftRule.objects.get()
    assert (rule.visit_number, rule.absence_days, rule.min_severity, rule.window_days) == (None, None, "", 7)


def test_switching_a_rule_to_another_trigger_clears_the_old_triggers_fields(boss, organization, manager):
    rule = services.gift_rule_create(
        organization=organization, name="Tenth", trigger="nth_visit", visit_number=10, gift="Wine", min_visits=3
    )
    changed = {**FORM, "name": "Tenth", "trigger": "first_visit", "visit_number": "10", "min_visits": "3"}
    assert boss.post(f"/gifts/{rule.pk}/", changed).status_code == 302
    rule.refresh_from_db()
    assert (rule.trigger, rule.visit_number, rule.min_visits) == ("first_visit", None, 0)
    history = boss.get(f"/gifts/{rule.pk}/history/").content.decode()
    assert f"{manager.user.username} changed the trigger from Nth visit to First visit." in history
    assert f"{manager.user.username} removed the visit number (it was 10)." in history


@pytest.mark.parametrize(
    ("language", "sentences"),
    [
        (
            "en",
            [
                "Ana changed the budget from 30.00 to 40.00.",
                "Ana limited the rule to Shanghai Bund.",
                "Ana turned the rule off.",
                "Ana set the end date to Dec. 31, 2026.",
                "Ana created the rule “Birthday dessert”.",
            ],
        ),
        (
            "zh-hans",
            [
                "Ana 将预算从 30.00 改为 40.00。",
                "Ana 将规则限于 Shanghai Bund。",
                "Ana 停用了此规则。",
                "Ana 将结束日期设为 2026年12月31日。",
                "Ana 创建了规则“Birthday dessert”。",
            ],
        ),
        (
            "zh-hant",
            [
                "Ana 將預算從 30.00 改為 40.00。",
                "Ana 將規則限於 Shanghai Bund。",
                "Ana 停用了此規則。",
                "Ana 將結束日期設為 2026年12月31日。",
                "Ana 建立了規則「Birthday dessert」。",
            ],
        ),
    ],
)
def test_the_rule_history_reads_as_sentences_in_the_staffs_language(
    client, manager, organization, property_, language, sentences
):
    # Given Ana, a manager who reads this language, and the changes she made to a rule,
    manager.user.first_name = "Ana"
    manager.user.save()
    manager.language = language
    manager.save()
    property_.name = "Shanghai Bund"
    property_.save()
    ana = manager.user
    rule = services.gift_rule_create(
        organization=organization,
        actor=ana,
        name="Birthday dessert",
        trigger="birthday",
        gift="Cake",
        cost=Decimal("6.00"),
        monthly_budget=Decimal("30.00"),
    )
    services.gift_rule_update(rule=rule, actor=ana, monthly_budget=Decimal("40.00"))
    services.gift_rule_update(rule=rule, actor=ana, properties=[property_])
    services.gift_rule_update(rule=rule, actor=ana, ends_on=date(2026, 12, 31))
    services.gift_rule_update(rule=rule, actor=ana, active=False)
    # when she reads its history,
    client.force_login(ana)
    page = client.get(f"/gifts/{rule.pk}/history/").content.decode()
    # then each change is a sentence in her language, with names and formatted values, newest first.
    positions = [page.index(sentence) for sentence in sentences[:3]]
    assert positions == sorted(positions, reverse=True)
    for sentence in sentences:
        assert sentence in page
    for dump in ("None", "[]", "monthly_budget", "budget_per_property", "properties"):
        assert dump not in page.split("<main>")[1]
