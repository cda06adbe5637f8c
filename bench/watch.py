"""What the machine did during one step of a load benchmark (bench/mixed.py): CPU seconds of each process tree
(the web server, the Celery worker, beat, this database's PostgreSQL backends), new database sessions, and what
the database's busy backends were waiting on, sampled five times a second."""

from __future__ import annotations

import os
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

TICKS = os.sysconf("SC_CLK_TCK")
SAMPLE_SECONDS = 0.2


def tree(pid: int) -> list[int]:
    """A process and all its descendants."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User plus system CPU each process used so far (one that has exited is left out)."""
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        found[pid] = (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime: the 14th and 15th fields
    return found


@dataclass
class Watch:
    """CPU by process tree and PostgreSQL's waits between start() and stop(); `trees` names root pids."""

    database_url: str
    trees: dict[str, int]
    cpu: dict[str, float] = field(default_factory=dict)  # after stop(): CPU seconds of each tree in the step
    sessions: int = 0
    waits: Counter = field(default_factory=Counter)  # "IO:DataFileRead" -> samples; "CPU" when active, not waiting
    samples: int = 0
    lock_queries: Counter = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.connection = psycopg.connect(self.database_url, autocommit=True)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started: dict[str, dict[int, float]] = {}

    def _backends(self) -> list[int]:
        rows = self.connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
        return [pid for (pid,) in rows]

    def _cpu(self) -> dict[str, dict[int, float]]:
        figures = {name: cpu_seconds(tree(pid)) for name, pid in self.trees.items()}
        figures["postgres"] = cpu_seconds(self._backends())
        return figures

    def _sessions(self) -> int:
        return self.connection.execute(
            "SELECT sessions FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()[0]

    def _sample(self) -> None:
        with psycopg.connect(self.database_url, autocommit=True) as sampler:
            while not self._stop.wait(SAMPLE_SECONDS):
                rows = sampler.execute(
                    "SELECT wait_event_type, wait_event, left(query, 100) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()"
                ).fetchall()
                self.samples += 1
                for kind, event, query in rows:
                    self.waits["CPU" if kind is None else f"{kind}:{event}"] += 1
                    if kind == "Lock":
                        self.lock_queries[query] += 1

    def start(self) -> None:
        self._started, self.sessions = self._cpu(), self._sessions()
        self.waits, self.lock_queries, self.samples = Counter(), Counter(), 0
        self._stop.clear()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join()
        now = self._cpu()
        self.cpu = {
            name: sum(seconds - self._started[name].get(pid, 0.0) for pid, seconds in pids.items())
            for name, pids in now.items()
        }
        self.sessions = self._sessions() - self.sessions

    def close(self) -> None:
        self.connection.close()
