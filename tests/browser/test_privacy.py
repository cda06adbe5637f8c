"""Issue 11, "Done when", in a real browser: a manager opens a demo guest, sees who viewed them (their own
view included), downloads the guest's data, erases the guest after a confirmation that names them, and the
guest is gone from the lookup."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.test import override_settings
from playwright.sync_api import expect

from crm.models import AccessRecord, Customer
from tests.browser.axe import assert_accessible
from tests.browser.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo():
    with override_settings(DEBUG=True):  # the demo refuses to load otherwise
        call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_a_manager_sees_who_viewed_a_demo_guest_exports_and_erases_them(demo, page):
    guest = Customer.objects.filter(preferences__safety_critical=True, email__gt="").distinct().order_by("pk").first()
    name, allergy = guest.display_name, guest.preferences.filter(safety_critical=True).first().text
    log_in(page, "frontdesk", "rapport-demo")
    page.goto(f"/customers/{guest.pk}/")
    expect(page.locator(".safety-box")).to_contain_text(allergy)
    expect(page.locator("#access-log")).to_have_count(0)  # front desk does not see who viewed
    assert_accessible(page, "guest card (front desk)")
    page.context.clear_cookies()

    log_in(page, "manager", "rapport-demo")
    page.goto(f"/customers/{guest.pk}/")
    log = page.locator("#access-log")
    expect(log).to_contain_text("Who viewed this guest")
    expect(log.locator("tr.access").first).to_contain_text("manager")  # their own view, first
    expect(log).to_contain_text("frontdesk")
    assert_accessible(page, "guest card with who viewed (manager)")

    with page.expect_download() as download:
        page.get_by_role("link", name="Export the guest's data (JSON)").click()
    document = json.loads(open(download.value.path(), encoding="utf-8").read())  # noqa: SIM115
    assert document["customer"]["id"] == guest.pk and allergy in [p["text"] for p in document["preferences"]]

    page.get_by_role("link", name="Erase this guest…").click()
    expect(page.locator("h1")).to_contain_text(f"Erase {name}?")
    assert_accessible(page, "erase")
    page.get_by_label("I understand").check()
    page.get_by_role("button", name=f"Erase {name} for good").click()
    page.wait_for_url("**/")
    expect(page.locator(".messages")).to_contain_text(f"The guest #{guest.pk} was erased for good.")
    assert_accessible(page, "lookup after the erase")
    assert not Customer.objects.filter(pk=guest.pk).exists()
    assert AccessRecord.objects.filter(customer_id=guest.pk, action="erase", channel="screen").exists()
    with page.expect_response(
        lambda response: response.request.method == "POST" and "q=" in (response.request.post_data or "")
    ):
        page.locator("#q").fill(name)
    expect(page.locator(f'#results a[href="/customers/{guest.pk}/"]')).to_have_count(0)
