"""A real HTTP receiver for webhooks (http.server in a thread on 127.0.0.1, an ephemeral port; HTTPS when given a
TLS context) that records what it gets and checks each signature with the standardwebhooks package."""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from crm.models import DeliveryStatus, WebhookDelivery
from crm.webhooks import delivery, services


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    verified: bool

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def payload(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """answer: "ok" (204), "500", "close" (reads the request, closes without a word), "slow" (answers after
    `delay` s), "redirect" (302 to `redirect_to`)."""

    server: ThreadingHTTPServer | None = None
    secret: str = ""
    answer: str = "ok"
    delay: float = 0.0
    redirect_to: str = ""
    received: list[Received] = field(default_factory=list)
    accepted: list[Received] = field(default_factory=list)
    ports: set[int] = field(default_factory=set)  # the senders' ports: one per TCP connection
    scheme: str = "http"

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"{self.scheme}://{host}:{port}/hooks"

    def ids(self) -> Counter:
        return Counter(item.webhook_id for item in self.received)

    def wait_for(self, count: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while len(self.accepted) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"the receiver accepted {len(self.accepted)} of {count}")
            time.sleep(0.05)


def _handler(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            receiver.ports.add(self.client_address[1])
            headers = {name.lower(): value for name, value in self.headers.items()}
            try:
                Webhook(receiver.secret).verify(body, headers)
                verified = True
            except (WebhookVerificationError, ValueError, KeyError):
                verified = False
            item = Received(headers, body, verified)
            receiver.received.append(item)
            if receiver.answer == "close":
                self.close_connection = True
                self.connection.close()
                return
            if receiver.answer == "slow":
                time.sleep(receiver.delay)
            if receiver.answer == "500":
                self._answer(500)
            elif receiver.answer == "redirect":
                self._answer(302, {"Location": receiver.redirect_to})
            else:
                receiver.accepted.append(item)
                self._answer(204)

        def do_GET(self) -> None:  # where a redirect would lead: it must never be followed
            receiver.received.append(Received({"webhook-id": "GET " + self.path}, b"", False))
            self._answer(200)

        def _answer(self, code: int, headers: dict | None = None) -> None:
            try:
                self.send_response(code)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()
            except OSError:
                pass  # the sender gave up waiting (a timeout): nothing to answer

    return Handler


def start_receiver(receiver: Receiver, port: int = 0, tls: ssl.SSLContext | None = None) -> Receiver:
    """Serve on 127.0.0.1; with tls, HTTPS only (a client that refuses its certificate never gets to send)."""
    receiver.server = ThreadingHTTPServer(("127.0.0.1", port), _handler(receiver))
    receiver.server.daemon_threads = True
    if tls is not None:
        receiver.server.socket = tls.wrap_socket(receiver.server.socket, server_side=True)
        receiver.scheme = "https"
    threading.Thread(target=receiver.server.serve_forever, daemon=True).start()
    return receiver


def stop_receiver(receiver: Receiver) -> None:
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def receiver():
    box = start_receiver(Receiver())
    yield box
    stop_receiver(box)


@pytest.fixture
def allow_private(settings):
    settings.RAPPORT_WEBHOOKS_ALLOW_PRIVATE = True


@pytest.fixture
def fast_retries(settings):
    settings.RAPPORT_WEBHOOKS_RETRY_DELAYS = [1, 1, 1]
    settings.RAPPORT_WEBHOOKS_TIMEOUT_SECONDS = 1


@pytest.fixture
def endpoint(organization, receiver, allow_private, manager):
    """An endpoint of organization on the receiver, for every event; the receiver knows its secret."""
    made = services.webhook_endpoint_create(
        organization=organization, url=receiver.url, events=["issue.opened", "issue.resolved"], actor=manager.user
    )
    receiver.secret = made.secret
    return made


def send_claimed() -> dict:
    """What the task does with the batches the events' commits would have enqueued."""
    counts: dict = {}
    for row in WebhookDelivery.objects.filter(status=DeliveryStatus.SENDING).order_by("pk"):
        for key, n in delivery.webhooks_deliver(delivery_ids=[row.pk], claim=row.claim).items():
            counts[key] = counts.get(key, 0) + n
    return counts


def send_due(later: timedelta) -> dict:
    """What the dispatcher and its batches do this much later."""
    ids, claim = delivery.webhooks_claim(now=timezone.now() + later)
    return dict(delivery.webhooks_deliver(delivery_ids=ids, claim=claim)) if ids else {}
