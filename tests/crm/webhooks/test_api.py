"""The webhooks API (API.md "Webhooks"): managers register endpoints (the secret shown once), read the delivery
log, retry; bad URLs are 400 on the field; front desk 403; another organization's 404."""

from __future__ import annotations

import pytest

from crm import services as crm_services
from crm.models import DeliveryStatus, WebhookDelivery
from crm.webhooks import services

pytestmark = pytest.mark.django_db

ALL = ["customer.created", "issue.resolved"]


def test_a_manager_registers_an_endpoint_and_sees_the_secret_once(manager_api, allow_private):
    response = manager_api.post("/api/v1/webhooks/", {"url": "http://127.0.0.1:9/hooks", "events": ALL})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) >= 6 + 32
    assert body["events"] == ALL and body["enabled"] is True
    # never again: not in the read, the list, or a change
    read = manager_api.get(f"/api/v1/webhooks/{body['id']}/").json()
    assert "secret" not in read and body["secret"] not in str(manager_api.get("/api/v1/webhooks/").json())
    changed = manager_api.patch(f"/api/v1/webhooks/{body['id']}/", {"events": ["issue.opened"]}).json()
    assert "secret" not in changed and changed["events"] == ["issue.opened"]
    # a rotation shows a new one, once
    rotated = manager_api.post(f"/api/v1/webhooks/{body['id']}/rotate-secret/").json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != body["secret"]


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/hooks",
        "file:///etc/passwd",
        "gopher://127.0.0.1/",
        "not a url",
        "http://127.0.0.1:8000/hooks",
        "http://localhost/hooks",
        "http://10.0.0.5/hooks",
        "http://192.168.1.1/hooks",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hooks",
        "http://[::ffff:127.0.0.1]/hooks",
        "http://0.0.0.0/hooks",
        "http://100.64.0.1/hooks",
        "http://224.0.0.1/hooks",
        "http://user:pass@93.184.215.14/hooks",
    ],
)
def test_a_url_that_is_not_public_http_is_400_on_the_field(manager_api, url):
    response = manager_api.post("/api/v1/webhooks/", {"url": url, "events": ALL})
    assert response.status_code == 400
    assert list(response.json()) == ["url"]


def test_a_public_address_is_accepted_and_a_private_one_with_the_setting(manager_api, settings):
    assert manager_api.post("/api/v1/webhooks/", {"url": "https://93.184.215.14/h", "events": ALL}).status_code == 201
    settings.RAPPORT_WEBHOOKS_ALLOW_PRIVATE = True
    assert manager_api.post("/api/v1/webhooks/", {"url": "http://10.0.0.5/h", "events": ALL}).status_code == 201


@pytest.mark.parametrize("events", [[], ["customer.exploded"], "issue.resolved", None])
def test_events_must_come_from_the_catalogue(manager_api, events, allow_private):
    response = manager_api.post("/api/v1/webhooks/", {"url": "http://127.0.0.1/h", "events": events}, format="json")
    assert response.status_code == 400 and "events" in response.json()


def test_the_catalogue_accepts_every_event_of_the_contract(manager_api, allow_private):
    events = [
        "customer.created",
        "customer.updated",
        "customer.merged",
        "customer.erased",
        "issue.opened",
        "issue.resolved",
        "feedback.received",
        "delight.delivered",
        "stay.checked_in",
        "task.done",
    ]
    response = manager_api.post("/api/v1/webhooks/", {"url": "http://127.0.0.1/h", "events": events})
    assert response.status_code == 201 and response.json()["events"] == events


def test_front_desk_may_not(api, endpoint):
    assert api.get("/api/v1/webhooks/").status_code == 403
    assert api.post("/api/v1/webhooks/", {"url": "http://127.0.0.1/h", "events": ALL}).status_code == 403
    assert api.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/").status_code == 403


def test_another_organization_gets_404(endpoint, customer, other_property):
    from tests.conftest import _client_for
    from tests.factories import StaffFactory

    crm_services.issue_open(customer=customer, summary="x")
    row = WebhookDelivery.objects.get()
    stranger = _client_for(StaffFactory(property=other_property, role="manager"))
    assert stranger.get("/api/v1/webhooks/").json()["count"] == 0
    for method, url in [
        ("get", f"/api/v1/webhooks/{endpoint.pk}/"),
        ("patch", f"/api/v1/webhooks/{endpoint.pk}/"),
        ("delete", f"/api/v1/webhooks/{endpoint.pk}/"),
        ("get", f"/api/v1/webhooks/{endpoint.pk}/deliveries/"),
        ("post", f"/api/v1/webhooks/{endpoint.pk}/rotate-secret/"),
        ("post", f"/api/v1/webhook-deliveries/{row.pk}/retry/"),
    ]:
        assert getattr(stranger, method)(url, {"enabled": False}).status_code == 404, url
    endpoint.refresh_from_db()
    assert endpoint.enabled


