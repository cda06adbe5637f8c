"""/api/docs/ (Swagger UI) and /api/redoc/ render with the network off: their scripts and styles are this site's
static files (drf-spectacular-sidecar), not a CDN's, and nothing breaks the Content-Security-Policy."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from django.contrib.auth.hashers import make_password
from playwright.sync_api import expect

from tests.browser.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def offline(page, live_server):
    """The page with every request to another host refused (as with no network), and what was refused."""
    here = urlparse(live_server.url).netloc
    refused = []

    def route(request_route):
        if urlparse(request_route.request.url).netloc == here:
            request_route.continue_()
        else:
            refused.append(request_route.request.url)
            request_route.abort("internetdisconnected")

    page.context.route("**/*", route)
    page.add_init_script(
        'window.__violations = []; document.addEventListener("securitypolicyviolation",'
        ' (e) => window.__violations.push(e.violatedDirective + " " + e.blockedURI));'
    )
    return page, refused


def test_swagger_ui_and_redoc_render_offline_for_staff(offline, frontdesk):
    page, refused = offline
    frontdesk.user.password = make_password("s3cret-pass!")
    frontdesk.user.save()
    log_in(page, frontdesk.user.username)
    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .opblock-summary-path").first).to_be_visible()
    expect(page.locator(".swagger-ui")).to_contain_text("/api/v1/customers/{customer_id}/brief/")
    assert page.evaluate("window.__violations") == []
    page.goto("/api/redoc/")
    # ReDoc parses the whole schema in the page before it shows anything: seconds on a loaded two-core machine.
    expect(page.locator("redoc")).to_contain_text("Rapport API", timeout=30_000)
    # ReDoc's "powered by" footer asks for its logo from its CDN: the policy refuses it, nothing else.
    assert [v for v in page.evaluate("window.__violations") if "cdn.redoc.ly" not in v] == []
    assert refused == []
