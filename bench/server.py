"""gunicorn serving the application (or bench.settings, which adds the reference endpoints) on loopback."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# An access log line: the X-Bench-Request header the load generator sends, then the worker's own time (µs).
ACCESS_LOG_FORMAT = "%({x-bench-request}i)s %(D)s"


def start_gunicorn(
    port: int, *, workers: int = 1, settings: str = "config.settings", access_log: Path | None = None
) -> subprocess.Popen:
    """gunicorn on 127.0.0.1:port; with access_log, one line per request there (ACCESS_LOG_FORMAT)."""
    logging = ["--access-logfile", str(access_log), "--access-logformat", ACCESS_LOG_FORMAT] if access_log else []
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            *logging,
        ],
        cwd=ROOT,
        env={**os.environ, "CONN_MAX_AGE": "600", "DJANGO_SETTINGS_MODULE": settings},
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("gunicorn did not start")


def stop(process: subprocess.Popen, grace: float = 30.0) -> None:
    """Gunicorn told to stop, and killed when it has not within `grace` seconds (its workers finishing a request, or
    starved of CPU on a loaded machine): a benchmark's figures are printed by then, and the run ends either way."""
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        print(f"# gunicorn did not stop within {grace:.0f} s of SIGTERM: killed", file=sys.stderr, flush=True)
        process.kill()
        process.wait()


def json_getter(port: int, token: str, timeout: float = 60):
    """(get, close): get(path) answers the JSON of one GET on a keep-alive connection with the bench token,
    stopping the benchmark on any answer but 200."""
    client = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def get(path: str):
        client.request("GET", path, headers={"Authorization": f"Token {token}", "Host": "localhost"})
        response = client.getresponse()
        body = response.read()
        if response.status != 200:
            raise SystemExit(f"{path} answered {response.status}: {body[:200]!r}")
        return json.loads(body)

    return get, client.close
