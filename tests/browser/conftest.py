"""A real browser: Playwright driving Debian's Chromium (installed by ./rapport test).

Outside CI the browser tests are skipped, saying why, when /usr/bin/chromium is missing;
in CI (CI=true) a missing browser is a failure.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TABLET = {"width": 768, "height": 1024}  # a tablet in portrait, as issue 12 tries the desk


@pytest.fixture(scope="session")
def chromium():
    if not CHROMIUM.exists():
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{CHROMIUM} is missing: ./rapport test installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is missing (./rapport test installs it with apt-get as root)")
    # Playwright's sync API runs an event loop in this thread; the test bodies' ORM calls are still sync.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _one_request_at_a_time(live_server) -> None:
    """Under SQLite the test database lives in memory, and Django hands the live server's threads the test's one
    connection. Two requests at once (a form posted while htmx's preview is still answering) then share it and
    break each other's savepoints ("no such savepoint", a 500 nobody would see on a real file or on PostgreSQL).
    The server answers such requests one at a time; each still gets its own thread and keep-alive connection."""
    httpd = live_server.thread.httpd
    if not live_server.thread.connections_override or getattr(httpd, "one_at_a_time", False):
        return
    application, lock = httpd.get_app(), threading.Lock()

    def serialized(environ, start_response):
        with lock:
            return application(environ, start_response)

    httpd.set_app(serialized)
    httpd.one_at_a_time = True


@pytest.fixture(autouse=True)
def _live_server_under_sqlite(request):
    if "live_server" in request.fixturenames:
        _one_request_at_a_time(request.getfixturevalue("live_server"))


@pytest.fixture
def browser_page(chromium, live_server):
    """A page factory: a tablet-width page of a new browser context speaking `locale`."""
    contexts = []

    def open_page(locale: str = "en-US"):
        context = chromium.new_context(viewport=TABLET, locale=locale, base_url=live_server.url)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(browser_page):
    return browser_page()


def log_in(page, username: str, password: str = "s3cret-pass!") -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/")


# The lookup box asks after a pause in typing (hx-trigger "input changed delay:250ms"). Waiting for the network
# to be idle proves nothing here: Playwright answers at once when the page has been idle once already, and the
# pause may not have run out yet. A test that presses keys in the results waits for this instead.
SEARCH_PAUSE_MS = 250


def search_settled(page) -> None:
    """The last keystroke's results are in and stay put: the typing pause has run out and htmx has no request,
    swap or settle under way."""
    page.wait_for_timeout(SEARCH_PAUSE_MS + 150)
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")
