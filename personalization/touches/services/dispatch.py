"""The dispatcher: every minute (celery beat), claim what is due and hand it to the workers."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from personalization.models import Channel, Touch, TouchStatus
from personalization.touches.services.send import SEND_BATCH

log = logging.getLogger(__name__)
# Rows claimed per transaction: the locks are held for one short UPDATE; 500 ids make 10
# send_touches task messages (SEND_BATCH each).
DISPATCH_BATCH = 500
# Batches per run: a backlog drains over several minutes instead of one long run overlapping the next.
MAX_BATCHES_PER_RUN = 20

# Few publish retries: with the broker down the claim simply goes stale and is re-queued later.
PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0.2}

EnqueueBatch = Callable[[list[int]], object]  # up to SEND_BATCH touches (the dispatcher's, or a send-now's one)


def _default_enqueue_batch(touch_ids: list[int]) -> object:
    from personalization.tasks import send_touches

    return send_touches.apply_async((touch_ids,), retry=True, retry_policy=PUBLISH_RETRY)


@transaction.atomic
def touches_claim(*, now: datetime | None = None, limit: int = DISPATCH_BATCH) -> list[int]:
    """Claim up to limit due messages (scheduled → sending) and stale claims; return their ids. Staff tasks
    are never claimed: they wait on the desk's list until someone finishes them.

    SKIP LOCKED lets several dispatchers (or a slow previous run) work side by side without
    waiting on, or double-claiming, each other's rows."""
    now = now or timezone.now()
    due = list(
        Touch.objects.select_for_update(skip_locked=True)
        # Messages only: a staff task is the desk's to do, never sent (see personalization.models.touches).
        .filter(status=TouchStatus.SCHEDULED, channel=Channel.EMAIL, due_at__lte=now)
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    if due:
        Touch.objects.filter(pk__in=due).update(status=TouchStatus.SENDING, claimed_at=now, updated_at=now)
    # A claim older than the timeout belongs to a worker that died (or a message the broker lost).
    stale_before = now - timedelta(seconds=settings.RAPPORT_TOUCH_CLAIM_TIMEOUT_SECONDS)
    stale = list(
        Touch.objects.select_for_update(skip_locked=True)
        .filter(status=TouchStatus.SENDING, claimed_at__lt=stale_before)
        .order_by("pk")
        .values_list("pk", flat=True)[: max(limit - len(due), 0)]
    )
    if stale:
        Touch.objects.filter(pk__in=stale).update(claimed_at=now, updated_at=now)
        log.warning("re-queued %d touches whose claim went stale", len(stale))
    return due + stale


def _enqueue_batches(ids: list[int], enqueue: EnqueueBatch) -> None:
    for start in range(0, len(ids), SEND_BATCH):
        try:
            enqueue(ids[start : start + SEND_BATCH])
        except Exception:  # the broker is down: the claims go stale and are handed out again later
            left = len(ids) - start
            log.exception("could not enqueue %d touches; they will be re-queued after the claim timeout", left)
            return


def touches_dispatch(*, enqueue: EnqueueBatch | None = None, now: datetime | None = None) -> int:
    """Claim due touches batch by batch and, after each claim commits, enqueue send_touches once per
    SEND_BATCH of them."""
    enqueue = enqueue or _default_enqueue_batch
    total = 0
    for _batch in range(MAX_BATCHES_PER_RUN):
        ids = touches_claim(now=now)
        transaction.on_commit(partial(_enqueue_batches, ids, enqueue), robust=True)
        total += len(ids)
        if len(ids) < DISPATCH_BATCH:
            break
    return total
