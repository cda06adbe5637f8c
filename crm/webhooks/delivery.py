"""Sending the outbox: claim due deliveries atomically, POST them signed, record each outcome.

Exactly one webhook-id per event and endpoint, and no two workers holding one delivery at once:
1. A delivery is written already claimed (status ``sending``, a ``claim`` token) in its event's transaction;
   after the commit one ``deliver_webhooks(ids, claim)`` task is enqueued per DELIVER_BATCH of them.
2. The task first *starts* its rows: those still ``sending`` under its token, locked (SKIP LOCKED), get
   ``claimed_at`` = now. A row handed out again meanwhile has a new token: an old task message finds nothing.
3. Every 10 s the dispatcher (beat) claims, with a new token, the retries that fell due and the claims older
   than RAPPORT_WEBHOOKS_CLAIM_TIMEOUT_SECONDS (a worker died, the broker was down or lost the message),
   more than a batch's hard time limit: a running batch is never handed out twice.
4. The POSTs happen outside any transaction, each outcome recorded under the same token: 2xx is delivered;
   anything else (3xx included: no redirect is followed, 4xx, 5xx, a timeout, a refused or dropped connection)
   counts an attempt and waits RAPPORT_WEBHOOKS_RETRY_DELAYS (±20 % jitter) or, after the last, fails. An https://
   receiver whose certificate does not verify is such a failure (nothing is sent); an endpoint whose secret no key
   opens (crm.encryption) fails its deliveries at once, unsent: no retry could sign them.
A receiver may still see one webhook-id twice (it answered after our timeout, or a worker died after the POST):
that is why the id is stable, and Standard Webhooks receivers drop repeats by it.
"""

from __future__ import annotations

import http.client
import logging
import random
import secrets
import socket
import ssl
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import encryption
from crm.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from crm.webhooks import addresses, signing
from crm.webhooks.services import DISABLED_FAILING

log = logging.getLogger(__name__)

# Deliveries per task message: one endpoint's batch shares a keep-alive connection.
DELIVER_BATCH = 100
# Rows claimed per dispatcher transaction, and transactions per run (a backlog drains over several runs).
DISPATCH_BATCH = 500
MAX_BATCHES_PER_RUN = 20
# A batch starts no new POST after this long and hands the rest back (below the task's 60 s soft limit: ten
# receivers each taking 10 s to answer do not make it overrun).
BATCH_BUDGET_SECONDS = 30
# What a batch reads of an answer: enough to reuse the connection; the body itself is not kept.
MAX_RESPONSE_BYTES = 64 * 1024
PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0.2}
JITTER = 0.2

EnqueueBatch = Callable[[list[int], str], object]


def _default_enqueue(ids: list[int], claim: str) -> object:
    from crm.tasks import deliver_webhooks

    return deliver_webhooks.apply_async((ids, claim), retry=True, retry_policy=PUBLISH_RETRY)


def enqueue_claimed(ids: list[int], claim: str, enqueue: EnqueueBatch | None = None) -> None:
    """Hand claimed deliveries to the workers, DELIVER_BATCH per message. A broker that cannot be reached loses
    nothing: the claims go stale and the dispatcher hands them out again."""
    enqueue = enqueue or _default_enqueue
    for start in range(0, len(ids), DELIVER_BATCH):
        try:
            enqueue(ids[start : start + DELIVER_BATCH], claim)
        except Exception:
            log.exception("could not enqueue %d webhook deliveries; re-queued after the claim timeout", len(ids))
            return


