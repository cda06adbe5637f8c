"""Dispatch → send → sent through a real Celery worker on the real Redis broker and a real SMTP
server; and the faults: a worker killed mid-batch, the broker down when an issue is resolved."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import threading
import time
from collections import Counter

import pytest
from celery import Celery

from personalization.models import Touch, TouchStatus
from personalization.touches.services import dispatch
from tests.conftest import REDIS_URL
from tests.factories import CustomerFactory, PropertyFactory
from tests.personalization.touches.conftest import Sink, free_port, resolve_issue, serving
from tests.workers import broker_client, wait_until, worker_env, worker_start

DEADLINE = 60
CLAIM_TIMEOUT = 2  # seconds: a killed worker's claim is handed out again this soon (production: 300)

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


class SlowSink(Sink):
    """Holds the Nth message at RCPT (the worker is waiting for the server) and says so."""

    def __init__(self, hold_at: int | None = None) -> None:
        super().__init__()
        self.hold_at, self.rcpts, self.holding = hold_at, 0, threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpts += 1
        if self.rcpts == self.hold_at:
            self.holding.set()
            await asyncio.sleep(5)
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def sink():
    with serving(SlowSink()) as server:
        yield server


@pytest.fixture
def broker(settings):
    settings.RAPPORT_TOUCH_CLAIM_TIMEOUT_SECONDS = CLAIM_TIMEOUT
    settings.RAPPORT_FOLLOW_UP_DELAY_HOURS = 0
    client = broker_client("rapport-test-client", REDIS_URL)
    yield client
    client.close()


@pytest.fixture
def start_worker(tmp_path, sink):
    workers: list[subprocess.Popen] = []
    env = worker_env(
        tmp_path,
        broker=REDIS_URL,
        EMAIL_URL=f"smtp://127.0.0.1:{sink.port}",
        RAPPORT_TOUCH_CLAIM_TIMEOUT_SECONDS=str(CLAIM_TIMEOUT),
        RAPPORT_QUIET_HOURS="00:00-00:00",  # the real clock may be anyone's night
    )

    def start() -> subprocess.Popen:
        log = open(tmp_path / f"worker{len(workers)}.log", "w")  # noqa: SIM115 - lives as long as the worker
        worker = worker_start(f"touches-{os.getpid()}-{len(workers)}@localhost", env=env, log=log)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        if worker.poll() is None:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()


def _enqueue(client):
    return lambda ids: client.send_task("personalization.send_touches", args=[ids])


def _all_sent(expected: int):
    return lambda: Touch.objects.filter(status=TouchStatus.SENT).count() == expected


def _due_follow_ups(count: int):
    hotel = PropertyFactory(name="Harbour", timezone="America/New_York")
    guests = [CustomerFactory(organization=hotel.organization) for _ in range(count)]
    for guest in guests:
        resolve_issue(guest, hotel)
    assert Touch.objects.filter(status=TouchStatus.SCHEDULED).count() == count


def test_a_real_worker_sends_what_the_dispatcher_claims(broker, sink, start_worker):
    _due_follow_ups(3)
    start_worker()
    assert dispatch.touches_dispatch(enqueue=_enqueue(broker)) == 3
    wait_until(_all_sent(3), "3 sent touches", seconds=DEADLINE)
    assert len(sink.messages) == 3
    assert dispatch.touches_claim() == []  # nothing left to hand out


def test_a_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(broker, sink, start_worker):
    # Given 8 due follow-ups and a worker busy with the 3rd (the mail server holds it at RCPT)
    _due_follow_ups(8)
    sink.hold_at = 3
    first = start_worker()
    dispatch.touches_dispatch(enqueue=_enqueue(broker))
    assert sink.holding.wait(DEADLINE)
    # when the worker is killed with SIGKILL (no shutdown, its task message unacknowledged)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert len(sink.messages) == 2
    # and a new worker runs, with the dispatcher re-queuing the dead worker's stale claim
    start_worker()

    def sent_after_dispatching() -> bool:
        dispatch.touches_dispatch(enqueue=_enqueue(broker))
        return _all_sent(8)()

    wait_until(sent_after_dispatching, "8 sent touches", seconds=DEADLINE)
    # then every touch was delivered exactly once
    per_touch = Counter(message["X-Rapport-Touch"] for message in sink.messages)
    assert len(per_touch) == 8 and set(per_touch.values()) == {1}


def test_the_broker_down_when_an_issue_is_resolved(broker, sink, start_worker, api, customer, property_):
    # Given the broker is unreachable (a closed port; the shared Redis is left alone)
    down = Celery("broker-down", broker=f"redis://127.0.0.1:{free_port()}/0", set_as_current=False)
    down.conf.broker_connection_retry = False
    down.conf.broker_connection_max_retries = 0

    def enqueue_nowhere(ids):
        return down.send_task("personalization.send_touches", args=[ids], retry=False)

    # when staff resolve an issue, the request succeeds and the touch row exists
    issue = api.post(f"/api/v1/customers/{customer.pk}/issues/", {"summary": "No hot water"}).json()
    response = api.patch(f"/api/v1/issues/{issue['id']}/", {"status": "resolved", "resolution": "Boiler fixed"})
    assert response.status_code == 200
    touch = Touch.objects.get(issue_id=issue["id"])
    # and the dispatcher cannot hand it to anyone: it stays claimed, nothing is lost
    dispatch.touches_dispatch(enqueue=enqueue_nowhere)
    touch.refresh_from_db()
    assert touch.status == TouchStatus.SENDING
    # then, the broker back, the dispatcher finds the stale claim and the worker sends it once
    start_worker()
    time.sleep(CLAIM_TIMEOUT + 0.5)

    def sent_after_dispatching() -> bool:
        dispatch.touches_dispatch(enqueue=_enqueue(broker))
        return _all_sent(1)()

    wait_until(sent_after_dispatching, "the follow-up sent", seconds=DEADLINE)
    assert [m["X-Rapport-Touch"] for m in sink.messages] == [str(touch.pk)]
    down.close()


def test_a_poisoned_touch_fails_alone_through_a_real_worker(broker, sink, start_worker):
    # Given 3 due follow-ups, the middle guest's name written with a line break before names were checked
    from crm.models import Customer

    _due_follow_ups(3)
    poisoned = Touch.objects.order_by("pk")[1]
    Customer.objects.filter(pk=poisoned.customer_id).update(preferred_name="Eve\r\nBcc: all@example.com")
    start_worker()
    # when the dispatcher hands them to the worker in one batch
    assert dispatch.touches_dispatch(enqueue=_enqueue(broker)) == 3
    wait_until(
        lambda: not Touch.objects.filter(status=TouchStatus.SENDING).exists(), "the batch finished", seconds=DEADLINE
    )
    # then the two others reached their guests, and the poisoned one failed with its reason, one attempt counted
    assert _all_sent(2)()
    assert sorted(m["X-Rapport-Touch"] for m in sink.messages) == sorted(
        str(t.pk) for t in Touch.objects.exclude(pk=poisoned.pk)
    )
    poisoned.refresh_from_db()
    assert poisoned.status == TouchStatus.FAILED and "linefeed" in poisoned.reason and poisoned.attempts == 1


def test_a_call_back_task_is_never_sent_by_the_dispatcher_and_its_worker(broker, sink, start_worker):
    # Given two resolved issues due now: one guest with email (a follow-up mail), one without (a call-back task)
    hotel = PropertyFactory(name="Harbour", timezone="America/New_York")
    mailed = CustomerFactory(organization=hotel.organization)
    phoned = CustomerFactory(organization=hotel.organization, email="", phone="+8613800139999")
    resolve_issue(mailed, hotel)
    resolve_issue(phoned, hotel)
    start_worker()

    # when the dispatcher runs and the worker has sent what it was given,
    assert dispatch.touches_dispatch(enqueue=_enqueue(broker)) == 1
    wait_until(_all_sent(1), "the follow-up mail", seconds=DEADLINE)

    # then only the mail went out; nobody called, so the task is still open, never "sent"
    assert len(sink.messages) == 1
    task = Touch.objects.get(customer=phoned)
    assert task.status == TouchStatus.SCHEDULED and task.sent_at is None
    assert dispatch.touches_claim() == []
