"""Sending touches, a batch at a time: the rules checked at send time, the mail server, the outcome.

Exactly once, as far as SMTP allows
-----------------------------------
1. The dispatcher claims due touches (``scheduled`` → ``sending``, ``claimed_at``) under
   ``SELECT ... FOR UPDATE SKIP LOCKED`` and, after the commit, enqueues ``send_touches(ids)``
   once per ``SEND_BATCH`` ids.
2. ``touches_send`` locks the batch's customers, then its touch rows, in one transaction, and
   leaves alone every touch that is no longer ``sending`` or has an attempt in flight: a second
   delivery of the same task message (``acks_late`` redelivers after a crash), or a re-queued
   stale claim, finds ``sent`` and does nothing. It checks consent, do-not-contact, open
   complaints, the pressure cap (across the batch too) and quiet hours *now*, renders each message
   from the data as it is now (subject and bodies stored on the row, overwritten at every attempt: a
   name corrected after a failure is in the next attempt) with one ``Message-ID`` kept across attempts
   (made at the first, stored on the row), stamps ``attempt_started_at``, and commits — one durable
   commit for the whole batch, and no lock held while the mail server is slow.
3. The messages go out one after another on one kept SMTP session. Right after the server's
   ``250`` for a message, one UPDATE (autocommit) marks that touch ``sent`` with ``sent_at`` and the
   provider's message id (or our ``Message-ID``), before the next message starts: the record of
   success is a single write, and a worker killed mid-batch loses no mark but the one in flight.
   These marks do not wait for the WAL flush (PostgreSQL: the UPDATE sets ``synchronous_commit``
   off for its own one-statement transaction only): a mark costs one round trip instead of one
   disk sync, the 8–17 ms that made the old design slow on a busy machine. A mark is visible to
   every other transaction at once and survives any crash of the worker; the batch's last mark
   waits for the flush, which carries every earlier one to disk. Only a crash of the *database
   server* (or its machine) in the middle of a batch can lose marks — that batch's, of the last
   ``3 × wal_writer_delay`` (0.6 s by default) at most; those touches are still ``sending`` with
   their stored ``Message-ID`` and are re-sent with that same id (step 4). The commit of step 2
   always waits for the flush: losing it would re-render a new ``Message-ID``.
4. A worker killed between 2 and 3 leaves its unsent touches ``sending``. After
   ``RAPPORT_TOUCH_CLAIM_TIMEOUT_SECONDS`` the dispatcher hands them out again and the next attempt
   (seeing the stale ``attempt_started_at``) sends them. If the killed worker had reached the
   server's final ``250 OK`` for a message but not its mark — a window of one network round trip —
   the guest's mailbox receives the same ``Message-ID`` twice, which mail stores and clients treat
   as one message. No lock or protocol closes that window with plain SMTP (the server cannot be
   asked "did you get this?"); everywhere else a touch is sent at most once and, with the
   re-queue, at least once.
5. A batch never outlives its claim: when half the claim timeout has passed (a server answering
   slowly), the touches not yet sent go back to ``scheduled`` instead of racing a re-queue. A server
   that hangs inside one message past that meets the task's soft time limit (personalization/tasks.py):
   the touches after it go back the same way, and the one in flight keeps its claim, as in step 4; the
   hard limit kills the worker before the claim timeout can hand its touches to another.

Mail errors are per touch: a 4xx answer, a refused or dropped connection or a timeout are
transient: the touch goes back to ``scheduled`` with exponential backoff (1, 2, 4... minutes) until
``RAPPORT_TOUCH_MAX_ATTEMPTS``, then ``failed``; the next touch of the batch starts on a fresh
connection. A 5xx answer is permanent: ``failed`` at once with the server's words. Retries live in
the outbox row (``due_at``), not in the broker, so they survive a lost worker or broker.

Any other error is one touch's too, never the batch's: a message that cannot be rendered or built (a
template error, a header a guest's data would break) fails that touch at once with the error as its
reason and one attempt counted; the rest of the batch goes out. A manager can cancel it, or correct the
data and send it again (``touches.services.manual``): the message is rendered anew.

Attempts count only for the touch that was tried (issue 11, finding 8)
-----------------------------------------------------------------------
An attempt is counted when its outcome is written — the "sent" mark, a retry, a failure — never for a
whole batch up front: the touches a batch never reached (a worker killed, a batch out of time) keep
their counters, so a later real mail error still gets its retries. The one attempt whose outcome was
never written (a worker killed, or hung past its soft time limit, in the middle of a message) is found
when the stale claim is handed out again: a batch's touches go to the server in ``pk`` order and each
outcome clears ``attempt_started_at``, so of the touches still ``sending`` with that batch's stamp the
lowest ``pk`` is the one that was with the server. It is counted then, and a touch that stopped its
worker ``RAPPORT_TOUCH_MAX_ATTEMPTS`` times fails with that reason instead of stopping workers forever.
(A worker that died before its first message counts one attempt too many for one touch: harmless.)
"""

