"""A small HTTP load for the fault tests and bench/faults: threads writing guests and reading a brief while
something breaks, every answer recorded with its time."""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

# The bounded CI run; bench/faults sets these higher for the long run (docs/reliability.md).
LOAD_THREADS = int(os.environ.get("RAPPORT_FAULT_THREADS", "4"))
LOAD_SECONDS = float(os.environ.get("RAPPORT_FAULT_SECONDS", "8"))


@dataclass
class Answer:
    at: float  # seconds since the load started
    took: float
    status: int
    kind: str  # "write" or "read"
    created: int | None = None


@dataclass
class Load:
    base: str
    token: str
    brief_of: int
    answers: list[Answer] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def _one(self, n: int, started: float) -> Answer:
        headers = {"Authorization": f"Token {self.token}", "Content-Type": "application/json"}
        if n % 2:
            body = {"given_name": f"Load{n}", "family_name": "Fault", "email": f"load{n}-{os.getpid()}@example.com"}
            request = urllib.request.Request(
                f"{self.base}/api/v1/customers/", data=json.dumps(body).encode(), headers=headers, method="POST"
            )
            kind = "write"
        else:
            request = urllib.request.Request(f"{self.base}/api/v1/customers/{self.brief_of}/brief/", headers=headers)
            kind = "read"
        begin = time.monotonic()
        created = None
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - our own loopback server
                status, text = response.status, response.read()
                if kind == "write":
                    created = json.loads(text)["id"]
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError:
            status = 0  # no answer at all (connection refused or reset)
        return Answer(at=begin - started, took=time.monotonic() - begin, status=status, kind=kind, created=created)

    def run(self, seconds: float = LOAD_SECONDS, threads: int = LOAD_THREADS) -> None:
        started = time.monotonic()
        counter = iter(range(10**9))
        lock = threading.Lock()

        def worker() -> None:
            while not self._stop.is_set() and time.monotonic() - started < seconds:
                with lock:
                    n = next(counter)
                answer = self._one(n, started)
                with lock:
                    self.answers.append(answer)

        pool = [threading.Thread(target=worker) for _ in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(0.95 * (len(ordered) - 1))] if ordered else 0.0