def test_the_delivery_log_and_the_retry(manager_api, endpoint, customer):
    crm_services.issue_open(customer=customer, summary="x")
    row = WebhookDelivery.objects.get()
    log = manager_api.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/").json()
    assert log["count"] == 1
    entry = log["results"][0]
    assert (
        entry["webhook_id"] == row.message_id and entry["status"] == "sending" and entry["event_type"] == "issue.opened"
    )
    # being sent right now: no retry
    assert manager_api.post(f"/api/v1/webhook-deliveries/{row.pk}/retry/").status_code == 409
    # failed: a retry sends it again now, with its full schedule and the same webhook-id
    WebhookDelivery.objects.filter(pk=row.pk).update(status=DeliveryStatus.FAILED, attempts=8, claim="")
    response = manager_api.post(f"/api/v1/webhook-deliveries/{row.pk}/retry/")
    assert response.status_code == 202
    assert response.json()["status"] == "sending" and response.json()["webhook_id"] == row.message_id
    row.refresh_from_db()
    assert row.attempts == 0 and row.claim
    assert manager_api.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/?status=failed").json()["count"] == 0
    assert manager_api.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/?status=nope").status_code == 400


def test_a_disabled_endpoint_cannot_retry(manager_api, endpoint, customer):
    crm_services.issue_open(customer=customer, summary="x")
    row = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=row.pk).update(status=DeliveryStatus.FAILED, claim="")
    assert manager_api.patch(f"/api/v1/webhooks/{endpoint.pk}/", {"enabled": False}).json()["disabled_reason"] == (
        "manager"
    )
    assert manager_api.post(f"/api/v1/webhook-deliveries/{row.pk}/retry/").status_code == 409


def test_delete(manager_api, endpoint):
    assert manager_api.delete(f"/api/v1/webhooks/{endpoint.pk}/").status_code == 204
    assert manager_api.get(f"/api/v1/webhooks/{endpoint.pk}/").status_code == 404


def test_the_secret_is_in_no_change_record(manager_api, allow_private):
    from crm.models import ChangeRecord

    secret = manager_api.post("/api/v1/webhooks/", {"url": "http://127.0.0.1/h", "events": ALL}).json()["secret"]
    assert secret not in str(list(ChangeRecord.objects.values("changes")))


def test_every_event_of_the_services_is_recorded_with_ids_only(organization, customer, allow_private, manager):
    from personalization.gifts.services import delight_deliver, gift_rule_create
    from personalization.models import Delight, Touch
    from personalization.touches.services import manual, tasks

    endpoint = services.webhook_endpoint_create(
        organization=organization, url="http://127.0.0.1/h", events=[e for e in services.EventType.values]
    )
    twin = crm_services.customer_create(organization=organization, given_name="Siobhan", family_name="Twin")
    crm_services.customer_update(customer=twin, family_name="Twain")
    crm_services.customer_merge(kept=customer, duplicate=twin)
    unmailed = crm_services.customer_create(organization=organization, given_name="Nomail")
    issue = crm_services.issue_open(customer=unmailed, summary="Cold room")
    crm_services.issue_update(issue=issue, status="resolved", resolution="Heater fixed")
    task = Touch.objects.get(issue=issue)
    tasks.task_finish(touch=task, actor=manager.user, outcome="reached", note="All good now")
    manual.feedback_record(touch=task, score=4, comment="The heater is loud")
    rule = gift_rule_create(organization=organization, name="Welcome", trigger="manual", gift="Tea")
    delight = Delight.objects.create(
        organization=organization, customer=customer, rule=rule, occasion_key="manual:1", gift="Tea", cost=0
    )
    delight_deliver(delight=delight)
    crm_services.customer_erase(customer=customer)
    rows = list(endpoint.deliveries.order_by("pk"))
    assert [row.event_type for row in rows] == [
        "customer.created",
        "customer.updated",
        "customer.merged",
        "customer.created",
        "issue.opened",
        "issue.resolved",
        "task.done",
        "feedback.received",
        "delight.delivered",
        "customer.erased",
    ]
    everything = str([row.payload for row in rows])
    for words in ("Siobhan", "Twain", "Nomail", "Cold room", "Heater", "All good", "heater is loud", "Tea"):
        assert words not in everything
    assert rows[-1].payload["data"] == {"id": customer.pk, "profiles": [customer.pk, twin.pk]}
    assert rows[1].payload["data"]["changed"] == ["family_name"]


def test_a_line_break_in_the_url_or_the_description_is_400(manager_api, allow_private):
    response = manager_api.post(
        "/api/v1/webhooks/", {"url": "http://127.0.0.1/h", "events": ALL, "description": "PMS\nBcc: x"}
    )
    assert response.status_code == 400 and list(response.json()) == ["description"]
    response = manager_api.post("/api/v1/webhooks/", {"url": "http://127.0.0.1/h\r\nX: y", "events": ALL})
    assert response.status_code == 400 and list(response.json()) == ["url"]


def test_a_rolled_back_event_sends_nothing(endpoint, customer):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        crm_services.issue_open(customer=customer, summary="x")
        raise RuntimeError
    assert not WebhookDelivery.objects.exists()
