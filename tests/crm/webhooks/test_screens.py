"""The managers' webhooks screens: add one (the secret shown once), pick events, the delivery log with a Retry
button, the notice of an endpoint disabled after days of failures; front desk 403, another organization 404."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from crm import services as crm_services
from crm.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from crm.webhooks import delivery

pytestmark = pytest.mark.django_db


def test_a_manager_adds_a_webhook_and_sees_its_secret_once(boss, allow_private):
    response = boss.post(
        "/webhooks/", {"url": "http://127.0.0.1:9/hooks", "events": ["issue.resolved", "task.done"], "enabled": "on"}
    )
    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["issue.resolved", "task.done"]
    page = response.content.decode()
    assert endpoint.secret in page and 'data-copy="webhook-secret"' in page
    # never again
    assert endpoint.secret not in boss.get(f"/webhooks/{endpoint.pk}/").content.decode()
    assert endpoint.secret not in boss.get("/webhooks/").content.decode()


def test_a_private_url_is_refused_on_the_field(boss):
    response = boss.post("/webhooks/", {"url": "http://192.168.1.10/hooks", "events": ["issue.resolved"]})
    assert response.status_code == 400
    assert "private or local network" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_the_log_shows_status_response_attempts_and_a_retry_button(boss, endpoint, receiver, customer, fast_retries):
    receiver.answer = "500"
    crm_services.issue_open(customer=customer, summary="x")
    row = WebhookDelivery.objects.get()
    delivery.webhooks_deliver(delivery_ids=[row.pk], claim=row.claim)
    page = boss.get(f"/webhooks/{endpoint.pk}/").content.decode()
    assert row.message_id in page and "HTTP 500" in page and "waiting to be retried" in page
    assert f"/webhook-deliveries/{row.pk}/retry/" in page
    assert "Failing since" in page
    # Retry: sent again now, under the same id
    response = boss.post(f"/webhook-deliveries/{row.pk}/retry/", follow=True)
    assert response.status_code == 200 and f"Sending {row.message_id} again now." in response.content.decode()
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SENDING


def test_a_webhook_disabled_for_failing_is_told_to_its_managers(boss, endpoint):
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=timezone.now() - timedelta(days=6))
    delivery.webhooks_dispatch(enqueue=lambda ids, claim: None)
    page = boss.get("/webhooks/").content.decode()
    assert "every delivery to it failed for days" in page
    # in the managers' languages too
    assert "连续数天投递全部失败" in boss.get("/webhooks/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "連續數天投遞全部失敗" in boss.get("/webhooks/", HTTP_ACCEPT_LANGUAGE="zh-hant").content.decode()


def test_change_and_delete(boss, endpoint):
    response = boss.post(
        f"/webhooks/{endpoint.pk}/", {"url": endpoint.url, "events": ["customer.created"], "description": "PMS"}
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.events == ["customer.created"] and not endpoint.enabled  # the box was not ticked
    old = endpoint.secret
    assert boss.post(f"/webhooks/{endpoint.pk}/rotate/").status_code == 200
    endpoint.refresh_from_db()
    assert endpoint.secret != old
    assert boss.post(f"/webhooks/{endpoint.pk}/delete/").status_code == 302
    assert not WebhookEndpoint.objects.exists()


def test_front_desk_is_refused(desk, endpoint):
    assert desk.get("/webhooks/").status_code == 403
    assert desk.get(f"/webhooks/{endpoint.pk}/").status_code == 403


def test_another_organization_gets_404(client, endpoint, customer, other_property):
    from tests.factories import StaffFactory

    crm_services.issue_open(customer=customer, summary="x")
    row = WebhookDelivery.objects.get()
    client.force_login(StaffFactory(property=other_property, role="manager").user)
    assert endpoint.url not in client.get("/webhooks/").content.decode()
    assert client.get(f"/webhooks/{endpoint.pk}/").status_code == 404
    assert client.post(f"/webhooks/{endpoint.pk}/", {"url": "http://x", "events": ["task.done"]}).status_code == 404
    assert client.post(f"/webhooks/{endpoint.pk}/rotate/").status_code == 404
    assert client.post(f"/webhooks/{endpoint.pk}/delete/").status_code == 404
    assert client.post(f"/webhook-deliveries/{row.pk}/retry/").status_code == 404
