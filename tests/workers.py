"""The command line of a real Celery worker process, for the tests and benchmarks that start one."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent


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
