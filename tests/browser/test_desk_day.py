"""Issue 12's "Done when", walked in a real browser on the demo as `./rapport run` leaves it, in English and in
繁體中文 at 768 px: as `frontdesk`, a walk-in nobody finds is added from the search box (a likely duplicate shown
first), their name recorded in their own voice and played back, a preference and an allergy added (the allergy is
`avoid`), an issue opened, acknowledged, its steps ticked and resolved with words for the guest; the call-back it
creates for a guest without email waits on the desk's task list and is finished with an outcome. As `manager`,
two duplicates are compared and merged and the old URL leads to the kept profile. axe-core checks every screen
on the way and the Content-Security-Policy refuses nothing."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from crm.models import Contact, Customer, Issue, Preference
from personalization.models import Touch
from tests.browser.axe import assert_accessible
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, TABLET, log_in
from tests.browser.test_csp import WATCH

pytestmark = pytest.mark.django_db(transaction=True)

FAKE_MICROPHONE = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
LOCALES = {"en": "en-US", "zh-hant": "zh-TW"}
TEXTS = {
    "en": {
        "new": "+ New guest",
        "save_guest": "Save the new guest",
        "keep": "Save the recording",
        "open_issue": "Open issue",
        "acknowledge": "Acknowledge: we are on it",
        "save_steps": "Save steps",
        "next": "Solve",
        "resolve": "Resolve the issue",
        "tasks": "Tasks",
        "reached": "Reached",
        "finish": "Finish the task",
        "done": "Done: Reached.",
        "compare": "Compare, keep left",
        "merged": "was merged into this one",
    },
    "zh-hant": {
        "new": "+ 新客人",
        "save_guest": "儲存新客人",
        "keep": "儲存錄音",
        "open_issue": "登記問題",
        "acknowledge": "受理：我們正在處理",
        "save_steps": "儲存步驟",
        "next": "解決",
        "resolve": "標記為已解決",
        "tasks": "任務",
        "reached": "已聯絡上",
        "finish": "完成任務",
        "done": "已完成：已聯絡上。",
        "compare": "比較，保留左邊",
        "merged": "已合併到這份資料",
    },
}


@pytest.fixture
def demo(settings, tmp_path):
    settings.DEBUG = True  # the demo refuses to load otherwise
    settings.MEDIA_ROOT = str(tmp_path)
    settings.RAPPORT_FOLLOW_UP_DELAY_HOURS = 0  # the call-back is due at once
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115


@pytest.fixture
def desk(chromium, live_server):
    """Tablet pages of a second Chromium whose microphone is a fake device, one new context per login."""
    browser = chromium.browser_type.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS + FAKE_MICROPHONE)
    contexts = []

    def open_page(locale: str):
        context = browser.new_context(
            viewport=TABLET, locale=locale, base_url=live_server.url, permissions=["microphone"]
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.add_init_script(WATCH)
        return page

    yield open_page
    for context in contexts:
        context.close()
    browser.close()


@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_a_whole_day_at_the_desk(demo, desk, language):
    text = TEXTS[language]
    page = desk(LOCALES[language])
    log_in(page, "frontdesk", "rapport-demo")
    expect(page.locator("html")).to_have_attribute("lang", language)
    assert_accessible(page, "lookup")

    # A walk-in nobody finds; the search box offers to add them, with the typed name in the right fields.
    page.locator("#q").press_sequentially("陳美玲", delay=30)
    expect(page.locator("#new-guest.primary")).to_have_text(text["new"])
    assert_accessible(page, "lookup, nobody found")
    page.locator("#new-guest").click()
    form = page.locator("#new-guest-form")
    expect(form.locator("input[name=native_name]")).to_have_value("陳美玲")
    expect(form.locator("input[name=family_name]")).to_have_value("陳")
    expect(form.locator("input[name=given_name]")).to_have_value("美玲")
    # The phone of a guest the demo already holds: that profile is shown before anything is saved.
    known = Customer.objects.filter(organization__name__isnull=False).exclude(phone="").order_by("pk").first()
    form.locator("input[name=phone]").fill(known.phone)
    expect(page.locator("#duplicates a").first).to_have_attribute("href", f"/customers/{known.pk}/")
    assert_accessible(page, "new guest, a likely duplicate shown")
    # (it is somebody else: a phone of their own and no email, so recovery will call them back)
    form.locator("input[name=phone]").fill("+86 139 1234 5678")
    form.get_by_role("button", name=text["save_guest"]).click()
    guest = Customer.objects.get(native_name="陳美玲")
    page.wait_for_url(f"**/customers/{guest.pk}/")
    expect(page.locator("h1")).to_contain_text("陳美玲")
    assert guest.email == "" and guest.phone == "+8613912345678"  # read in the Shanghai desk's country
    assert_accessible(page, "guest card of the walk-in")

    # Their name in their own voice, recorded from the (fake) microphone and played back on the card.
    recording = page.locator("#recording-form")
    recording.locator("input[name=consent]").check()
    recording.locator("[data-record]").click()
    page.wait_for_timeout(1500)
    recording.locator("[data-stop]").click()
    expect(recording).to_have_attribute("data-recorded", "true")
    recording.get_by_role("button", name=text["keep"], exact=True).click()
    audio = page.locator("#name-recording audio")
    expect(audio).to_be_attached()
    playable = audio.evaluate(
        """(a) => new Promise((done) => {
            a.addEventListener("loadedmetadata", () => done(a.readyState), { once: true });
            a.addEventListener("error", () => done(-1), { once: true });
            a.preload = "auto"; a.load();
        })"""
    )
    assert playable >= 1  # HAVE_METADATA: the browser decoded what it recorded

    # A preference, then an allergy: avoided without anyone choosing it, and first in the safety box.
    preference = page.locator("#preference-form")
    preference.locator("select[name=category]").select_option("drink")
    preference.locator("input[name=text]").fill("Jasmine tea")
    preference.locator("button[type=submit]").click()
    page.wait_for_url(f"**/customers/{guest.pk}/")
    preference = page.locator("#preference-form")
    preference.locator("select[name=category]").select_option("allergy")
    expect(preference.locator("select[name=polarity]")).to_have_value("avoid")
    preference.locator("input[name=text]").fill("Penicillin")
    preference.locator("button[type=submit]").click()
    page.wait_for_url(f"**/customers/{guest.pk}/")
    expect(page.locator(".safety-box")).to_contain_text("Penicillin")
    assert dict(Preference.objects.filter(customer=guest).values_list("text", "polarity")) == {
        "Jasmine tea": "likes",
        "Penicillin": "avoid",
    }

    # An issue: opened, acknowledged, its steps ticked, resolved with words the guest may read.
    opened = page.locator("#issue-form")
    opened.locator("input[name=summary], textarea[name=summary]").fill("Room not cleaned")
    opened.get_by_role("button", name=text["open_issue"]).click()
    page.wait_for_url(f"**/customers/{guest.pk}/")
    issue = Issue.objects.get(customer=guest)
    card = page.locator(f"article.issue[data-issue='{issue.pk}']")
    card.get_by_role("button", name=text["acknowledge"]).click()
    card = page.locator(f"article.issue[data-issue='{issue.pk}']")
    expect(card).to_have_attribute("data-status", "in_progress")
    assert_accessible(page, "guest card, issue in progress")
    for step in ("listen", "empathize", "apologize"):
        card.locator(f"input[name=steps_done][value={step}]").check()
    card.get_by_role("button", name=text["save_steps"]).click()
    expect(page.locator("section[aria-label] li:not(.event)", has_text="Room not cleaned")).to_contain_text(
        text["next"]
    )
    card = page.locator(f"article.issue[data-issue='{issue.pk}']")
    card.locator("textarea[name=resolution]").fill("Cleaned at once, a fruit basket sent up")
    card.locator("input[name=guest_summary]").fill("your room was not ready")
    card.get_by_role("button", name=text["resolve"]).click()
    expect(page.locator(f"article.issue[data-issue='{issue.pk}']")).to_have_attribute("data-status", "resolved")
    issue.refresh_from_db()
    assert issue.steps_done == ["listen", "empathize", "apologize"] and issue.guest_summary == "your room was not ready"

    # No email: the desk calls them back. The task waits on the list and is finished with an outcome.
    nav = page.get_by_role("link", name=text["tasks"])
    expect(nav.locator(".count")).not_to_have_text("0")
    nav.click()
    page.wait_for_url("**/tasks/")
    assert_accessible(page, "tasks")
    task = page.locator("li.task", has_text=guest.display_name)
    task.get_by_label(text["reached"]).check()
    task.locator("textarea[name=note]").fill("她說房間很好了" if language == "zh-hant" else "All fine now")
    task.get_by_role("button", name=text["finish"]).click()
    expect(page.locator(".messages")).to_contain_text(text["done"])
    expect(page.locator("li.task", has_text=guest.display_name)).to_have_count(0)
    assert Touch.objects.get(issue=issue).status == "done"
    assert Contact.objects.filter(customer=guest, kind="call").count() == 1
    assert page.evaluate("window.__violations") == []

    # As the manager: two likely duplicates compared side by side, merged, and the old URL leads to the kept one.
    manager = desk(LOCALES[language])
    log_in(manager, "manager", "rapport-demo")
    manager.goto("/duplicates/")
    assert_accessible(manager, "duplicates")
    manager.get_by_role("link", name=text["compare"]).first.click()
    manager.wait_for_url("**/duplicates/merge/**")
    expect(manager.locator("#comparison")).to_be_visible()
    assert_accessible(manager, "merge comparison")
    kept = int(manager.locator("#merge-form input[name=kept]").get_attribute("value"))
    duplicate = int(manager.locator("#merge-form input[name=duplicate]").get_attribute("value"))
    manager.locator("#merge-form input[name=confirm]").check()
    manager.locator("#merge-form button[type=submit]").click()
    manager.wait_for_url(f"**/customers/{kept}/")
    manager.goto(f"/customers/{duplicate}/")
    manager.wait_for_url(f"**/customers/{kept}/")
    expect(manager.locator(".messages")).to_contain_text(text["merged"])
    assert_accessible(manager, "kept profile after the merge")
    assert Customer.objects.get(pk=duplicate).merged_into_id == kept
    assert manager.evaluate("window.__violations") == []
