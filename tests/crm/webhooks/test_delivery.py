"""Delivery, called as the task would (no Celery): signed POSTs to a real HTTP receiver, retries with one
webhook-id, failures, redirects and private addresses refused, the claim that makes it exactly one sender."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from crm import services as crm_services
from crm.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from crm.webhooks import delivery, services
from tests.crm.webhooks.conftest import send_claimed, send_due, start_receiver, stop_receiver
from tests.factories import StayFactory

pytestmark = pytest.mark.django_db


def _resolve(customer):
    issue = crm_services.issue_open(customer=customer, summary="Leaking tap in 412")
    return crm_services.issue_update(issue=issue, status="resolved", resolution="Plumber came")


def test_an_issue_resolved_reaches_the_receiver_signed(endpoint, receiver, customer):
    # Given an endpoint for issue events, when an issue is opened and resolved
    issue = _resolve(customer)
    assert send_claimed() == {"delivered": 2}
    # then the receiver got both, each signature verified by the standardwebhooks package
    assert [item.payload["type"] for item in receiver.received] == ["issue.opened", "issue.resolved"]
    assert all(item.verified for item in receiver.received)
    resolved = receiver.received[1]
    assert resolved.headers["webhook-id"].startswith("msg_")
    assert resolved.payload["data"]["id"] == issue.pk and resolved.payload["data"]["status"] == "resolved"
    # and the payload holds ids and facts, never the staff's words about the guest
    assert b"Leaking" not in resolved.body and b"Plumber" not in resolved.body
    row = WebhookDelivery.objects.get(message_id=resolved.webhook_id)
    assert (row.status, row.attempts, row.response_status) == (DeliveryStatus.DELIVERED, 1, 204)


def test_a_wrong_secret_does_not_verify(endpoint, receiver, customer):
    receiver.secret = "whsec_" + "A" * 32
    _resolve(customer)
    send_claimed()
    assert receiver.received and not any(item.verified for item in receiver.received)


@pytest.mark.parametrize("answer", ["500", "close", "slow"])
def test_a_receiver_that_fails_gets_it_later_under_the_same_webhook_id(
    answer, endpoint, receiver, customer, fast_retries
):
    # Given a receiver that answers 500, closes the connection, or answers after the timeout (1 s)
    receiver.answer, receiver.delay = answer, 2
    crm_services.issue_open(customer=customer, summary="x")
    assert send_claimed() == {"retrying": 1}
    row = WebhookDelivery.objects.get()
    assert row.status == DeliveryStatus.PENDING and row.attempts == 1
    assert row.error == {"500": "HTTP 500", "close": "connection closed without an answer", "slow": "timed out"}[answer]
    assert row.response_status == (500 if answer == "500" else None)
    # when it answers again and the retry falls due
    receiver.answer = "ok"
    assert send_due(timedelta(seconds=2)) == {"delivered": 1}
    # then it got the event once, every attempt under one webhook-id
    assert len(receiver.accepted) == 1
    assert set(receiver.ids()) == {row.message_id}
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.DELIVERED, 2)


def test_a_receiver_that_was_down_gets_it_after_it_comes_back(endpoint, receiver, customer, fast_retries):
    # Given the receiver is down (its port refuses connections)
    port = receiver.server.server_address[1]
    stop_receiver(receiver)
    crm_services.issue_open(customer=customer, summary="x")
    assert send_claimed() == {"retrying": 1}
    assert WebhookDelivery.objects.get().error == "connection refused"
    # when it comes back on the same port
    start_receiver(receiver, port=port)
    assert send_due(timedelta(seconds=2)) == {"delivered": 1}
    assert len(receiver.accepted) == 1 and receiver.accepted[0].verified


def test_the_rest_of_a_batch_waits_when_the_receiver_is_unreachable(endpoint, receiver, customer, fast_retries):
    # Given three events for an endpoint that times out
    receiver.answer, receiver.delay = "slow", 2
    for n in range(3):
        crm_services.issue_open(customer=customer, summary=f"x{n}")
    rows = list(WebhookDelivery.objects.order_by("pk"))
    claim = rows[0].claim
    # when one batch holds them, only the first is tried: the others count the same failure without a 1 s wait
    counts = delivery.webhooks_deliver(delivery_ids=[row.pk for row in rows], claim=claim)
    assert counts == {"retrying": 3}
    assert len(receiver.received) == 1
    assert WebhookDelivery.objects.filter(error__startswith="not tried").count() == 2


def test_after_the_last_retry_it_is_failed(endpoint, receiver, customer, fast_retries):
    receiver.answer = "500"
    crm_services.issue_open(customer=customer, summary="x")
    send_claimed()
    for _attempt in range(3):
        send_due(timedelta(seconds=2))
    row = WebhookDelivery.objects.get()
    assert (row.status, row.attempts) == (DeliveryStatus.FAILED, 4)
    assert len(receiver.received) == 4 and len(receiver.ids()) == 1
    assert send_due(timedelta(days=2)) == {}  # nothing more, ever


def test_the_schedule_spans_about_a_day_with_jitter():
    now = timezone.now()
    waits = [(delivery._retry_at(n, now) - now).total_seconds() for n in range(1, 8)]
    assert 4 <= waits[0] <= 6 and 28_800 <= waits[-1] <= 43_200
    assert 20 * 3600 < sum([5, 300, 1800, 7200, 18000, 36000, 36000]) < 30 * 3600
    assert delivery._retry_at(8, now) is None


def test_a_redirect_is_not_followed(endpoint, receiver, customer, fast_retries):
    # Given a receiver that answers 302 to another address
    receiver.answer, receiver.redirect_to = "redirect", receiver.url.replace("/hooks", "/elsewhere")
    crm_services.issue_open(customer=customer, summary="x")
    send_claimed()
    # then the redirect is a failed attempt, and nothing ever asked for where it pointed
    row = WebhookDelivery.objects.get()
    assert (row.status, row.response_status, row.error) == (DeliveryStatus.PENDING, 302, "HTTP 302")
    assert [item.webhook_id for item in receiver.received] == [row.message_id]


def test_a_private_address_is_refused_at_delivery_too(endpoint, receiver, customer, settings):
    # Given an endpoint registered while private addresses were allowed, then no longer (or DNS changed)
    crm_services.issue_open(customer=customer, summary="x")
    settings.RAPPORT_WEBHOOKS_ALLOW_PRIVATE = False
    send_claimed()
    # then nothing was sent and the log says why
    assert receiver.received == []
    row = WebhookDelivery.objects.get()
    assert row.status == DeliveryStatus.PENDING and "private" in row.error


def test_a_batch_sent_twice_sends_once(endpoint, receiver, customer):
    crm_services.issue_open(customer=customer, summary="x")
    row = WebhookDelivery.objects.get()
    assert delivery.webhooks_deliver(delivery_ids=[row.pk], claim=row.claim) == {"delivered": 1}
    assert delivery.webhooks_deliver(delivery_ids=[row.pk], claim=row.claim) == {}  # a redelivered task message
    assert len(receiver.received) == 1


def test_a_stale_claim_is_handed_out_again_and_the_old_message_sends_nothing(endpoint, receiver, customer, settings):
    # Given a delivery whose task message never ran (the broker lost it)
    crm_services.issue_open(customer=customer, summary="x")
    row = WebhookDelivery.objects.get()
    old_claim = row.claim
    # when the dispatcher runs after the claim timeout, it hands it out under a new claim
    later = timezone.now() + timedelta(seconds=settings.RAPPORT_WEBHOOKS_CLAIM_TIMEOUT_SECONDS + 1)
    ids, claim = delivery.webhooks_claim(now=later)
    assert ids == [row.pk] and claim != old_claim
    # then the old message, arriving late, sends nothing; the new one sends it once
    assert delivery.webhooks_deliver(delivery_ids=ids, claim=old_claim) == {}
    assert delivery.webhooks_deliver(delivery_ids=ids, claim=claim) == {"delivered": 1}
    assert len(receiver.received) == 1


def test_a_claim_still_fresh_is_not_handed_out(endpoint, customer):
    crm_services.issue_open(customer=customer, summary="x")
    assert delivery.webhooks_claim(now=timezone.now() + timedelta(seconds=5)) == ([], "")


def test_an_endpoint_failing_for_days_is_disabled_and_its_deliveries_wait(endpoint, receiver, customer, settings):
    # Given an endpoint whose attempts have failed since 6 days ago
    receiver.answer = "500"
    crm_services.issue_open(customer=customer, summary="x")
    send_claimed()
    endpoint.refresh_from_db()
    assert endpoint.failing_since is not None
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=timezone.now() - timedelta(days=6))
    # when the dispatcher runs
    delivery.webhooks_dispatch(enqueue=lambda ids, claim: None, now=timezone.now() + timedelta(seconds=10))
    # then the endpoint is disabled for failing, and its deliveries are not tried
    endpoint.refresh_from_db()
    assert not endpoint.enabled and endpoint.disabled_reason == "failing"
    assert WebhookDelivery.objects.get().status == DeliveryStatus.PENDING
    assert delivery.webhooks_claim(now=timezone.now() + timedelta(hours=1)) == ([], "")
    # and enabling it again starts afresh
    services.webhook_endpoint_update(endpoint=endpoint, enabled=True)
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.failing_since is None and endpoint.disabled_reason == ""


def test_a_success_clears_failing_since(endpoint, receiver, customer, fast_retries):
    receiver.answer = "500"
    crm_services.issue_open(customer=customer, summary="x")
    send_claimed()
    receiver.answer = "ok"
    send_due(timedelta(seconds=2))
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None


def test_events_go_only_to_endpoints_that_want_them_in_their_organization(
    endpoint, receiver, customer, other_property, allow_private
):
    other = services.webhook_endpoint_create(
        organization=other_property.organization, url=receiver.url, events=["issue.opened"]
    )
    disabled = services.webhook_endpoint_create(
        organization=customer.organization, url=receiver.url, events=["issue.opened"]
    )
    services.webhook_endpoint_update(endpoint=disabled, enabled=False)
    crm_services.customer_update(customer=customer, given_name="Siobhán")  # customer.updated: nobody wants it
    crm_services.issue_open(customer=customer, summary="x")
    assert list(WebhookDelivery.objects.values_list("endpoint_id", "event_type")) == [(endpoint.pk, "issue.opened")]
    assert not other.deliveries.exists()


def test_no_endpoint_no_outbox_row(customer):
    crm_services.issue_open(customer=customer, summary="x")
    assert not WebhookDelivery.objects.exists()


def test_a_delivery_batch_dies_before_its_claim_can_be_handed_out_again(settings):
    from config.celery import app
    from crm.tasks import deliver_webhooks

    hard = deliver_webhooks.time_limit or app.conf.task_time_limit
    soft = deliver_webhooks.soft_time_limit or app.conf.task_soft_time_limit
    assert delivery.BATCH_BUDGET_SECONDS + settings.RAPPORT_WEBHOOKS_TIMEOUT_SECONDS * 2 < soft < hard
    assert hard < settings.RAPPORT_WEBHOOKS_CLAIM_TIMEOUT_SECONDS


def test_one_batch_posts_over_one_kept_alive_connection(endpoint, receiver, customer):
    for n in range(3):
        crm_services.issue_open(customer=customer, summary=f"x{n}")
    rows = list(WebhookDelivery.objects.order_by("pk"))
    assert delivery.webhooks_deliver(delivery_ids=[row.pk for row in rows], claim=rows[0].claim) == {"delivered": 3}
    assert len(receiver.ports) == 1  # one client port: one TCP connection for the three


def test_old_finished_deliveries_leave_the_log_pending_ones_stay(endpoint, customer):
    for n in range(3):
        crm_services.issue_open(customer=customer, summary=f"x{n}")
    first, second, third = WebhookDelivery.objects.order_by("pk")
    WebhookDelivery.objects.filter(pk=first.pk).update(status=DeliveryStatus.DELIVERED, delivered_at=timezone.now())
    WebhookDelivery.objects.filter(pk=second.pk).update(status=DeliveryStatus.PENDING)
    WebhookDelivery.objects.filter(pk=third.pk).update(status=DeliveryStatus.FAILED)
    assert delivery.webhook_deliveries_drop_old(now=timezone.now() + timedelta(days=29)) == 0
    assert delivery.webhook_deliveries_drop_old(now=timezone.now() + timedelta(days=31)) == 2
    assert list(WebhookDelivery.objects.values_list("pk", flat=True)) == [second.pk]


def test_a_check_in_is_told_once_as_stay_checked_in(customer, property_, manager, receiver, allow_private):
    from crm.services.stays import stay_check_in

    hook = services.webhook_endpoint_create(
        organization=customer.organization, url=receiver.url, events=["stay.checked_in"], actor=manager.user
    )
    stay = StayFactory(customer=customer, property=property_)
    stay_check_in(stay=stay)
    stay_check_in(stay=stay)  # the desk after the PMS: nothing more to tell
    [told] = WebhookDelivery.objects.filter(endpoint=hook)
    assert told.event_type == "stay.checked_in"
    assert told.payload["data"]["id"] == stay.pk and told.payload["data"]["status"] == "in_house"