@transaction.atomic
def webhooks_claim(*, now: datetime | None = None, limit: int = DISPATCH_BATCH) -> tuple[list[int], str]:
    """Claim up to limit deliveries: retries due now (of enabled endpoints) and stale claims; return their ids,
    grouped by endpoint, and the claim token. SKIP LOCKED: dispatchers and batches never wait on each other."""
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.RAPPORT_WEBHOOKS_CLAIM_TIMEOUT_SECONDS)
    due = Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=DeliveryStatus.SENDING, claimed_at__lt=stale_before
    )
    rows = list(
        WebhookDelivery.objects.select_for_update(skip_locked=True)
        .filter(due, endpoint__enabled=True)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", "endpoint_id")[:limit]
    )
    if not rows:
        return [], ""
    claim = secrets.token_hex(8)
    ids = [pk for pk, _endpoint in rows]
    WebhookDelivery.objects.filter(pk__in=ids).update(
        status=DeliveryStatus.SENDING, claim=claim, claimed_at=now, updated_at=now
    )
    by_endpoint: dict[int, list[int]] = defaultdict(list)
    for pk, endpoint_id in rows:
        by_endpoint[endpoint_id].append(pk)
    return [pk for group in by_endpoint.values() for pk in group], claim


def _enqueue_by_endpoint(ids: list[int], claim: str, enqueue: EnqueueBatch | None) -> None:
    # ids come grouped by endpoint: cut into batches that each hold one endpoint where possible.
    endpoints = dict(WebhookDelivery.objects.filter(pk__in=ids).values_list("pk", "endpoint_id"))
    groups: dict[int, list[int]] = defaultdict(list)
    for pk in ids:
        groups[endpoints.get(pk, 0)].append(pk)
    for group in groups.values():
        enqueue_claimed(group, claim, enqueue)


@transaction.atomic
def webhook_endpoints_disable_failing(*, now: datetime | None = None) -> list[int]:
    """Disable the endpoints whose every attempt failed for RAPPORT_WEBHOOKS_DISABLE_AFTER_DAYS; their managers
    see it on the webhooks screen. Their deliveries wait (pending) until a manager enables the endpoint again."""
    now = now or timezone.now()
    since = now - timedelta(days=settings.RAPPORT_WEBHOOKS_DISABLE_AFTER_DAYS)
    failing = list(
        WebhookEndpoint.objects.select_for_update(skip_locked=True)
        .filter(enabled=True, failing_since__lte=since)
        .values_list("pk", flat=True)
    )
    if failing:
        WebhookEndpoint.objects.filter(pk__in=failing).update(
            enabled=False, disabled_at=now, disabled_reason=DISABLED_FAILING, updated_at=now
        )
        log.warning("disabled %d webhook endpoints failing since %s or earlier", len(failing), since)
    return failing


def webhooks_dispatch(*, enqueue: EnqueueBatch | None = None, now: datetime | None = None) -> int:
    """Every 10 s (beat): disable endpoints failing for days, then claim what is due batch by batch and, after
    each claim commits, enqueue it. Returns how many deliveries were handed out."""
    webhook_endpoints_disable_failing(now=now)
    total = 0
    for _batch in range(MAX_BATCHES_PER_RUN):
        ids, claim = webhooks_claim(now=now)
        if ids:
            transaction.on_commit(partial(_enqueue_by_endpoint, ids, claim, enqueue), robust=True)
        total += len(ids)
        if len(ids) < DISPATCH_BATCH:
            break
    return total


@transaction.atomic
def _start(ids: list[int], claim: str, now: datetime) -> list[WebhookDelivery]:
    """The batch's rows still under its claim, with their endpoints, stamped as started now (the claim timeout
    counts from here). Only the deliveries are locked (FOR UPDATE OF), never their endpoint."""
    rows = list(
        WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(pk__in=ids, status=DeliveryStatus.SENDING, claim=claim)
        .select_related("endpoint")
        .order_by("pk")
    )
    if rows:
        WebhookDelivery.objects.filter(pk__in=[row.pk for row in rows]).update(claimed_at=now)
    return rows


class _Unreachable(Exception):
    """The endpoint did not answer at all (refused, timed out, dropped): its batch's later deliveries wait."""


