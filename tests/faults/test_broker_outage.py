"""The broker (a throwaway Redis, started by the test) stops under a running gunicorn and Celery worker: the web
keeps serving briefs and stays ready, /ready/ reports the broker down in its body, and the follow-up written
during the outage goes out once Redis is back — exactly once (issue 11, finding 9 and "Reliability" (c))."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections import Counter

import pytest
from aiosmtpd.controller import Controller
from celery import Celery

from crm import services
from personalization.models import Touch, TouchStatus
from personalization.touches.services import dispatch
from tests.faults.conftest import ROOT, Web, manage_env, missing
from tests.faults.load import p95
from tests.faults.servers import ThrowawayRedis, free_port_in, redis_available
from tests.personalization.touches.conftest import Sink, free_port
from tests.workers import database_url, worker_command, worker_stop

pytestmark = [pytest.mark.postgres, pytest.mark.faults, pytest.mark.django_db(transaction=True)]
CLAIM_TIMEOUT = 2  # seconds (production: 300): a claim the broker lost is handed out again this soon
DEADLINE = 60


@pytest.fixture
def redis():
    if not redis_available():
        missing("redis-server is not installed")
    server = ThrowawayRedis().start()
    yield server
    server.destroy()


@pytest.fixture
def sink():
    server = Sink()
    controller = Controller(server, hostname="127.0.0.1", port=free_port())
    controller.start()
    server.port = controller.port
    yield server
    controller.stop()


@pytest.fixture
def stack(redis, sink, tmp_path, settings):
    """gunicorn and a Celery worker on the test's database, the throwaway Redis and the SMTP sink."""
    settings.RAPPORT_TOUCH_CLAIM_TIMEOUT_SECONDS = CLAIM_TIMEOUT
    settings.RAPPORT_FOLLOW_UP_DELAY_HOURS = 0
    env = manage_env(
        database_url(),
        tmp_path,
        CELERY_BROKER_URL=redis.url,
        EMAIL_URL=f"smtp://127.0.0.1:{sink.port}",
        RAPPORT_TOUCH_CLAIM_TIMEOUT_SECONDS=str(CLAIM_TIMEOUT),
        RAPPORT_FOLLOW_UP_DELAY_HOURS="0",
        RAPPORT_QUIET_HOURS="00:00-00:00",
    )
    web = Web(env, free_port_in(range(8104, 8110)), tmp_path / "gunicorn.log")
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 - closed below
    worker = subprocess.Popen(
        worker_command(f"broker-outage-{os.getpid()}@localhost", "--pool", "solo"),
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    client = Celery("broker-outage-client", broker=redis.url, set_as_current=False)
    client.conf.broker_connection_retry = False
    try:
        yield web, client
    finally:
        worker_stop(worker)
        log.close()
        web.stop()
        client.close()


def _enqueue(client):
    return lambda ids: client.send_task("personalization.send_touches", args=[ids], retry=False)


def test_redis_stopped_the_web_serves_and_stays_ready_and_the_touch_goes_out_once_after(redis, sink, stack):
    web, client = stack
    # Given a manager, a guest with an issue
    manager = services.staff_upsert(
        username="outage-boss",
        password="outage-pass-4242!",
        organization_name="Outage",
        property_name="Inn",
        role="manager",
    )
    token = services.token_issue(user=manager.user)
    auth = {"Authorization": f"Token {token}"}
    guest = services.customer_create(organization=manager.organization, given_name="Ada", email="ada@example.com")
    issue = services.issue_open(customer=guest, summary="No hot water", property=manager.property)

    # when Redis stops
    redis.stop()
    # then the web keeps serving briefs, fast, and stays ready; /ready/ says the broker is down
    timings, statuses = [], Counter()
    for _ in range(20):
        started = time.monotonic()
        status = web.get(f"/api/v1/customers/{guest.pk}/brief/", headers=auth)[0]
        timings.append(time.monotonic() - started)
        statuses[status] += 1
    ready_status, _, ready_body = web.get("/ready/")
    broker_status = web.get("/ready/broker/")[0]
    assert statuses == {200: 20}
    assert ready_status == 200 and json.loads(ready_body)["checks"] == {"database": True, "broker": False}
    assert broker_status == 503
    # and resolving the issue works: the follow-up is written, the dispatcher cannot hand it out (nothing lost)
    response = web.request(
        f"/api/v1/issues/{issue.pk}/", method="PATCH", body={"status": "resolved", "resolution": "Fixed"}, headers=auth
    )
    assert response[0] == 200
    touch = Touch.objects.get(issue=issue)
    dispatch.touches_dispatch(enqueue=_enqueue(client))
    touch.refresh_from_db()
    assert touch.status == TouchStatus.SENDING and sink.messages == []

    # when Redis comes back (empty: nothing was kept)
    redis.start()
    back = time.monotonic()
    time.sleep(CLAIM_TIMEOUT + 0.2)
    deadline = time.monotonic() + DEADLINE
    while not Touch.objects.filter(pk=touch.pk, status=TouchStatus.SENT).exists():
        assert time.monotonic() < deadline, "the follow-up never went out"
        dispatch.touches_dispatch(enqueue=_enqueue(client))  # what beat does every minute
        time.sleep(0.5)
    delivered_after = time.monotonic() - back
    time.sleep(1)  # a duplicate would arrive now
    # then the follow-up went out exactly once
    assert [m["X-Rapport-Touch"] for m in sink.messages] == [str(touch.pk)]
    figures = {
        "briefs while Redis was down": dict(statuses),
        "brief p95 (ms)": round(1000 * p95(timings), 1),
        "ready": ready_status,
        "ready/broker": broker_status,
        "follow-up delivered after Redis returned (s)": round(delivered_after, 1),
        "messages": len(sink.messages),
    }
    print(f"FIGURES redis stopped: {figures}")
