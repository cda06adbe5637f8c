"""The screens under their Content-Security-Policy, in a real browser: the lookup (htmx), "say it", the
language menu, the gift-rule editor (htmx) and its delete confirmation, and the admin all work, and the
browser reports no violation of the policy."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import make_password
from playwright.sync_api import expect

from crm.services import manager_group
from personalization.models import Feedback, GiftRule, Touch
from personalization.touches import messages
from tests.browser.axe import assert_accessible
from tests.browser.conftest import log_in, search_settled
from tests.factories import CustomerFactory
from tests.personalization.touches.conftest import resolve_issue

pytestmark = pytest.mark.django_db(transaction=True)

# Before any page script: record every CSP violation, and what the speech synthesis is asked to say (headless
# Chromium has no voices; the button's work is handing the right words to the browser).
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI + " " + (e.sample || ""));
});
window.__said = [];
if (window.speechSynthesis) {
  window.speechSynthesis.speak = (u) => window.__said.push([u.text, u.lang]);
}
"""


@pytest.fixture
def watched(page):
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.add_init_script(WATCH)
    yield page, console
    violations = page.evaluate("window.__violations")
    assert violations == [], violations
    assert not [text for text in console if "Content Security Policy" in text], console


def test_lookup_say_it_and_language_menu_work_under_the_policy(watched, frontdesk, organization):
    page, _console = watched
    frontdesk.user.password = make_password("s3cret-pass!")
    frontdesk.user.save()
    guest = CustomerFactory(
        organization=organization, given_name="Wei", family_name="Zhang", native_name="张伟", language="zh-hans"
    )
    log_in(page, frontdesk.user.username)
    response = page.goto("/")
    assert "script-src 'self' 'nonce-" in response.headers["content-security-policy"]

    # htmx: results as you type, and what was typed stays out of the address bar (and so the history)
    page.locator("#q").press_sequentially("zhang wei", delay=30)
    expect(page.locator("#results a.result").first).to_contain_text("张伟")
    assert "zhang" not in page.url.lower()
    search_settled(page)  # the last keystroke's results are in: they stay put from here
    assert_accessible(page, "lookup")

    page.locator("#results a.result").first.click()
    page.wait_for_url(f"**/customers/{guest.pk}/")
    assert_accessible(page, "guest card")
    page.get_by_role("button", name="Say it").first.click()
    page.wait_for_function("window.__said.length > 0")
    assert page.evaluate("window.__said")[0] == ["张伟", "zh-CN"]

    # the language menu submits itself (a listener in rapport.js, no inline handler)
    page.get_by_label("Language", exact=True).select_option("zh-hans")  # not the card's "preferred language"
    expect(page.locator("h2, h1").first).to_be_visible()
    expect(page.get_by_role("link", name="查找客人")).to_be_visible()
    assert_accessible(page, "guest card (zh-hans)")


def test_gift_rule_editor_and_admin_work_under_the_policy(watched, manager):
    page, _console = watched
    manager.user.password = make_password("s3cret-pass!")
    manager.user.is_staff = True
    manager.user.save()
    manager.user.groups.add(manager_group())
    log_in(page, manager.user.username)
    page.goto("/gifts/new/")
    page.fill("#id_name", "Birthday dessert")
    page.select_option("#id_trigger", "birthday")
    page.fill("#id_gift", "A slice of cake for {prefered_name}")
    expect(page.locator("#check")).to_contain_text("Unknown placeholder {prefered_name}")  # htmx under the CSP
    assert_accessible(page, "gift-rule editor")
    page.fill("#id_gift", "A slice of cake for {preferred_name}")
    page.fill("#id_cost", "6.00")
    # Let the editor's own checks (on input, 400 ms later, and on change) finish before posting: on SQLite the
    # test's live server shares one in-memory connection between its threads, and two requests at once break it.
    page.locator("#id_cost").blur()
    page.wait_for_timeout(1000)
    expect(page.locator("#check")).not_to_contain_text("Unknown placeholder")
    page.get_by_role("button", name="Save rule").click()
    expect(page.locator(".messages")).to_contain_text("saved")

    # the delete button asks first (data-confirm, wired by rapport.js): dismissed, nothing happens
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Delete rule").click()
    assert GiftRule.objects.filter(active=True).count() == 1
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete rule").click()
    expect(page.locator(".messages")).to_be_visible()

    response = page.goto("/admin/crm/customer/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator("#changelist")).to_be_visible()
    assert_accessible(page, "admin: customers")
    page.goto("/admin/crm/customer/add/")  # the admin's own scripts (prepopulate, inlines) under the policy
    expect(page.locator("#customer_form")).to_be_visible()
    page.locator(".add-row").get_by_text("Add another Preference").click()
    expect(page.locator("#preferences-0")).to_be_visible()
    # (no axe here: Django's tabular inlines label their fields by the column header only, which axe calls critical)


def test_the_guests_survey_page_works_under_the_policy_and_takes_one_answer(watched, customer, property_):
    page, _console = watched
    resolve_issue(customer, property_)
    url = messages.feedback_url(Touch.objects.get(customer=customer)).split("/", 3)[3]
    response = page.goto(f"/{url}?score=4")
    assert "style-src 'self' 'nonce-" in response.headers["content-security-policy"]
    assert_accessible(page, "guest's survey")
    page.get_by_role("button").last.click()
    expect(page.locator("h1")).to_contain_text("Thank you")
    assert_accessible(page, "guest's survey, thanks")
    page.goto(f"/{url}")
    expect(page.locator("h1")).to_contain_text("already been answered")
    assert Feedback.objects.get().score == 4