from __future__ import annotations

import logging
import smtplib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone

from crm.models import Customer, Issue, IssueStatus, StayStatus
from personalization.metrics.services.days import metrics_touches_finished
from personalization.models import Channel, DelightStatus, Touch, TouchStatus
from personalization.touches import messages, policy

log = logging.getLogger(__name__)
RETRY_BASE = timedelta(minutes=1)
# Touches per send task. One durable commit and one Celery task are shared by this many messages
# (each alone cost more than the message); the price: the batch's customers stay locked while it is
# checked and rendered (~1–2 ms a touch), and a worker that dies leaves up to this many touches
# waiting for the claim timeout.
SEND_BATCH = 50


class Outcome(StrEnum):
    SENT = "sent"
    SKIPPED = "skipped"
    POSTPONED = "postponed"  # back to scheduled: quiet hours, or a batch that ran out of time
    RETRY = "retry"
    FAILED = "failed"
    NOTHING = "nothing"  # not ours to send (already done, cancelled, or another attempt in flight)


def _claim_timeout() -> timedelta:
    return timedelta(seconds=settings.RAPPORT_TOUCH_CLAIM_TIMEOUT_SECONDS)


@dataclass
class Checks:
    """What the send-time rules need about a batch's customers, read with one query per rule."""

    now: datetime = field(default_factory=timezone.now)  # the moment of the checks
    complaining: set[int] = field(default_factory=set)  # customers with an open complaint
    # customer → capped touches sent lately or going out now (here or on another worker)
    capped: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))

    @classmethod
    def read(cls, touches: Sequence[Touch], now: datetime) -> Checks:
        checks = cls(now=now)
        calm = {t.customer_id for t in touches if policy.POLICIES[t.kind].needs_calm}
        if calm:
            checks.complaining = set(
                Issue.objects.filter(
                    customer_id__in=calm, status__in=(IssueStatus.OPEN, IssueStatus.IN_PROGRESS)
                ).values_list("customer_id", flat=True)
            )
        capped = {t.customer_id for t in touches if policy.POLICIES[t.kind].capped}
        if capped:
            since = now - timedelta(days=settings.RAPPORT_PRESSURE_CAP_DAYS)
            # Sent lately, or going out right now on another worker (the customer rows are locked).
            for customer_id, pk in Touch.objects.filter(
                Q(status=TouchStatus.SENT, sent_at__gte=since)
                | Q(status=TouchStatus.SENDING, attempt_started_at__isnull=False),
                customer_id__in=capped,
                kind__in=policy.CAPPED_KINDS,
            ).values_list("customer_id", "pk"):
                checks.capped[customer_id].add(pk)
        return checks

    def going_out(self, touch: Touch) -> None:
        """This touch goes out: later touches of the batch count it against the cap."""
        if policy.POLICIES[touch.kind].capped:
            self.capped[touch.customer_id].add(touch.pk)


