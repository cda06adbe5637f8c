"""A new front-desk user on the demo, as `./rapport run` leaves it: log in as `frontdesk` in a
Chinese browser at tablet width, find a guest, read safety first, confirm a preference, add one,
open an issue and log the contact — the screens in the browser's language."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from crm.models import Contact, Customer, Issue, Preference
from tests.browser.axe import assert_accessible
from tests.browser.conftest import log_in, search_settled

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo(settings):
    settings.DEBUG = True  # the demo refuses to load otherwise
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


@pytest.fixture
def chinese_page(browser_page):
    return browser_page("zh-CN")


def test_a_new_front_desk_user_serves_a_demo_guest_in_chinese(demo, chinese_page):
    page = chinese_page
    # A demo guest with a Han name, a safety need and something to recall.
    guest = (
        Customer.objects.filter(native_name__regex=r"^[\u4e00-\u9fff]{2,3}$", preferences__safety_critical=True)
        .filter(preferences__safety_critical=False)
        .distinct()
        .order_by("pk")
        .first()
    )
    safety = guest.preferences.filter(safety_critical=True).first()
    log_in(page, "frontdesk", "rapport-demo")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")  # the browser's language

    page.locator("#q").press_sequentially(guest.native_name, delay=30)
    expect(page.locator("#results a.result").first).to_contain_text(guest.native_name)
    search_settled(page)  # the last keystroke's results are in: they stay put from here
    assert_accessible(page, "lookup")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/customers/{guest.pk}/")

    box = page.locator(".safety-box")
    expect(box).to_contain_text(safety.text)
    assert_accessible(page, "guest card")
    recall = page.locator(".recall li").first
    assert box.bounding_box()["y"] < recall.bounding_box()["y"]  # safety first
    remembered = recall.locator("span").first.inner_text()
    recall.get_by_role("button", name="确认").click()
    expect(page.locator(".messages")).to_contain_text("已确认")
    assert Preference.objects.get(customer=guest, text=remembered).times_confirmed >= 1

    form = page.locator("#preference-form")
    form.locator("select[name=category]").select_option("drink")
    form.locator("input[name=text]").fill("热豆浆，不加糖")
    form.get_by_role("button", name="添加偏好").click()
    expect(page.locator(".messages")).to_contain_text("偏好已保存。")

    issue = page.locator("#issue-form")
    issue.locator("input[name=summary]").fill("房间 WiFi 断线")
    issue.get_by_role("button", name="登记问题").click()
    expect(page.locator(".messages")).to_contain_text("问题已登记。")

    contact = page.locator("#contact-form")
    contact.locator("select[name=kind]").select_option("arrival")
    contact.get_by_label("已称呼姓名").check()
    contact.get_by_label(safety.text).check()
    contact.get_by_role("button", name="记录联系").click()
    expect(page.locator(".messages")).to_contain_text("已记录这次联系。")
    assert_accessible(page, "guest card, contact logged")

    assert Preference.objects.filter(customer=guest, text="热豆浆，不加糖").count() == 1
    assert Issue.objects.filter(customer=guest, summary="房间 WiFi 断线").count() == 1
    logged = Contact.objects.filter(customer=guest).latest("created_at")
    assert logged.greeted_by_name and logged.brief_shown["safety_acknowledged"][0]["text"] == safety.text
