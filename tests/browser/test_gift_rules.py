"""A manager in a real browser: creates "Birthday dessert", watches the live check and the 90-day preview,
saves, and finds it in the rule list with this month's budget; the front desk then delivers it on the card."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from playwright.sync_api import expect

from crm.partial_dates import PartialDate
from personalization.models import Delight, GiftRule
from tests.browser.conftest import log_in
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)


def day(days: int) -> PartialDate:
    d = timezone.localdate() + timedelta(days=days)
    return PartialDate(month=d.month, day=d.day, year=1980)


def test_a_manager_creates_a_rule_and_the_front_desk_delivers_it(page, manager, frontdesk, organization):
    for staff in (manager, frontdesk):
        staff.user.password = make_password("s3cret-pass!")
        staff.user.save()
    for days in (-5, -40):
        CustomerFactory(organization=organization, birthday=day(days))
    guest = CustomerFactory(organization=organization, given_name="Aoife", birthday=day(2))

    log_in(page, manager.user.username)
    page.get_by_role("link", name="Gift rules").click()
    page.get_by_role("link", name="New rule").click()
    page.fill("#id_name", "Birthday dessert")
    page.select_option("#id_trigger", "birthday")
    page.fill("#id_window_days", "7")
    page.fill("#id_gift", "A slice of cake for {prefered_name}")  # a typo first
    expect(page.locator("#check")).to_contain_text("Unknown placeholder {prefered_name}")
    page.fill("#id_gift", "A slice of cake for {preferred_name}")
    page.fill("#id_cost", "6.00")
    page.fill("#id_monthly_budget", "30.00")
    expect(page.locator("#backtest")).to_contain_text(
        "Over the last 90 days this rule would have fired 2 times for 2 guests, costing 12.00, 13% of its budget."
    )
    page.get_by_role("button", name="Save rule").click()
    expect(page.locator(".messages")).to_contain_text("Rule “Birthday dessert” saved.")
    expect(page.locator("#backtest")).to_contain_text("fired 2 times for 2 guests")
    assert GiftRule.objects.get().gift == "A slice of cake for {preferred_name}"
    page.get_by_role("link", name="← Gift rules").click()
    expect(page.locator("#rules")).to_contain_text("0.00 of 30.00 (0%)")
    page.get_by_role("button", name="Log out").click()

    log_in(page, frontdesk.user.username)
    page.goto(f"/customers/{guest.pk}/")
    delight = page.locator(".delight-box")
    expect(delight).to_contain_text("A slice of cake for Aoife")
    delight.get_by_role("button", name="Deliver").click()
    expect(page.locator(".messages")).to_contain_text("Delivered: “A slice of cake for Aoife”.")
    assert Delight.objects.get(customer=guest).status == "delivered"
    assert page.goto("/gifts/").status == 403