def why_not(touch: Touch, checks: Checks) -> str:
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
    if delight is not None and delight.expires_at is not None and delight.expires_at <= checks.now:
        return "gift expired"
    stay = touch.stay  # a pre-arrival note: not for a stay cancelled, or already begun, meanwhile
    if stay is not None and stay.status != StayStatus.EXPECTED:
        return f"stay {stay.status}"
    if rule.needs_calm and customer.pk in checks.complaining:
        return "open complaint"
    if rule.capped and checks.capped[customer.pk] - {touch.pk}:
        return f"pressure cap (one per {settings.RAPPORT_PRESSURE_CAP_DAYS} days)"
    return ""


STARTED_FIELDS = ["subject", "body_text", "body_html", "message_id", "attempts", "attempt_started_at", "updated_at"]


def _stopped_with_the_server(touches: Sequence[Touch]) -> set[int]:
    """Of these touches, those that were with the mail server when their worker stopped (see "Attempts count
    only for the touch that was tried"): per stale batch stamp, the lowest pk still sending."""
    stamps = {touch.attempt_started_at for touch in touches if touch.attempt_started_at}
    if not stamps:
        return set()
    return set(
        Touch.objects.filter(status=TouchStatus.SENDING, attempt_started_at__in=stamps)
        .values("attempt_started_at")
        .annotate(first=Min("pk"))
        .values_list("first", flat=True)
    )


def _prepare(ids: Sequence[int], now: datetime, ignore_quiet_hours: bool) -> tuple[dict[int, Outcome], list[Touch]]:
    """Check, render and stamp the batch in one transaction; return every outcome so far and the
    email touches to send now."""
    outcomes = dict.fromkeys(ids, Outcome.NOTHING)
    ready: list[Touch] = []
    with transaction.atomic():
        # The customers' rows first (in pk order), as crm's writes do (merge, contact log), then the
        # touches': one customer's touches are checked by one worker at a time, so two workers cannot
        # both pass the pressure cap.
        customer_ids = sorted(set(Touch.objects.filter(pk__in=ids).values_list("customer_id", flat=True)))
        customers = Customer.objects.select_for_update().filter(pk__in=customer_ids).order_by("pk")
        list(customers.values_list("pk", flat=True))
        touches = [
            touch
            for touch in Touch.objects.select_for_update(of=("self",))
            .select_related("customer__organization", "property", "issue", "delight")
            .filter(pk__in=ids)
            .order_by("pk")
            # Not ours: done, cancelled, or another worker is talking to the mail server right now.
            if touch.status == TouchStatus.SENDING
            and not (touch.attempt_started_at and now - touch.attempt_started_at < _claim_timeout())
        ]
        checks = Checks.read(touches, now)
        stopped = _stopped_with_the_server(touches)
        for touch in touches:
            if touch.pk in stopped:
                touch.attempts += 1  # that attempt counts: this may be the touch that stops workers
                if touch.attempts >= settings.RAPPORT_TOUCH_MAX_ATTEMPTS:
                    reason = f"the worker stopped while sending it, {touch.attempts} times"
                    _finish(touch, status=TouchStatus.FAILED, reason=reason)
                    log.warning("touch %s failed: %s", touch.pk, reason)
                    outcomes[touch.pk] = Outcome.FAILED
                    continue
            if reason := why_not(touch, checks):
                _finish(touch, status=TouchStatus.SKIPPED, reason=reason)
                outcomes[touch.pk] = Outcome.SKIPPED
                continue
            quiet_end = None if ignore_quiet_hours else policy.quiet_until(now, policy.zone_of(touch.property))
            if quiet_end is not None:
                _finish(touch, status=TouchStatus.SCHEDULED, due_at=quiet_end, reason="quiet hours")
                metrics_touches_finished([touch], status="postponed", at=now)
                outcomes[touch.pk] = Outcome.POSTPONED
                continue
            # Rendered at every attempt, from the data as it is now; the Message-ID is made once.
            try:
                rendered = messages.render(touch)
            except Exception as exc:  # noqa: BLE001 - one guest's bad data fails their touch, not the batch
                touch.attempts += 1
                _finish(touch, status=TouchStatus.FAILED, reason=f"could not build the message: {exc}")
                log.warning("touch %s failed: could not build the message: %s", touch.pk, exc)
                outcomes[touch.pk] = Outcome.FAILED
                continue
            touch.subject, touch.body_text, touch.body_html = rendered.subject, rendered.text, rendered.html
            touch.message_id = touch.message_id or messages.new_message_id(touch)
            checks.going_out(touch)
            touch.attempt_started_at = touch.updated_at = now
            ready.append(touch)
        _update(ready, STARTED_FIELDS)
    return outcomes, ready


