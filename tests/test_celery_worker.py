"""A real Celery worker process consuming from the real Redis broker."""

from __future__ import annotations

import os
import time

import pytest
from celery import Celery

from tests.conftest import REDIS_URL
from tests.workers import worker_start, worker_stop

WORKER_START_TIMEOUT = 60


@pytest.fixture
def redis_worker(tmp_path):
    """Start `celery -A config worker` on REDIS_URL; yield a client app on the same broker."""
    env = {
        **os.environ,
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_RESULT_BACKEND": REDIS_URL,
        "RAPPORT_VAR_DIR": str(tmp_path),
    }
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 - closed below
    worker = worker_start(f"test-{os.getpid()}@localhost", env=env, log=log)
    client = Celery("rapport-test-client", broker=REDIS_URL, backend=REDIS_URL, set_as_current=False)
    client.conf.broker_connection_retry_on_startup = True
    try:
        yield client
    finally:
        worker_stop(worker)
        log.close()
        client.close()


@pytest.mark.redis
def test_a_real_worker_answers_ping_through_redis(redis_worker):
    result = redis_worker.send_task("rapport.ping")
    deadline = time.monotonic() + WORKER_START_TIMEOUT
    while not result.ready() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert result.get(timeout=1) == "pong"
