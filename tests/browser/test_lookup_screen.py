"""Front desk finds a guest from the search box, by keyboard, in a real browser."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import make_password
from playwright.sync_api import expect

from tests.browser.axe import assert_accessible
from tests.browser.conftest import log_in, search_settled
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def guests(organization, frontdesk):
    # The browser logs in with a real password check: store it with the test hasher.
    frontdesk.user.password = make_password("s3cret-pass!")
    frontdesk.user.save()
    return {
        "zhang": CustomerFactory(
            organization=organization,
            given_name="Wei",
            family_name="Zhang",
            native_name="张伟",
            phone="+86 138 0013 8000",
        ),
        "kathy": CustomerFactory(organization=organization, given_name="Katherine", family_name="Lee"),
        "siobhan": CustomerFactory(
            organization=organization, given_name="Siobhán", family_name="O'Connor", pronunciation="shiv-AWN"
        ),
    }


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("張偉", "张伟"), ("zhang wei", "张伟"), ("8000", "张伟"), ("Kathy", "Katherine Lee"), ("oconnor", "Siobhán")],
)
def test_results_appear_as_you_type(page, frontdesk, guests, typed, expected):
    log_in(page, frontdesk.user.username)
    page.locator("#q").press_sequentially(typed, delay=30)
    # Retried until htmx has swapped in the results for what was typed (the page opens on the newest guests).
    expect(page.locator("#results a.result").first).to_contain_text(expected)


def test_keyboard_opens_the_guest_card(page, frontdesk, guests):
    log_in(page, frontdesk.user.username)
    page.locator("#q").press_sequentially("zhang", delay=30)
    expect(page.locator("#results a.result")).to_have_count(1)
    search_settled(page)  # the last keystroke's results are in: they stay put from here
    assert_accessible(page, "lookup")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/customers/{guests['zhang'].pk}/")
    assert "Zhāng Wěi" in page.content()
    assert page.locator("button.say-it").count() == 1
    assert_accessible(page, "guest card")