def _post(
    conn: http.client.HTTPConnection, target: addresses.Target, delivery: WebhookDelivery, secret: str
) -> tuple[http.client.HTTPConnection, int]:
    """POST one delivery on conn (reconnecting once when a kept-alive connection was closed by the receiver
    before it read the request); returns the connection to go on with and the status code."""
    body = signing.body_of(delivery.payload)
    for attempt in (1, 2):
        headers = signing.headers(secret=secret, message_id=delivery.message_id, timestamp=int(time.time()), body=body)
        reused = conn.sock is not None
        try:
            conn.request("POST", target.path, body=body, headers=headers)
            response = conn.getresponse()
            if response.length is not None and response.length <= MAX_RESPONSE_BYTES and not response.will_close:
                response.read()  # the whole (short) answer: the connection carries the next POST
            else:
                response.read(MAX_RESPONSE_BYTES)  # long, chunked, or closing: read a little and hang up
                conn.close()
            return conn, response.status
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as exc:
            conn.close()
            if reused and attempt == 1:
                continue  # a kept-alive connection the receiver had closed meanwhile: once more, fresh
            raise _Unreachable(_describe(exc)) from exc
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise _Unreachable(_describe(exc)) from exc
    raise AssertionError("unreachable")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        # "self-signed certificate", "unable to get local issuer certificate", "Hostname mismatch, …"
        return f"TLS certificate not trusted: {exc.verify_message}"[:300]
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, http.client.RemoteDisconnected | ConnectionResetError | BrokenPipeError):
        return "connection closed without an answer"
    return f"{type(exc).__name__}: {exc}"[:300]


Outcome = tuple[int | None, str]  # (status code or None, error)


def _retry_at(attempts: int, now: datetime) -> datetime | None:
    """When attempt number attempts+1 is due, or None after the last."""
    delays = settings.RAPPORT_WEBHOOKS_RETRY_DELAYS
    if attempts > len(delays):
        return None
    return now + timedelta(seconds=delays[attempts - 1] * random.uniform(1 - JITTER, 1 + JITTER))


def _record(
    endpoint: WebhookEndpoint,
    outcomes: dict[WebhookDelivery, Outcome],
    claim: str,
    now: datetime,
    *,
    give_up: bool = False,
) -> Counter:
    """Write each outcome (under the claim: a row handed out again is not overwritten) and the endpoint's health.
    give_up: a failure no retry can mend, failed at once."""
    counts: Counter = Counter()
    mine = Q(status=DeliveryStatus.SENDING, claim=claim)
    delivered: dict[int, list[int]] = defaultdict(list)
    with transaction.atomic():
        for delivery, (code, error) in outcomes.items():
            if code is not None and 200 <= code < 300:
                delivered[code].append(delivery.pk)
                continue
            attempts = delivery.attempts + 1
            retry = None if give_up else _retry_at(attempts, now)
            WebhookDelivery.objects.filter(mine, pk=delivery.pk).update(
                status=DeliveryStatus.PENDING if retry else DeliveryStatus.FAILED,
                attempts=attempts,
                next_attempt_at=retry or now,
                last_attempt_at=now,
                response_status=code,
                error=error[:300],
                claim="",
                updated_at=now,
            )
            counts["retrying" if retry else "failed"] += 1
        for code, ids in delivered.items():
            WebhookDelivery.objects.filter(mine, pk__in=ids).update(
                status=DeliveryStatus.DELIVERED,
                attempts=F("attempts") + 1,
                last_attempt_at=now,
                delivered_at=now,
                response_status=code,
                error="",
                claim="",
                updated_at=now,
            )
            counts["delivered"] += len(ids)
        # The endpoint's health, written only when it changes (as the batch's copy of the row says).
        if delivered and endpoint.failing_since is not None:
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=None)
        elif outcomes and not delivered and endpoint.failing_since is None:
            WebhookEndpoint.objects.filter(pk=endpoint.pk, failing_since__isnull=True).update(failing_since=now)
    return counts


