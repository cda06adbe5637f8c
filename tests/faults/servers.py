"""Throwaway PostgreSQL and Redis servers that a fault test or script starts, breaks and stops itself.

Never the machine's shared PostgreSQL (5432) or Redis (6379): other tests and people use those. Each
server here lives in its own temporary folder, on a port of its own (PostgreSQL 25432–25439, Redis
6390–6399), and is stopped and deleted by whoever started it.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

# Below Linux's ephemeral range (32768–60999): a port there can be taken by any outgoing connection, and a
# restarted server then finds its own port "already in use" (seen in CI with 55432).
PG_PORTS = range(25432, 25440)
REDIS_PORTS = range(6390, 6400)


def free_port_in(ports: range) -> int:
    for port in ports:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")


def _pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def postgres_available() -> bool:
    return _pg_bin("initdb") is not None and _pg_bin("pg_ctl") is not None


def redis_available() -> bool:
    return shutil.which("redis-server") is not None


class ThrowawayPostgres:
    """initdb into a temporary folder (as the ``postgres`` OS user when run as root), then start, stop and
    restart on demand. ``url`` is a Django DATABASE_URL for its database ``rapport``."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port_in(PG_PORTS)
        self.root = Path(tempfile.mkdtemp(prefix="rapport-pg-"))
        self.data, self.log = self.root / "data", self.root / "server.log"
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/rapport"

    def _run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_postgres else []
        return subprocess.run([*prefix, *command], check=check, capture_output=True, text=True, timeout=120)

    def init(self) -> ThrowawayPostgres:
        self._run(_pg_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
        self.start()
        self._run(
            _pg_bin("createdb") or "createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "rapport"
        )
        return self

    def start(self) -> None:
        # fsync off: a throwaway; listen on loopback TCP only, its socket in its own folder.
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        started = self._run(
            _pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start", check=False
        )
        if started.returncode != 0:
            log = self.log.read_text()[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"PostgreSQL did not start on {self.port}: {started.stdout}{started.stderr}\n{log}")

    def stop(self, mode: str = "fast") -> None:
        self._run(_pg_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def restart(self) -> None:
        self.stop()
        self.start()

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


class ThrowawayRedis:
    """redis-server with nothing kept on disk, on its own port."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port_in(REDIS_PORTS)
        self.root = Path(tempfile.mkdtemp(prefix="rapport-redis-"))
        self.process: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> ThrowawayRedis:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.root),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on {self.port}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
