"""A front-desk user at 768 px, in English and 繁體中文: acknowledge a complaint, tick the recovery steps, resolve
it with words for the guest, then find the call-back on the desk's task list and finish it — with no script or
style the Content-Security-Policy refuses."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import make_password
from playwright.sync_api import expect

from crm import services
from crm.models import Contact, Issue
from personalization.models import Touch
from tests.browser.axe import assert_accessible
from tests.browser.conftest import log_in
from tests.browser.test_csp import WATCH
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)

TEXTS = {
    "en": {
        "acknowledge": "Acknowledge: we are on it",
        "save": "Save steps",
        "next": "Solve",
        "resolve": "Resolve the issue",
        "tasks": "Tasks",
        "reached": "Reached",
        "finish": "Finish the task",
        "done": "Done: Reached.",
    },
    "zh-hant": {
        "acknowledge": "受理：我們正在處理",
        "save": "儲存步驟",
        "next": "解決",
        "resolve": "標記為已解決",
        "tasks": "任務",
        "reached": "已聯絡上",
        "finish": "完成任務",
        "done": "已完成：已聯絡上。",
    },
}


@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_a_complaint_is_recovered_and_the_guest_called_back(
    page, frontdesk, organization, property_, settings, language
):
    settings.RAPPORT_FOLLOW_UP_DELAY_HOURS = 0  # the call-back is due at once
    frontdesk.user.password = make_password("s3cret-pass!")
    frontdesk.user.save()
    frontdesk.language = language
    frontdesk.save()
    guest = CustomerFactory(
        organization=organization, given_name="Jing", family_name="Chen", native_name="陳靜", email=""
    )
    issue = services.issue_open(customer=guest, property=property_, summary="Charged twice for the minibar")
    text = TEXTS[language]
    page.set_viewport_size({"width": 768, "height": 1024})
    page.add_init_script(WATCH)
    log_in(page, frontdesk.user.username)

    page.goto(f"/customers/{guest.pk}/")
    assert_accessible(page, f"guest card with an open issue ({language})")
    card = page.locator(f"article.issue[data-issue='{issue.pk}']")
    card.get_by_role("button", name=text["acknowledge"]).click()
    card = page.locator(f"article.issue[data-issue='{issue.pk}']")
    expect(card).to_have_attribute("data-status", "in_progress")

    for step in ("listen", "empathize", "apologize"):
        card.locator(f"input[name=steps_done][value={step}]").check()
    card.get_by_role("button", name=text["save"]).click()
    expect(page.locator("section[aria-label] li:not(.event)", has_text="Charged twice")).to_contain_text(text["next"])
    assert Issue.objects.get(pk=issue.pk).steps_done == ["listen", "empathize", "apologize"]

    card = page.locator(f"article.issue[data-issue='{issue.pk}']")
    card.locator("textarea[name=resolution]").fill("Refunded the second charge")
    card.locator("input[name=guest_summary]").fill("a mistake on your bill")
    card.get_by_role("button", name=text["resolve"]).click()
    expect(page.locator(f"article.issue[data-issue='{issue.pk}']")).to_have_attribute("data-status", "resolved")
    assert_accessible(page, f"guest card, issue resolved ({language})")

    nav = page.get_by_role("link", name=text["tasks"])
    expect(nav.locator(".count")).to_have_text("1")
    nav.click()
    task = page.locator("li.task", has_text=guest.display_name)
    expect(task).to_be_visible()
    assert_accessible(page, f"tasks ({language})")
    task.get_by_label(text["reached"]).check()
    task.locator("textarea[name=note]").fill("她說沒問題了" if language == "zh-hant" else "All fine now")
    task.get_by_role("button", name=text["finish"]).click()
    expect(page.locator(".messages")).to_contain_text(text["done"])
    expect(page.locator("li.task")).to_have_count(0)
    assert_accessible(page, f"tasks, all done ({language})")

    assert Touch.objects.get(issue=issue).status == "done"
    assert Contact.objects.get(customer=guest).kind == "call"
    assert page.evaluate("window.__violations") == []