def _hand_back(ids: list[int], claim: str) -> None:
    # Not tried (the batch's time was up, or the endpoint is disabled): due again as they were, no attempt counted.
    WebhookDelivery.objects.filter(pk__in=ids, status=DeliveryStatus.SENDING, claim=claim).update(
        status=DeliveryStatus.PENDING, claim="", updated_at=timezone.now()
    )


def webhooks_deliver(*, delivery_ids: list[int], claim: str) -> Counter:
    """Send a claimed batch (see the module's docstring); returns how many were delivered, retrying, failed,
    handed back. Idempotent: a batch run twice finds its rows no longer under its claim and sends nothing."""
    started_at = time.monotonic()
    rows = _start(delivery_ids, claim, timezone.now())
    counts: Counter = Counter()
    by_endpoint: dict[int, list[WebhookDelivery]] = defaultdict(list)
    for row in rows:
        by_endpoint[row.endpoint_id].append(row)
    timeout = settings.RAPPORT_WEBHOOKS_TIMEOUT_SECONDS
    for deliveries in by_endpoint.values():
        endpoint = deliveries[0].endpoint
        if not endpoint.enabled:
            _hand_back([d.pk for d in deliveries], claim)
            counts["handed_back"] += len(deliveries)
            continue
        outcomes: dict[WebhookDelivery, Outcome] = {}
        try:
            secret = endpoint.secret
        except encryption.Undecryptable:
            # Nothing can be signed: failed at once (a retry would fail alike); a manager rotates the secret, or
            # the operator puts the missing key back and retries from the log.
            log.error("webhook endpoint %s: its secret %s", endpoint.pk, encryption.UNDECRYPTABLE)
            error = _("not sent: this webhook's secret cannot be decrypted (rotate the secret, then retry)")
            counts += _record(endpoint, dict.fromkeys(deliveries, (None, error)), claim, timezone.now(), give_up=True)
            continue
        try:
            target = addresses.target(endpoint.url)  # again at every batch: DNS can change
        except addresses.Refused as exc:
            outcomes = {delivery: (None, str(exc)) for delivery in deliveries}
            counts += _record(endpoint, outcomes, claim, timezone.now())
            continue
        conn = addresses.connection(target, timeout=timeout)
        unreachable = ""
        left: list[int] = []
        for delivery in deliveries:
            if unreachable:
                outcomes[delivery] = (None, _("not tried: %(error)s just before") % {"error": unreachable})
                continue
            if time.monotonic() - started_at > BATCH_BUDGET_SECONDS:
                left.append(delivery.pk)
                continue
            try:
                conn, code = _post(conn, target, delivery, secret)
                error = "" if 200 <= code < 300 else f"HTTP {code}"
                outcomes[delivery] = (code, error)
            except _Unreachable as exc:
                unreachable = str(exc)
                outcomes[delivery] = (None, unreachable)
        conn.close()
        counts += _record(endpoint, outcomes, claim, timezone.now())
        if left:
            _hand_back(left, claim)
            counts["handed_back"] += len(left)
    return counts


# Delivered and failed deliveries older than this leave the log (nightly); pending ones stay however old.
KEEP_DAYS_DEFAULT = 30
DROP_BATCH = 10_000


def webhook_deliveries_drop_old(*, now: datetime | None = None) -> int:
    """Nightly (beat): drop the delivered and failed deliveries older than RAPPORT_WEBHOOKS_KEEP_DAYS (30), in
    batches by id. A scan of the table each batch (no index on created_at): a night's job, not a request's."""
    keep_days = getattr(settings, "RAPPORT_WEBHOOKS_KEEP_DAYS", KEEP_DAYS_DEFAULT)
    old = WebhookDelivery.objects.filter(
        status__in=[DeliveryStatus.DELIVERED, DeliveryStatus.FAILED],
        created_at__lt=(now or timezone.now()) - timedelta(days=keep_days),
    )
    dropped = 0
    while batch := list(old.order_by("pk").values_list("pk", flat=True)[:DROP_BATCH]):
        dropped += WebhookDelivery.objects.filter(pk__in=batch).delete()[0]
    return dropped
