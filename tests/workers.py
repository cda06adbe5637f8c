"""The command line of a real Celery worker process, for the tests and benchmarks that start one."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from celery import Celery

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    """The test's database (pytest-django's, on PostgreSQL) as the DATABASE_URL of a process the test starts."""
    from django.db import connection

    db = connection.settings_dict
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def worker_env(var_dir: Path, *, broker: str, **extra: str) -> dict[str, str]:
    """The environment of a worker (or beat) the test starts: this process's, on the test's database and
    `broker`, its files under var_dir; extra: more settings (e.g. EMAIL_URL)."""
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker,
        "RAPPORT_VAR_DIR": str(var_dir),
        **extra,
    }


def broker_client(name: str, broker: str) -> Celery:
    """A Celery client publishing to `broker`, its default queue emptied of an earlier run's messages. Not the
    current app: the project's tasks resolve to the project's app in every thread (a current app is per thread,
    and a later test patching a task would patch this one's copy in its own thread only). Close it after use."""
    client = Celery(name, broker=broker, set_as_current=False)
    with client.connection_for_write() as conn:
        conn.default_channel.queue_purge("celery")
    return client


def worker_command(hostname: str, *options: str, loglevel: str = "INFO") -> list[str]:
    """celery -A config worker, without gossip and mingle (one worker, started and stopped by its test);
    options: e.g. "--pool", "solo" or "--concurrency", "2"."""
    return [
        *(sys.executable, "-m", "celery", "-A", "config", "worker", *options),
        *("--loglevel", loglevel, "--without-gossip", "--without-mingle", "--hostname", hostname),
    ]


def worker_start(hostname: str, *, env: dict[str, str], log: IO[str]) -> subprocess.Popen:
    """A solo-pool worker run from the repository root, its output in `log`."""
    return subprocess.Popen(
        worker_command(hostname, "--pool", "solo"), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )


def worker_stop(worker: subprocess.Popen) -> None:
    """Ask the worker to finish (a warm shutdown), and kill it if it has not within 20 s."""
    worker.terminate()
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()


def wait_until(condition: Callable[[], object], what: str, *, seconds: float) -> None:
    """Poll condition until it holds (a worker's effect in the database); AssertionError naming `what` after
    `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)
