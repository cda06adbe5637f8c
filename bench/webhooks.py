"""bench/run webhooks: signed webhook deliveries through real workers, beside a bare loop of signed POSTs.

N events (default 10,000) are recorded for one endpoint in one transaction (an import: its commit hands them
to the workers in batches of 50), then delivered by a real Celery worker (prefork, 2 processes) on Redis to a
local receiver (http.server, HTTP/1.1 keep-alive, in its own process) that counts every webhook-id it gets.
The clock runs from the commit to the last delivery recorded. The floor, interleaved in the same run (bare,
webhooks, bare, webhooks…): the same payloads signed the same way (crm.webhooks.signing) and POSTed by one
process in a bare loop over one kept-alive connection, no database, no broker.

Prints "name value unit" lines: webhooks_per_second, bare_loop_per_second, webhooks_vs_bare_loop (medians of
the rounds), webhooks_lost and webhooks_duplicated (summed over the rounds; per webhook-id at the receiver).
Needs PostgreSQL (its own database: BENCH_WEBHOOKS_DATABASE_URL) and Redis (BENCH_BROKER_URL).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def serve(port_file: str) -> None:
    """The receiver (its own process): 204 to every POST, counting webhook-ids; GET /stats, POST /reset."""
    seen: Counter[str] = Counter()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def _answer(self, code: int, body: bytes = b"") -> None:
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path == "/reset":
                with lock:
                    seen.clear()
            else:
                with lock:
                    seen[self.headers["webhook-id"]] += 1
            self._answer(204)

        def do_GET(self) -> None:
            with lock:
                stats = {"received": sum(seen.values()), "unique": len(seen)}
            self._answer(200, json.dumps(stats).encode())

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    Path(port_file).write_text(str(server.server_address[1]))
    server.serve_forever()


def _call(port: int, method: str, path: str) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, path)
    body = conn.getresponse().read()
    conn.close()
    return json.loads(body) if body else {}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=2, help="worker processes")
    args = parser.parse_args()

    import bench.boot  # noqa: F401  (Django set up for the imports below, once the arguments are read)

    # isort: split
    from celery import Celery
    from django.db import transaction

    from bench.measure import line
    from bench.setup import ensure_database
    from crm.models import DeliveryStatus, EventType, Organization, WebhookDelivery, WebhookEndpoint
    from crm.webhooks import services, signing
    from tests.workers import worker_command

    ensure_database()
    broker = os.environ["CELERY_BROKER_URL"]
    port_file = ROOT / "var" / f"bench-webhooks-{os.getpid()}.port"
    port_file.parent.mkdir(parents=True, exist_ok=True)
    receiver = subprocess.Popen([sys.executable, "-m", "bench.webhooks", "--serve", str(port_file)], cwd=ROOT)
    while not port_file.exists() or not port_file.read_text():
        time.sleep(0.05)
    port = int(port_file.read_text())
    organization, _ = Organization.objects.get_or_create(name="Webhooks bench hotels")
    WebhookEndpoint.objects.filter(organization=organization).delete()
    endpoint = services.webhook_endpoint_create(
        organization=organization, url=f"http://127.0.0.1:{port}/hooks", events=[EventType.ISSUE_RESOLVED]
    )
    client = Celery("bench", broker=broker)
    with client.connection_for_write() as conn:
        conn.default_channel.queue_purge("celery")
    worker = subprocess.Popen(
        worker_command(
            f"bench-webhooks-{os.getpid()}@localhost", "--concurrency", str(args.concurrency), loglevel="WARNING"
        ),
        cwd=ROOT,
        env={**os.environ, "LOG_LEVEL": "WARNING"},
        stdout=subprocess.DEVNULL,
    )
    n = args.events

    def payload(number: int) -> dict:
        return {"issue": number, "customer": number, "property": 1, "status": "resolved", "severity": "medium"}

    def bare_loop(round_: int) -> float:
        _call(port, "POST", "/reset")
        bodies = [
            signing.body_of({"type": "issue.resolved", "timestamp": "2026-12-02T00:00:00+00:00", "data": payload(i)})
            for i in range(n)
        ]
        secret = endpoint.secret  # decrypted once, as a delivery batch does once per endpoint
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        started = time.perf_counter()
        for i, body in enumerate(bodies):
            headers = signing.headers(
                secret=secret, message_id=f"bare_{round_}_{i}", timestamp=int(time.time()), body=body
            )
            conn.request("POST", "/hooks", body=body, headers=headers)
            conn.getresponse().read()
        elapsed = time.perf_counter() - started
        conn.close()
        return n / elapsed

    def webhooks(round_: int) -> tuple[float, int, int]:
        _call(port, "POST", "/reset")
        WebhookDelivery.objects.filter(endpoint=endpoint).delete()
        recorded = time.perf_counter()
        with transaction.atomic():
            for i in range(n):
                services.webhook_event_record(
                    organization_id=organization.pk, event_type=EventType.ISSUE_RESOLVED, data=payload(i)
                )
            committing = time.perf_counter()
        line(f"webhooks_record_round{round_}_seconds", committing - recorded, "s")
        started = committing
        deadline = started + 600
        while WebhookDelivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.DELIVERED).count() < n:
            if time.perf_counter() > deadline:
                raise SystemExit("timed out")
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        time.sleep(0.5)  # anything late (a duplicate) reaches the receiver before it is counted
        stats = _call(port, "GET", "/stats")
        return n / elapsed, n - stats["unique"], stats["received"] - stats["unique"]

    try:
        deadline = time.monotonic() + 60
        while client.control.ping(timeout=1) == [] and time.monotonic() < deadline:
            pass
        bare_rates, hook_rates, lost, duplicated = [], [], 0, 0
        for round_ in range(1, args.rounds + 1):
            bare_rates.append(bare_loop(round_))
            line(f"bare_loop_round{round_}_per_second", bare_rates[-1], "deliveries/s")
            rate, round_lost, round_duplicated = webhooks(round_)
            hook_rates.append(rate)
            lost += round_lost
            duplicated += round_duplicated
            line(f"webhooks_round{round_}_per_second", rate, "deliveries/s")
        line("webhooks_events", n, "events")
        line("webhooks_per_second", statistics.median(hook_rates), "deliveries/s")
        line("bare_loop_per_second", statistics.median(bare_rates), "deliveries/s")
        line("webhooks_vs_bare_loop", statistics.median(hook_rates) / statistics.median(bare_rates), "ratio")
        line("webhooks_lost", lost, "deliveries")
        line("webhooks_duplicated", duplicated, "deliveries")
    finally:
        worker.terminate()
        worker.wait(30)
        receiver.terminate()
        receiver.wait(10)
        port_file.unlink(missing_ok=True)
        client.close()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        serve(sys.argv[2])
    else:
        main()
