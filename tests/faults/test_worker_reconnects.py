"""PostgreSQL restarted under an idle Celery worker: the next task must succeed (issue 11, finding 11).

With CELERY_DB_REUSE_MAX set, Celery kept the worker's connection between tasks without checking it,
and the first task after a restart failed ("server closed the connection unexpectedly")."""

from __future__ import annotations

import os
import subprocess

import pytest
from celery import Celery

from tests.conftest import REDIS_URL
from tests.faults.conftest import ROOT, manage_env
from tests.workers import worker_command, worker_stop

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.faults]
TASK_TIMEOUT = 60


@pytest.fixture
def worker_on_throwaway_pg(throwaway_pg, tmp_path):
    env = manage_env(throwaway_pg.url, tmp_path, CELERY_BROKER_URL=REDIS_URL, CELERY_RESULT_BACKEND=REDIS_URL)
    queue = f"faults-{os.getpid()}"  # its own queue on the shared Redis: no other test's worker takes these
    log = open(tmp_path / "worker.log", "w")  # noqa: SIM115 - closed below
    worker = subprocess.Popen(
        worker_command(f"faults-{os.getpid()}@localhost", "--pool", "prefork", "--concurrency", "1", "-Q", queue),
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    client = Celery("rapport-fault-client", broker=REDIS_URL, backend=REDIS_URL, set_as_current=False)
    try:
        yield client, queue
    finally:
        worker_stop(worker)
        log.close()
        client.close()


def test_the_first_task_after_a_database_restart_succeeds(throwaway_pg, worker_on_throwaway_pg):
    client, queue = worker_on_throwaway_pg
    # Given an idle worker that has used its database connection once (and keeps it: CELERY_DB_REUSE_MAX)
    assert client.send_task("rapport.ping_database", queue=queue).get(timeout=TASK_TIMEOUT) == "pong"
    # when PostgreSQL restarts while the worker waits
    throwaway_pg.restart()
    # then the next task, in the same worker process, succeeds
    assert client.send_task("rapport.ping_database", queue=queue).get(timeout=TASK_TIMEOUT) == "pong"
    assert client.send_task("rapport.ping_database", queue=queue).get(timeout=TASK_TIMEOUT) == "pong"
