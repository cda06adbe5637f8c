"""End to end through a real Celery worker on the real Redis broker, real PostgreSQL and a real HTTP receiver:
an issue resolved reaches the receiver signed; a receiver that was down gets it once it is back."""

from __future__ import annotations

import os
import subprocess

import pytest

from crm.models import DeliveryStatus, WebhookDelivery
from crm.webhooks import delivery
from tests.conftest import REDIS_URL
from tests.crm.webhooks.conftest import start_receiver, stop_receiver
from tests.workers import broker_client, wait_until, worker_env, worker_start, worker_stop

DEADLINE = 60

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def broker(monkeypatch):
    """The test process publishes to Redis (the events' commits and the dispatcher), as the web and beat do."""
    client = broker_client("rapport-test-client", REDIS_URL)

    def enqueue(ids, claim):
        return client.send_task("crm.deliver_webhooks", args=[ids, claim])

    monkeypatch.setattr(delivery, "_default_enqueue", enqueue)
    yield enqueue
    client.close()


@pytest.fixture
def worker(tmp_path, broker):
    env = worker_env(
        tmp_path,
        broker=REDIS_URL,
        RAPPORT_WEBHOOKS_ALLOW_PRIVATE="true",  # the receiver is on 127.0.0.1
        RAPPORT_WEBHOOKS_RETRY_DELAYS="1,1,1,1,1",
        RAPPORT_WEBHOOKS_TIMEOUT_SECONDS="2",
    )
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 - closed below
    process: subprocess.Popen = worker_start(f"webhooks-{os.getpid()}@localhost", env=env, log=log)
    yield process
    worker_stop(process)
    log.close()


def _register(manager_api, receiver) -> None:
    response = manager_api.post("/api/v1/webhooks/", {"url": receiver.url, "events": ["issue.resolved"]})
    assert response.status_code == 201, response.json()
    receiver.secret = response.json()["secret"]


def _resolve(api, customer) -> int:
    issue = api.post(f"/api/v1/customers/{customer.pk}/issues/", {"summary": "No hot water"}).json()
    response = api.patch(f"/api/v1/issues/{issue['id']}/", {"status": "resolved", "resolution": "Boiler fixed"})
    assert response.status_code == 200
    return issue["id"]


def test_an_issue_resolved_reaches_a_local_receiver_signed(receiver, allow_private, manager_api, api, customer, worker):
    # Given a manager registered the receiver for issue.resolved
    _register(manager_api, receiver)
    # when the desk resolves an issue through the API
    issue_id = _resolve(api, customer)
    # then the worker delivers it, signed so that the standardwebhooks package verifies it
    receiver.wait_for(1, timeout=DEADLINE)
    item = receiver.accepted[0]
    assert item.verified
    assert item.payload["type"] == "issue.resolved" and item.payload["data"]["id"] == issue_id
    wait_until(
        lambda: WebhookDelivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 1,
        "delivered",
        seconds=DEADLINE,
    )
    assert len(receiver.received) == 1


def test_a_receiver_that_was_down_gets_it_after_it_comes_back(
    receiver, allow_private, manager_api, api, customer, worker, broker
):
    # Given a registered receiver that then goes down
    _register(manager_api, receiver)
    port = receiver.server.server_address[1]
    stop_receiver(receiver)
    # when an issue is resolved, the worker's first attempt is refused
    _resolve(api, customer)
    wait_until(lambda: WebhookDelivery.objects.filter(attempts__gte=1).exists(), "the first attempt", seconds=DEADLINE)
    row = WebhookDelivery.objects.get()
    assert row.status in (DeliveryStatus.PENDING, DeliveryStatus.SENDING) and row.delivered_at is None
    assert receiver.received == []
    # and once the receiver is back, the dispatcher (beat, every 10 s) hands the retry to the worker
    start_receiver(receiver, port=port)

    def delivered_after_dispatching() -> bool:
        delivery.webhooks_dispatch(enqueue=broker)
        return WebhookDelivery.objects.filter(status=DeliveryStatus.DELIVERED).exists()

    wait_until(delivered_after_dispatching, "the retry delivered", seconds=DEADLINE)
    # then it arrived once, verified, under the webhook-id of the first attempt
    assert len(receiver.accepted) == 1 and receiver.accepted[0].verified
    assert set(receiver.ids()) == {row.message_id}
    row.refresh_from_db()
    assert row.attempts >= 2 and row.error == ""