def _update(touches: Sequence[Touch], fields: list[str], *, flush: bool = True) -> None:
    """Save these fields of these touches: one UPDATE per row, sent together (executemany; psycopg
    pipelines them). Django's bulk_update builds a CASE per field and row, and compiling it cost
    more than the SMTP conversation; a queryset update() per row, half as much again.

    flush=False (PostgreSQL): the commit of the transaction it runs in (its own, or _mark_sent's with the
    touch's counter) does not wait for the WAL flush — ``set_config(..., true)`` lasts only for that
    transaction, so nothing stays set on the connection (safe behind a transaction-pooling proxy too). See step 3
    above."""
    if not touches:
        return
    connection = transaction.get_connection()
    columns = [Touch._meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    no_flush = not flush and connection.vendor == "postgresql"
    # Only the model's own table and column names go into the text; every value is a parameter.
    sql = "UPDATE {} SET {}{} WHERE {} = %s".format(  # noqa: S608
        quote(Touch._meta.db_table),
        ", ".join(f"{quote(c.column)} = %s" for c in columns),
        " FROM (SELECT set_config('synchronous_commit', 'off', true)) AS no_flush" if no_flush else "",
        quote("id"),
    )
    rows = [[c.get_db_prep_save(getattr(t, c.attname), connection) for c in columns] + [t.pk] for t in touches]
    with connection.cursor() as cursor:
        if len(rows) == 1:
            cursor.execute(sql, rows[0])  # a pipeline of one costs more than the statement
        else:
            cursor.executemany(sql, rows)


def _finish(touch: Touch, *, status: str, reason: str = "", **fields) -> None:
    touch.status, touch.reason = status, reason[:500]
    touch.attempt_started_at = None
    if status != TouchStatus.SENDING:
        touch.claimed_at = None
    for name, value in fields.items():
        setattr(touch, name, value)
    touch.save(
        update_fields=["status", "reason", "attempts", "attempt_started_at", "claimed_at", *fields, "updated_at"]
    )
    if status in (TouchStatus.SKIPPED, TouchStatus.FAILED):
        metrics_touches_finished([touch], status=status, at=timezone.now(), reason=touch.reason)


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
    """Open a kept mail connection, or check it is still alive (NOOP) before a batch goes on it:
    a server that dropped an idle connection is noticed before, never during, a message."""
    live = getattr(connection, "connection", None)
    if live is not None:
        try:
            live.noop()
            return
        except (smtplib.SMTPException, OSError):
            connection.close()
    connection.open()


def _open(connection) -> None:
    """Within a batch the session is busy, not idle: reopen it only after an error closed it."""
    if getattr(connection, "connection", None) is None:
        connection.open()


SENT_FIELDS = [
    "status",
    "sent_at",
    "provider_message_id",
    "reason",
    "attempts",
    "attempt_started_at",
    "claimed_at",
    "updated_at",
]


def _mark_sent(touch: Touch, message, *, flush: bool) -> None:
    """One UPDATE (autocommit): the record of success is a single write."""
    status = getattr(message, "anymail_status", None)  # django-anymail's provider id, when configured
    touch.provider_message_id = str(getattr(status, "message_id", None) or touch.message_id)[:300]
    touch.status, touch.reason, touch.attempt_started_at, touch.claimed_at = TouchStatus.SENT, "", None, None
    touch.attempts += 1
    touch.sent_at = touch.updated_at = timezone.now()
    # The counter with the record of success, in one transaction (not flushed either, when flush=False).
    with transaction.atomic():
        _update([touch], SENT_FIELDS, flush=flush)
        metrics_touches_finished([touch], status=TouchStatus.SENT, at=touch.sent_at)


def _deliver(touch: Touch, connection, *, flush: bool = True) -> Outcome:
    try:
        message = messages.build(touch, connection=connection)
        _open(connection)
        message.send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as exc:
        connection.close()  # the next touch starts on a fresh connection
        return _failed_attempt(touch, exc)
    except Exception as exc:  # noqa: BLE001 - anything else is this touch's, never the batch's
        connection.close()
        log.exception("touch %s failed: unexpected error while sending", touch.pk)
        return _failed_attempt(touch, exc, permanent=True)
    _mark_sent(touch, message, flush=flush)
    return Outcome.SENT


def _release(touches: Sequence[Touch], started: datetime) -> None:
    """Hand back the touches a batch had no time left for: scheduled again, never attempted (no attempt counted)."""
    Touch.objects.filter(pk__in=[t.pk for t in touches], status=TouchStatus.SENDING, attempt_started_at=started).update(
        status=TouchStatus.SCHEDULED,
        attempt_started_at=None,
        claimed_at=None,
        updated_at=timezone.now(),
    )
    log.warning("released %d touches: the batch ran out of time (slow mail server?)", len(touches))


def touches_send(*, touch_ids: Sequence[int], connection=None, ignore_quiet_hours: bool = False) -> dict[int, Outcome]:
    """Send a batch of claimed touches, or skip, postpone, retry or fail each with a reason; idempotent.

    connection: a mail connection kept open between batches (the worker keeps one per process);
    without it the batch opens and closes its own."""
    now = timezone.now()
    outcomes, ready = _prepare(list(touch_ids), now, ignore_quiet_hours)
    if not ready:
        return outcomes
    kept, connection = connection is not None, connection or get_connection()
    # Past this, a re-queue of the claim could start these touches elsewhere: stop well before.
    deadline = now + _claim_timeout() / 2
    index = -1  # the touch in flight
    try:
        try:
            _ready(connection)
        except (smtplib.SMTPException, OSError):
            connection.close()  # each touch tries (and fails, or not) on its own below
        for index, touch in enumerate(ready):
            if timezone.now() > deadline:
                _release(ready[index:], now)
                outcomes.update(dict.fromkeys((t.pk for t in ready[index:]), Outcome.POSTPONED))
                break
            # The batch's last mark waits for the flush, which carries every earlier one to disk.
            outcomes[touch.pk] = _deliver(touch, connection, flush=index == len(ready) - 1)
    except SoftTimeLimitExceeded:
        # The task's soft time limit (step 5): the touch in flight may have reached the server and keeps its
        # claim; those after it were never started.
        _release(ready[index + 1 :], now)
        raise
    finally:
        if not kept:
            connection.close()
    return outcomes


def _failed_attempt(touch: Touch, exc: Exception, *, permanent: bool = False) -> Outcome:
    code = _smtp_code(exc)
    error = _describe(exc)
    permanent = permanent or (code is not None and 500 <= code < 600)
    with transaction.atomic():
        touch = Touch.objects.select_for_update().get(pk=touch.pk)
        if touch.status != TouchStatus.SENDING:  # cancelled while the server was refusing: leave it so
            return Outcome.NOTHING
        touch.attempts += 1  # this attempt, counted with its outcome
        if permanent or touch.attempts >= settings.RAPPORT_TOUCH_MAX_ATTEMPTS:
            _finish(touch, status=TouchStatus.FAILED, reason=error)
            log.warning("touch %s failed after %s attempt(s): %s", touch.pk, touch.attempts, error)
            return Outcome.FAILED
        backoff = RETRY_BASE * 2 ** (touch.attempts - 1)
        _finish(touch, status=TouchStatus.SCHEDULED, reason=f"retrying: {error}", due_at=timezone.now() + backoff)
        log.info("touch %s: transient mail error (%s), retry in %s", touch.pk, error, backoff)
        return Outcome.RETRY
