"""The README's pictures: the main screens of the demo at the desk's tablet (768 × 1024), in English and 繁體中文.

Always written to pytest's tmp dir (a broken screen fails here first); with RAPPORT_SCREENSHOTS=1 also into
docs/screens/, which is how the committed pictures are refreshed:

    RAPPORT_SCREENSHOTS=1 .venv/bin/pytest tests/browser/test_screenshots.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, search_settled
from tests.browser.demo import arrivals_page, load_demo, rich_guest

pytestmark = pytest.mark.django_db(transaction=True)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screens"
LOCALES = {"en-US": "en", "zh-TW": "zh-hant"}


@pytest.fixture
def demo(settings):
    load_demo(settings)


@pytest.mark.parametrize("locale", LOCALES)
def test_the_main_screens_as_the_readme_shows_them(demo, browser_page, locale, tmp_path):
    language = LOCALES[locale]
    folders = [tmp_path] + ([DOCS] if os.environ.get("RAPPORT_SCREENSHOTS") else [])

    def shoot(name: str, page) -> None:
        page.wait_for_load_state("networkidle")
        page.evaluate("document.activeElement && document.activeElement.blur()")  # no caret or focus ring
        for folder in folders:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{name}-{language}.png"
            page.screenshot(path=str(path))  # the viewport: what the tablet shows without scrolling
            assert path.stat().st_size > 10_000, f"{path} looks empty"

    guest = rich_guest()
    desk = browser_page(locale)
    log_in(desk, "frontdesk", "rapport-demo")
    desk.locator("#q").press_sequentially("zhang wei", delay=30)
    expect(desk.locator("#results a.result").first).to_contain_text("张伟")
    shoot("lookup", desk)

    desk.goto(f"/customers/{guest.pk}/")
    expect(desk.locator(".safety-box")).to_be_visible()
    shoot("guest-card", desk)

    desk.goto("/")
    desk.locator("#q").press_sequentially("Wei Zhang", delay=30)
    expect(desk.locator("#results a.result").first).to_be_visible()
    search_settled(desk)
    desk.locator("#new-guest").click()
    expect(desk.locator("#new-guest-form")).to_be_visible()
    expect(desk.locator("#duplicates li").first).to_be_visible()
    shoot("new-guest", desk)

    desk.goto("/tasks/")
    expect(desk.locator("li.task").first).to_be_visible()
    shoot("tasks", desk)

    desk.goto(arrivals_page())
    expect(desk.locator("li.arrival").first).to_be_visible()
    shoot("arrivals", desk)

    manager = browser_page(locale)
    log_in(manager, "manager", "rapport-demo")
    manager.goto("/duplicates/")
    manager.locator(".pair a.compare-left").first.click()
    expect(manager.locator("#comparison")).to_be_visible()
    shoot("merge", manager)
