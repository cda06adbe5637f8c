"""Sending one touch: the rules checked at send time, the mail server, the outcome recorded.

Exactly once, as far as SMTP allows
-----------------------------------
1. The dispatcher claims a due touch (``scheduled`` → ``sending``, ``claimed_at``) under
   ``SELECT ... FOR UPDATE SKIP LOCKED`` and enqueues ``send_touch(id)`` after the commit.
2. ``touch_send`` locks the row again and returns at once unless it is still ``sending`` with no
   attempt in flight: a second delivery of the same task message (``acks_late`` redelivers after a
   crash), or a re-queued stale claim, finds ``sent`` and does nothing. It checks consent,
   do-not-contact, open complaints, the pressure cap and quiet hours *now*, renders the message
   once (subject, bodies and a ``Message-ID`` stored on the row: every attempt sends the same
   bytes and the same id), stamps ``attempt_started_at``, and commits: no lock is held while the
   mail server is slow.
3. The message goes out; then one UPDATE marks it ``sent`` together with ``sent_at`` and the
   provider's message id (or our ``Message-ID``) — the record of success is a single write.
4. A worker killed between 2 and 3 leaves the row ``sending``. After
   ``RAPPORT_TOUCH_CLAIM_TIMEOUT_SECONDS`` the dispatcher hands it out again and the next attempt
   (seeing the stale ``attempt_started_at``) sends it. If the first attempt had reached the
   server's final ``250 OK`` before the kill — a window of one network round-trip between the
   server's answer and our commit — the guest's mailbox receives the same ``Message-ID`` twice,
   which mail stores and clients treat as one message. No lock or protocol closes that window
   with plain SMTP (the server cannot be asked "did you get this?"); everywhere else a touch is
   sent at most once and, with the re-queue, at least once.

Mail errors: a 4xx answer, a refused or dropped connection or a timeout are transient: the
touch goes back to ``scheduled`` with exponential backoff (1, 2, 4... minutes) until
``RAPPORT_TOUCH_MAX_ATTEMPTS``, then ``failed``. A 5xx answer is permanent: ``failed`` at once
with the server's words. Retries live in the outbox row (``due_at``), not in the broker, so they
survive a lost worker or broker.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from crm.models import Customer, Issue, IssueStatus
from personalization.models import Channel, DelightStatus, Touch, TouchStatus
from personalization.touches import messages, policy

log = logging.getLogger(__name__)
RETRY_BASE = timedelta(minutes=1)


class Outcome(StrEnum):
    SENT = "sent"
    SKIPPED = "skipped"
    POSTPONED = "postponed"
    RETRY = "retry"
    FAILED = "failed"
    NOTHING = "nothing"  # not ours to send (already done, cancelled, or another attempt in flight)


class PermanentError(Exception):
    pass


def _claim_timeout() -> timedelta:
    return timedelta(seconds=settings.RAPPORT_TOUCH_CLAIM_TIMEOUT_SECONDS)


def why_not(touch: Touch, now: datetime) -> str:
    """The reason this touch must not go out now ("" when it may)."""
    customer = touch.customer
    rule = policy.POLICIES[touch.kind]
    if customer.merged_into_id:
        return "customer merged into another profile"
    if customer.do_not_contact:
        return "do not contact"
    if not getattr(customer, rule.consent):
        return f"no consent ({rule.consent})"
    if touch.channel == Channel.EMAIL and not customer.email:
        return "no email address"
    delight = touch.delight  # a delight notice: not for a gift delivered, declined or expired meanwhile
    if delight is not None and delight.status not in (DelightStatus.SUGGESTED, DelightStatus.PLANNED):
        return f"gift {delight.status}"
    if delight is not None and delight.expires_at is not None and delight.expires_at <= now:
        return "gift expired"
    if (
        rule.needs_calm
        and Issue.objects.filter(customer=customer, status__in=(IssueStatus.OPEN, IssueStatus.IN_PROGRESS)).exists()
    ):
        return "open complaint"
    if rule.capped:
        since = now - timedelta(days=settings.RAPPORT_PRESSURE_CAP_DAYS)
        # Sent lately, or going out right now on another worker (see the customer lock in _prepare).
        recent = Touch.objects.filter(
            Q(status=TouchStatus.SENT, sent_at__gte=since)
            | Q(status=TouchStatus.SENDING, attempt_started_at__isnull=False),
            customer=customer,
            kind__in=policy.CAPPED_KINDS,
        ).exclude(pk=touch.pk)
        if recent.exists():
            return f"pressure cap (one per {settings.RAPPORT_PRESSURE_CAP_DAYS} days)"
    return ""


def _prepare(touch_id: int, now: datetime, ignore_quiet_hours: bool) -> tuple[Outcome, Touch | None]:
    with transaction.atomic():
        # The customer's row first, as crm's writes do (merge, contact log), then the touch's: one
        # customer's touches are checked one at a time, so two workers cannot both pass the pressure cap.
        customer_id = Touch.objects.filter(pk=touch_id).values_list("customer_id", flat=True).first()
        list(Customer.objects.select_for_update().filter(pk=customer_id).values_list("pk", flat=True))
        touch = (
            Touch.objects.select_for_update(of=("self",))
            .select_related("customer__organization", "property", "issue", "delight")
            .filter(pk=touch_id)
            .first()
        )
        if touch is None or touch.status != TouchStatus.SENDING:
            return Outcome.NOTHING, None
        if touch.attempt_started_at and now - touch.attempt_started_at < _claim_timeout():
            return Outcome.NOTHING, None  # another worker is talking to the mail server right now
        reason = why_not(touch, now)
        if reason:
            _finish(touch, status=TouchStatus.SKIPPED, reason=reason)
            return Outcome.SKIPPED, touch
        if touch.channel == Channel.STAFF_TASK:
            # A staff task is "sent" when it reaches the desk's list on the guest card.
            _finish(touch, status=TouchStatus.SENT, sent_at=now)
            return Outcome.SENT, touch
        quiet_end = None if ignore_quiet_hours else policy.quiet_until(now, policy.zone_of(touch.property))
        if quiet_end is not None:
            _finish(touch, status=TouchStatus.SCHEDULED, due_at=quiet_end, reason="quiet hours")
            return Outcome.POSTPONED, touch
        if not touch.message_id:
            rendered = messages.render(touch)
            touch.subject, touch.body_text, touch.body_html = rendered.subject, rendered.text, rendered.html
            touch.message_id = messages.new_message_id(touch)
        touch.attempts += 1
        touch.attempt_started_at = now
        touch.save(
            update_fields=[
                "subject", "body_text", "body_html", "message_id", "attempts", "attempt_started_at", "updated_at"
            ]
        )  # fmt: skip
        return Outcome.SENT, touch


def _finish(touch: Touch, *, status: str, reason: str = "", **fields) -> None:
    touch.status, touch.reason = status, reason[:500]
    touch.attempt_started_at = None
    if status != TouchStatus.SENDING:
        touch.claimed_at = None
    for name, value in fields.items():
        setattr(touch, name, value)
    touch.save(update_fields=["status", "reason", "attempt_started_at", "claimed_at", *fields, "updated_at"])


def _smtp_code(exc: Exception) -> int | None:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        return max(codes) if codes else None
    return getattr(exc, "smtp_code", None)


def _describe(exc: Exception) -> str:
    code = _smtp_code(exc)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{code} {msg.decode(errors='replace')}" for code, msg in exc.recipients.values())
    error = getattr(exc, "smtp_error", b"")
    if isinstance(error, bytes):
        error = error.decode(errors="replace")
    return f"{code} {error}".strip() if code else f"{type(exc).__name__}: {exc}"


def _ready(connection) -> None:
    """Open a kept mail connection, or check it is still alive (NOOP) before a message goes on it:
    a server that dropped an idle connection is noticed before, never during, a message."""
    if not hasattr(connection, "open"):
        return
    live = getattr(connection, "connection", None)
    if live is not None:
        try:
            live.noop()
            return
        except (smtplib.SMTPException, OSError):
            connection.close()
    connection.open()


def touch_send(*, touch_id: int, connection=None, ignore_quiet_hours: bool = False) -> Outcome:
    """Send one claimed touch, or skip, postpone, retry or fail it with a reason; idempotent.

    connection: a mail connection kept open between touches (the worker keeps one per process);
    without it each message opens and closes its own."""
    now = timezone.now()
    outcome, touch = _prepare(touch_id, now, ignore_quiet_hours)
    if outcome != Outcome.SENT or touch.channel == Channel.STAFF_TASK:
        return outcome
    message = messages.build(touch, connection=connection or get_connection())
    try:
        if connection is not None:
            _ready(connection)
        message.send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as exc:
        if connection is not None:
            connection.close()  # the next touch starts on a fresh connection
        return _failed_attempt(touch, exc)
    status = getattr(message, "anymail_status", None)  # django-anymail's provider id, when configured
    provider_id = getattr(status, "message_id", None) or touch.message_id
    Touch.objects.filter(pk=touch.pk).update(
        status=TouchStatus.SENT,
        sent_at=timezone.now(),
        provider_message_id=str(provider_id)[:300],
        reason="",
        attempt_started_at=None,
        claimed_at=None,
        updated_at=timezone.now(),
    )
    return Outcome.SENT


def _failed_attempt(touch: Touch, exc: Exception) -> Outcome:
    code = _smtp_code(exc)
    error = _describe(exc)
    permanent = code is not None and 500 <= code < 600
    with transaction.atomic():
        touch = Touch.objects.select_for_update().get(pk=touch.pk)
        if touch.status != TouchStatus.SENDING:  # cancelled while the server was refusing: leave it so
            return Outcome.NOTHING
        if permanent or touch.attempts >= settings.RAPPORT_TOUCH_MAX_ATTEMPTS:
            _finish(touch, status=TouchStatus.FAILED, reason=error)
            log.warning("touch %s failed after %s attempt(s): %s", touch.pk, touch.attempts, error)
            return Outcome.FAILED
        backoff = RETRY_BASE * 2 ** (touch.attempts - 1)
        _finish(touch, status=TouchStatus.SCHEDULED, reason=f"retrying: {error}", due_at=timezone.now() + backoff)
        log.info("touch %s: transient mail error (%s), retry in %s", touch.pk, error, backoff)
        return Outcome.RETRY
