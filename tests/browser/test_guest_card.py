"""A front-desk user at tablet width: find a guest, read the brief with safety first, confirm a
preference, add one, open an issue and log the contact — in English, 简体中文 and 繁體中文."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from playwright.sync_api import expect

from crm import services
from crm.models import Contact, Issue, Preference
from tests.browser.axe import assert_accessible
from tests.browser.conftest import log_in, search_settled
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)

TEXTS = {
    "en": {
        "confirm": "Confirm",
        "confirmed": "Confirmed: “Jasmine tea”.",
        "add": "Add preference",
        "saved": "Preference saved.",
        "open": "Open issue",
        "opened": "Issue opened.",
        "log": "Log contact",
        "logged": "Contact logged.",
        "greeted": "Greeted by name",
    },
    "zh-hans": {
        "confirm": "确认",
        "confirmed": "已确认：“Jasmine tea”。",
        "add": "添加偏好",
        "saved": "偏好已保存。",
        "open": "登记问题",
        "opened": "问题已登记。",
        "log": "记录联系",
        "logged": "已记录这次联系。",
        "greeted": "已称呼姓名",
    },
    "zh-hant": {
        "confirm": "確認",
        "confirmed": "已確認：「Jasmine tea」。",
        "add": "新增偏好",
        "saved": "偏好已儲存。",
        "open": "登記問題",
        "opened": "問題已登記。",
        "log": "記錄聯繫",
        "logged": "已記錄這次聯繫。",
        "greeted": "已稱呼姓名",
    },
}


@pytest.fixture
def guest(organization, frontdesk):
    frontdesk.user.password = make_password("s3cret-pass!")
    frontdesk.user.save()
    customer = CustomerFactory(organization=organization, zhang_wei=True, salutation="先生", language="zh-hans")
    services.preference_record(customer=customer, category="allergy", text="Peanuts", polarity="avoid")
    services.preference_record(customer=customer, category="drink", text="Jasmine tea")
    services.contact_log(customer=customer, kind="arrival", occurred_at=timezone.now() - timedelta(days=95))
    services.issue_open(customer=customer, summary="Noisy air conditioning")
    return customer


@pytest.mark.parametrize("language", ["en", "zh-hans", "zh-hant"])
def test_front_desk_serves_a_returning_guest(page, frontdesk, guest, language):
    frontdesk.language = language
    frontdesk.save()
    text = TEXTS[language]
    log_in(page, frontdesk.user.username)

    page.locator("#q").press_sequentially("zhang wei", delay=30)
    expect(page.locator("#results a.result").first).to_contain_text("张伟")
    search_settled(page)  # the last keystroke's results are in: they stay put from here
    assert_accessible(page, f"lookup ({language})")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#results a.result").first).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/customers/{guest.pk}/")

    safety = page.locator(".safety-box")
    expect(safety).to_contain_text("Peanuts")
    assert safety.bounding_box()["y"] < page.locator(".recall >> text=Jasmine tea").bounding_box()["y"]  # safety first
    expect(page.locator(".say-this")).to_contain_text("欢迎回来，张先生")  # the greeting in the guest's language
    expect(page.locator("text=Zhāng Wěi")).to_be_visible()
    assert_accessible(page, f"guest card ({language})")

    tea = page.locator(".recall li", has_text="Jasmine tea")
    tea.get_by_role("button", name=text["confirm"]).click()
    expect(page.locator(".messages")).to_contain_text(text["confirmed"])
    assert Preference.objects.get(customer=guest, text="Jasmine tea").times_confirmed == 1

    form = page.locator("#preference-form")
    form.locator("select[name=category]").select_option("room")
    form.locator("input[name=text]").fill("High floor, away from the lift")
    form.get_by_role("button", name=text["add"]).click()
    expect(page.locator(".messages")).to_contain_text(text["saved"])
    assert Preference.objects.filter(customer=guest, text="High floor, away from the lift").count() == 1

    issue = page.locator("#issue-form")
    issue.locator("input[name=summary]").fill("Late breakfast delivery")
    issue.locator("select[name=severity]").select_option("high")
    issue.get_by_role("button", name=text["open"]).click()
    expect(page.locator(".messages")).to_contain_text(text["opened"])
    # in Repair (and, further down, on the timeline)
    expect(page.locator("section[aria-label] li", has_text="Late breakfast delivery").first).to_be_visible()
    assert Issue.objects.filter(customer=guest, summary="Late breakfast delivery", severity="high").count() == 1

    contact = page.locator("#contact-form")
    contact.locator("select[name=kind]").select_option("arrival")
    contact.get_by_label(text["greeted"]).check()
    contact.get_by_label("Peanuts").check()
    contact.get_by_role("button", name=text["log"]).click()
    expect(page.locator(".messages")).to_contain_text(text["logged"])
    logged = Contact.objects.filter(customer=guest).latest("created_at")
    assert logged.greeted_by_name and logged.brief_shown["safety_acknowledged"][0]["text"] == "Peanuts"
