"""Another connection's transaction held open beside a test, for the tests of what runs concurrently on PostgreSQL
(row locks, SKIP LOCKED). Needs django_db(transaction=True): the other thread sees only committed rows."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connections, transaction


@contextmanager
def held_open(work: Callable[[], Any]) -> Iterator[dict[str, Any]]:
    """Run work in another thread, inside a transaction kept open (its locks held) until the block ends; yields a
    dict whose "result" is what work returned."""
    done: dict[str, Any] = {}
    ready, release = threading.Event(), threading.Event()

    def run() -> None:
        try:
            with transaction.atomic():
                done["result"] = work()
                ready.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    assert ready.wait(10), "the other transaction did not start"
    try:
        yield done
    finally:
        release.set()
        thread.join(10)
