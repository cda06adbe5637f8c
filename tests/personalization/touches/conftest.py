"""A real SMTP server (aiosmtpd) on a free loopback port, and helpers to make touches due."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email import policy as email_policy

import pytest
from aiosmtpd.controller import Controller

from crm import services
from personalization.models import Touch, TouchKind, TouchStatus
from tests.factories import TouchFactory

# 12:00 in Shanghai (UTC+8, no quiet hours) and 23:00 the day before in New York (UTC-5, winter).
SHANGHAI_NOON = datetime(2026, 1, 15, 4, 0, tzinfo=UTC)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sink:
    """Keeps every accepted message; answers DATA with the queued replies first ("451 ...", "550 ...")."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.raw: list[bytes] = []
        self.replies: list[str] = []
        self.refused = 0

    async def handle_DATA(self, server, session, envelope):
        if self.replies:
            self.refused += 1
            return self.replies.pop(0)
        self.raw.append(envelope.content)
        self.messages.append(email.message_from_bytes(envelope.content, policy=email_policy.default))
        return "250 2.0.0 OK"


@contextmanager
def serving(sink: Sink) -> Iterator[Sink]:
    """`sink` listening on a free loopback port (its `port`) until the block ends."""
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    sink.port = controller.port
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def smtp_server():
    with serving(Sink()) as sink:
        yield sink


@pytest.fixture
def smtp(smtp_server, settings):
    """Django's SMTP backend pointed at the real server: what production does with EMAIL_URL=smtp://..."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_server.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.RAPPORT_PUBLIC_URL = "http://testserver"
    return smtp_server


def resolve_issue(customer, property_, summary="Room too noisy"):
    issue = services.issue_open(customer=customer, property=property_, summary=summary)
    return services.issue_update(issue=issue, status="resolved", resolution="Moved to a quiet room")


def due_touch(customer, property_, kind=TouchKind.ISSUE_FOLLOW_UP, key=None) -> Touch:
    """A touch due now, claimed as the dispatcher claims it."""
    return claim(
        TouchFactory(
            customer=customer, property=property_, kind=kind, idempotency_key=key or f"{kind}:{customer.pk}:due"
        )
    )


def claim(touch: Touch) -> Touch:
    """What the dispatcher does to a due touch."""
    from django.utils import timezone

    Touch.objects.filter(pk=touch.pk).update(status=TouchStatus.SENDING, claimed_at=timezone.now())
    touch.refresh_from_db()
    return touch
