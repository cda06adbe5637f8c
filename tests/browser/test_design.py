"""Every staff screen at the desk's tablet (768 px), in English and 繁體中文 (issue 12, "Tablet and accessibility"):
each visible control is at least 44 px tall (a checkbox or a radio through its label), axe-core finds no serious or
critical violation, and the lookup works from the keyboard with the focus always visible."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.axe import assert_accessible
from tests.browser.conftest import log_in, search_settled
from tests.browser.demo import arrivals_page, load_demo, rich_guest

pytestmark = pytest.mark.django_db(transaction=True)

TOUCH = 44  # px: the smallest target a finger hits reliably (WCAG 2.5.5, Apple's and Google's guidance)
LOCALES = {"en-US": "en", "zh-TW": "zh-hant"}

# Every control a finger aims at. Links inside sentences and table cells are text, not targets (WCAG 2.5.8
# exempts them); links made to look like buttons, the bar's links and the tabs are targets.
MEASURE = """() => {
  const selector = 'button, a.button, a.result, body > header a, nav a, '
    + 'input:not([type=hidden]), select, textarea, summary';
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.name ? `[name=${el.name}]` : '')
    + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '')
    + ' "' + (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 30) + '"';
  const shown = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const measured = [];
  for (const el of document.querySelectorAll(selector)) {
    if (!shown(el)) continue;
    let target = el;
    if (el.matches('input[type=checkbox], input[type=radio]')) {
      target = el.labels && el.labels.length ? el.labels[0] : null;
      if (!target) { measured.push({what: describe(el) + ' (no label)', height: 0}); continue; }
    }
    measured.push({what: describe(el), height: Math.round(target.getBoundingClientRect().height * 10) / 10});
  }
  return measured;
}"""


def assert_touchable(page, screen: str) -> int:
    measured = page.evaluate(MEASURE)
    assert measured, f"{screen}: no control found"
    small = [f"{m['what']}: {m['height']} px" for m in measured if m["height"] < TOUCH]
    assert not small, f"{screen}: controls under {TOUCH} px: " + "; ".join(small)
    return len(measured)


def check(page, screen: str) -> None:
    assert_touchable(page, screen)
    assert_accessible(page, screen)


def shown(page, ready, screen: str) -> None:
    """Once `ready` (a locator) is visible, check the screen."""
    expect(ready).to_be_visible()
    check(page, screen)


@pytest.fixture
def demo(settings):
    load_demo(settings)


@pytest.mark.parametrize("locale", LOCALES)
def test_front_desk_screens_are_touchable_and_accessible(demo, browser_page, locale):
    page = browser_page(locale)
    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", LOCALES[locale])
    check(page, "login")

    log_in(page, "frontdesk", "rapport-demo")
    guest = rich_guest()
    page.locator("#q").press_sequentially("zhang", delay=30)
    expect(page.locator("#results a.result").first).to_contain_text("张伟")
    check(page, "lookup with results")

    page.goto(f"/customers/{guest.pk}/")
    shown(page, page.locator(".safety-box"), "guest card")

    page.locator("#profile summary").click()
    shown(page, page.locator("#profile-form"), "profile edit")

    page.goto("/customers/new/")
    shown(page, page.locator("#new-guest-form"), "new guest")

    page.goto("/tasks/")
    shown(page, page.locator("li.task").first, "tasks")  # the demo's call-back, with its form

    page.goto("/duplicates/")  # a manager's screen
    expect(page.locator("h1")).to_have_count(1)
    check(page, "403")

    page.goto("/customers/987654321/")
    check(page, "404")


@pytest.mark.parametrize("locale", LOCALES)
def test_manager_screens_are_touchable_and_accessible(demo, browser_page, locale):
    page = browser_page(locale)
    log_in(page, "manager", "rapport-demo")

    page.goto("/duplicates/")
    shown(page, page.locator(".pair").first, "duplicates")

    page.locator(".pair a.compare-left").first.click()
    shown(page, page.locator("#comparison"), "merge comparison")

    page.goto("/touches/")
    shown(page, page.locator("table"), "follow-ups")

    page.goto(arrivals_page())
    shown(page, page.locator("li.arrival").first, "arrivals")

    page.goto(f"/customers/{rich_guest().pk}/timeline/")
    expect(page.locator("h1")).to_have_count(1)
    check(page, "timeline")

    page.goto("/two-factor/")
    expect(page.locator("h1")).to_have_count(1)
    check(page, "two-factor set-up")

    page.goto("/touches/")
    page.locator("a[href*='/brand/']").first.click()
    expect(page.locator("form")).not_to_have_count(0)
    check(page, "the property's mails")


@pytest.mark.parametrize("locale", LOCALES)
def test_the_lookup_works_from_the_keyboard_with_the_focus_always_visible(demo, browser_page, locale):
    page = browser_page(locale)
    log_in(page, "frontdesk", "rapport-demo")
    guest = rich_guest()
    # Start from the top of the page, as after a click on the bar: no autofocus to lean on.
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.mouse.click(2, 2)

    def tab_to(selector: str, limit: int = 25) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            focused = page.evaluate(
                """(selector) => {
                  const el = document.activeElement, style = getComputedStyle(el);
                  return {match: el.matches(selector), outline: style.outlineStyle,
                          width: parseFloat(style.outlineWidth),
                          what: el.tagName + ' ' + (el.innerText || el.name || '').slice(0, 30)};
                }""",
                selector,
            )
            # the focus ring: an outline of :focus-visible on whatever the keyboard reached
            assert focused["outline"] != "none" and focused["width"] >= 2, f"focus not visible on {focused['what']}"
            if focused["match"]:
                return
        pytest.fail(f"Tab never reached {selector}")

    tab_to("#q")
    page.keyboard.type("zhang", delay=30)
    expect(page.locator("#results a.result").first).to_contain_text("张伟")
    search_settled(page)  # the last keystroke's results are in: they stay put from here
    first = page.locator("#results a.result").first
    href = first.get_attribute("href")
    tab_to("#results a.result")
    assert page.evaluate("document.activeElement.getAttribute('href')") == href
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{href}")
    assert href.rstrip("/").endswith(str(guest.pk)) or page.locator("h1").count() == 1
