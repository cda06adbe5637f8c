"""A walk-in at the desk, in a real browser with a fake microphone (issue 12): not found by the lookup, added
from the search box (a likely duplicate is shown first), their name recorded in their own voice and played back
on the card, an allergy added (it is `avoid` without anyone choosing it) — with no CSP violation on the way."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import make_password
from playwright.sync_api import expect

from crm import services
from crm.models import Customer, Preference
from tests.browser.axe import assert_accessible
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, TABLET, log_in

pytestmark = pytest.mark.django_db(transaction=True)

FAKE_MICROPHONE = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI + " " + (e.sample || ""));
});
"""
TEXTS = {
    "en": {"new": "+ New guest", "save": "Save the new guest", "keep": "Save the recording"},
    "zh-hant": {"new": "+ 新客人", "save": "儲存新客人", "keep": "儲存錄音"},
}


@pytest.fixture
def microphone_page(chromium, live_server):
    """A tablet page of a second Chromium (from the suite's Playwright) whose microphone is a fake device."""
    browser = chromium.browser_type.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS + FAKE_MICROPHONE)
    context = browser.new_context(viewport=TABLET, base_url=live_server.url, permissions=["microphone"])
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.add_init_script(WATCH)
    yield page
    context.close()
    browser.close()


@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_a_walk_in_is_added_recorded_and_played_back(
    microphone_page, frontdesk, organization, settings, tmp_path, language
):
    settings.MEDIA_ROOT = str(tmp_path)
    page, text = microphone_page, TEXTS[language]
    frontdesk.user.password = make_password("s3cret-pass!")
    frontdesk.user.save()
    frontdesk.language = language
    frontdesk.save()
    known = services.customer_create(
        organization=organization, given_name="Jing", family_name="Chan", phone="+85291234567"
    )
    log_in(page, frontdesk.user.username)

    # Nobody is found: the typed name opens the new-guest form, filled as typed
    page.locator("#q").press_sequentially("陳靜", delay=30)
    expect(page.locator("#new-guest.primary")).to_have_text(text["new"])  # nobody matches: the main action
    assert_accessible(page, f"lookup, nobody found ({language})")
    page.locator("#new-guest").click()
    form = page.locator("#new-guest-form")
    expect(form.locator("input[name=native_name]")).to_have_value("陳靜")
    expect(form.locator("input[name=family_name]")).to_have_value("陳")
    expect(form.locator("input[name=given_name]")).to_have_value("靜")
    expect(form.locator("select[name=language]")).to_have_value("zh-hant")

    # A likely duplicate shows as the phone is typed
    form.locator("input[name=phone]").fill("+852 9123 4567")
    expect(page.locator("#duplicates a")).to_have_attribute("href", f"/customers/{known.pk}/")
    assert_accessible(page, f"new guest with a likely duplicate ({language})")
    # (a different person after all: the desk saves the new guest)
    form.locator("input[name=phone]").fill("+852 9876 5432")
    form.get_by_role("button", name=text["save"]).click()
    guest = Customer.objects.get(native_name="陳靜")
    page.wait_for_url(f"**/customers/{guest.pk}/")
    expect(page.locator("h1")).to_contain_text("陳靜")
    assert_accessible(page, f"guest card of the walk-in ({language})")

    # Their name in their own voice, from the (fake) microphone
    recording = page.locator("#recording-form")
    recording.locator("input[name=consent]").check()
    recording.locator("[data-record]").click()
    page.wait_for_timeout(1500)
    recording.locator("[data-stop]").click()
    expect(recording).to_have_attribute("data-recorded", "true")
    recording.get_by_role("button", name=text["keep"], exact=True).click()
    audio = page.locator("#name-recording audio")
    expect(audio).to_be_attached()
    assert_accessible(page, f"guest card with their recording ({language})")
    guest.refresh_from_db()
    assert guest.pronunciation_audio.name.endswith(".webm")
    playable = audio.evaluate(
        """(a) => new Promise((done) => {
            a.addEventListener("loadedmetadata", () => done(a.readyState), { once: true });
            a.addEventListener("error", () => done(-1), { once: true });
            a.preload = "auto"; a.load();
        })"""
    )
    assert playable >= 1  # HAVE_METADATA: the browser decoded what it recorded

    # An allergy is to be avoided without anyone choosing it
    preference = page.locator("#preference-form")
    preference.locator("select[name=category]").select_option("allergy")
    expect(preference.locator("select[name=polarity]")).to_have_value("avoid")
    preference.locator("input[name=text]").fill("Penicillin")
    preference.locator("button[type=submit]").click()
    page.wait_for_url(f"**/customers/{guest.pk}/")
    expect(page.locator(".safety-box")).to_contain_text("Penicillin")
    assert Preference.objects.get(customer=guest, text="Penicillin").polarity == "avoid"

    assert page.evaluate("window.__violations") == []
