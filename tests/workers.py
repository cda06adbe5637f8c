"""The command line of a real Celery worker process, for the tests and benchmarks that start one."""

from __future__ import annotations

import sys


def worker_command(hostname: str, *options: str, loglevel: str = "INFO") -> list[str]:
    """celery -A config worker, without gossip and mingle (one worker, started and stopped by its test);
    options: e.g. "--pool", "solo" or "--concurrency", "2"."""
    return [
        *(sys.executable, "-m", "celery", "-A", "config", "worker", *options),
        *("--loglevel", loglevel, "--without-gossip", "--without-mingle", "--hostname", hostname),
    ]
