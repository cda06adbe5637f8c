"""A manager in a real browser: creates "Birthday dessert" — only the birthday's fields show — watches the live
check and the month-by-month preview warn that the budget runs out, saves, raises the budget, finds the rule in
the list, and reads its history in 繁體中文; the front desk then delivers it on the card. axe-core checks each
screen."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from playwright.sync_api import expect

from crm.partial_dates import PartialDate
from personalization.models import Delight, GiftRule
from tests.browser.axe import assert_accessible
from tests.browser.conftest import log_in
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)

SHANGHAI = ZoneInfo("Asia/Shanghai")  # the property's clock (PropertyFactory), which the preview reads


def today() -> object:
    return timezone.now().astimezone(SHANGHAI).date()


def day(days: int) -> PartialDate:
    d = today() + timedelta(days=days)
    return PartialDate(month=d.month, day=d.day, year=1980)


def test_a_manager_creates_a_rule_and_the_front_desk_delivers_it(browser_page, manager, frontdesk, organization):
    manager.user.first_name = "Ana"
    for staff in (manager, frontdesk):
        staff.user.password = make_password("s3cret-pass!")
        staff.user.save()
    for _guest in range(3):
        CustomerFactory(organization=organization, birthday=day(0))
    guest = CustomerFactory(organization=organization, given_name="Aoife", birthday=day(2))
    page = browser_page()

    log_in(page, manager.user.username)
    page.get_by_role("link", name="Gift rules").click()
    page.wait_for_url("**/gifts/")
    assert_accessible(page, "gift rules")
    page.get_by_role("link", name="New rule").click()
    page.wait_for_url("**/gifts/new/")
    assert_accessible(page, "new gift rule")

    # Each trigger shows its own fields only.
    page.select_option("#id_trigger", "nth_visit")
    expect(page.locator("#id_visit_number")).to_be_visible()
    for other in ("#id_window_days", "#id_absence_days", "#id_min_severity"):
        expect(page.locator(other)).to_be_hidden()
    page.select_option("#id_trigger", "return_after_absence")
    expect(page.locator("#id_absence_days")).to_be_visible()
    expect(page.locator("#id_visit_number")).to_be_hidden()
    page.select_option("#id_trigger", "birthday")
    expect(page.locator("#id_window_days")).to_be_visible()
    for other in ("#id_visit_number", "#id_absence_days", "#id_min_severity"):
        expect(page.locator(other)).to_be_hidden()

    page.fill("#id_name", "Birthday dessert")
    page.fill("#id_window_days", "7")
    page.fill("#id_gift", "A slice of cake for {prefered_name}")  # a typo first
    expect(page.locator("#check")).to_contain_text("Unknown placeholder {prefered_name}")
    page.fill("#id_gift", "A slice of cake for {preferred_name}")
    page.fill("#id_cost", "6.00")
    page.fill("#id_monthly_budget", "12.00")
    # Three birthdays today: 18.00 against a 12.00 month, spent with the second cake.
    expect(page.locator("#backtest")).to_contain_text("this rule would have fired 3 times for 3 guests, costing 18.00.")
    this_month = page.locator("#months tr.warning")
    expect(this_month).to_contain_text(f"{today():%B %Y} (so far)")
    expect(this_month).to_contain_text("150% of 12.00")
    expect(page.locator("p.warning")).to_contain_text(
        f"In {today():%B} the budget would run out on {today().day} {today():%B}. 1 guest would have gone without."
    )
    assert_accessible(page, "gift rule editor with its preview")
    page.get_by_role("button", name="Save rule").click()
    expect(page.locator(".messages")).to_contain_text("Rule “Birthday dessert” saved.")
    expect(page.locator("#backtest")).to_contain_text("fired 3 times for 3 guests")
    rule = GiftRule.objects.get()
    assert (rule.gift, rule.visit_number, rule.absence_days) == ("A slice of cake for {preferred_name}", None, None)

    page.fill("#id_monthly_budget", "24.00")
    expect(page.locator("#months")).to_contain_text("75% of 24.00")  # the check has answered: post after it
    expect(page.locator("p.warning")).to_have_count(0)
    page.get_by_role("button", name="Save rule").click()
    expect(page.locator(".messages")).to_contain_text("Rule “Birthday dessert” saved.")
    page.get_by_role("link", name="← Gift rules").click()
    expect(page.locator("#rules")).to_contain_text("0.00 of 24.00 (0%)")
    page.get_by_role("link", name="Delivered gifts and history").click()
    expect(page.locator("#history")).to_contain_text("Ana changed the budget from 12.00 to 24.00.")
    assert_accessible(page, "delivered gifts and history")
    page.get_by_role("button", name="Log out").click()

    # The history, in Traditional Chinese.
    taiwan = browser_page("zh-TW")
    log_in(taiwan, manager.user.username)
    taiwan.goto(f"/gifts/{rule.pk}/")
    taiwan.get_by_role("link", name="此規則的歷史").click()
    expect(taiwan.locator("#history")).to_contain_text("Ana 將預算從 12.00 改為 24.00。")
    expect(taiwan.locator("#history")).to_contain_text("Ana 建立了規則「Birthday dessert」。")
    assert_accessible(taiwan, "the rule's history in 繁體中文")

    log_in(page, frontdesk.user.username)
    page.goto(f"/customers/{guest.pk}/")
    delight = page.locator(".delight-box")
    expect(delight).to_contain_text("A slice of cake for Aoife")
    delight.get_by_role("button", name="Deliver").click()
    expect(page.locator(".messages")).to_contain_text("Delivered: “A slice of cake for Aoife”.")
    assert Delight.objects.get(customer=guest).status == "delivered"
    assert page.goto("/gifts/").status == 403
