"""Fixtures of the fault tests: a throwaway PostgreSQL with Rapport's schema, and the processes under test
(gunicorn, a Celery worker) pointed at it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.faults.servers import ThrowawayPostgres, postgres_available

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "fault-test-pass-42"  # noqa: S105 - a throwaway database's staff login


def missing(what: str) -> None:
    """Skip a fault test whose server cannot be started here; in CI (CI=true) that is a failure."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{what}: CI must run the fault tests")
    pytest.skip(what)


def manage_env(database_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    """A production-like environment (DEBUG off) pointed at the throwaway database."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "SECRET_KEY": "fault-test-secret-key-not-for-production",
        "RAPPORT_FIELD_KEYS": "ZmF1bHQtdGVzdC1maWVsZC1rZXktbm90LWZvci1wcm8=",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "RAPPORT_VAR_DIR": str(var_dir),
        "LOG_LEVEL": "INFO",
        # The loads here send hundreds of requests a second with one token: the per-token rate limit (1,200 a
        # minute) is not what they test, and a faster server once answered past it with 429 (2026-12-05).
        "RAPPORT_API_RATE_USER": "1000000/minute",
        **extra,
    }


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, timeout=300
    )


@pytest.fixture(scope="session")
def throwaway_pg(tmp_path_factory):
    """A PostgreSQL of the test's own (port 25432–25439), migrated, with a manager of organization "Fault"."""
    if not postgres_available():
        missing("PostgreSQL's initdb and pg_ctl are not installed")
    pg = ThrowawayPostgres().init()
    var = tmp_path_factory.mktemp("fault-var")
    env = manage_env(pg.url, var)
    try:
        manage(env, "migrate", "--no-input")
        manage(
            env,
            "create_staff",
            "boss",
            "--password",
            PASSWORD,
            "--organization",
            "Fault",
            "--property",
            "Inn",
            "--role",
            "manager",
        )
        yield pg
    finally:
        pg.destroy()


class Web:
    """gunicorn serving Rapport on a port of its own; its log (stderr) kept in a file."""

    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.base, self.log_path = f"http://127.0.0.1:{port}", log
        self._log = open(log, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--workers",
                "1",
                "--bind",
                f"127.0.0.1:{port}",
                "--timeout",
                "30",
                "--graceful-timeout",
                "2",
            ],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                self.get("/health/")
                break
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"gunicorn did not start: {log.read_text()}") from None
                time.sleep(0.2)

    def request(self, path: str, *, method: str = "GET", body: dict | None = None, headers: dict | None = None):
        """(status, headers, text) of one request; never raises for an HTTP error."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers or {})
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own loopback server
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read().decode()

    def get(self, path: str, **kwargs):
        return self.request(path, **kwargs)

    def log_text(self) -> str:
        self._log.flush()
        return self.log_path.read_text()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()
