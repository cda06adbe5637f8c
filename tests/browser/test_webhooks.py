"""Issue 13's webhooks screen in a real browser: a manager adds a webhook, copies its secret (shown once), and
reads its delivery log; each screen passes axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from crm import services
from crm.models import WebhookEndpoint
from tests.browser.axe import assert_accessible
from tests.browser.conftest import log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_manager_adds_a_webhook_and_copies_its_secret(page, settings, organization, property_):
    settings.RAPPORT_WEBHOOKS_ALLOW_PRIVATE = True
    services.staff_upsert(
        username="boss",
        password="s3cret-pass!",
        organization_name=organization.name,
        property_name=property_.name,
        role="manager",
    )
    log_in(page, "boss")
    page.get_by_role("link", name="Webhooks").click()
    page.get_by_label("URL").wait_for()
    assert_accessible(page, "webhooks")
    page.get_by_label("URL").fill("http://127.0.0.1:9/hooks")
    page.get_by_label("issue.resolved").check()
    page.get_by_role("button", name="Add").click()
    secret = WebhookEndpoint.objects.get().secret
    expect(page.locator("#webhook-secret")).to_have_value(secret)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == secret
    assert_accessible(page, "a new webhook")
    page.goto(f"/webhooks/{WebhookEndpoint.objects.get().pk}/")  # its page read again: the secret is gone
    expect(page.locator("#webhook-secret")).to_have_count(0)
    expect(page.locator("body")).to_contain_text("No deliveries yet.")
