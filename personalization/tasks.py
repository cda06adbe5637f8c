"""Celery tasks: thin wrappers that take ids and call one service (touches, gifts, metrics); idempotent."""

from __future__ import annotations

import threading
from collections import Counter

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import get_connection

from personalization.gifts.services import delights_expire
from personalization.gifts.services.planner import delights_plan_nightly
from personalization.metrics.services.contacts import metrics_contacts_count_all
from personalization.touches.services import dispatch, planning, send


@shared_task(name="personalization.dispatch_touches", ignore_result=True)
def dispatch_touches() -> int:
    """Every minute (beat): claim due touches and enqueue send_touches for each batch of them."""
    return dispatch.touches_dispatch()


# One mail connection per worker process (thread), kept open between batches: connecting, EHLO and
# QUIT for every message cost more than the message itself.
_mail = threading.local()


def _mail_connection():
    if getattr(_mail, "connection", None) is None:
        _mail.connection = get_connection()
    return _mail.connection


# A send batch's time limits, from the claim timeout (300 s by default: 225 s soft, 270 s hard). The batch
# stops itself at half of it and hands back what it has not started (touches.services.send, step 5); the
# soft limit catches a mail server that hangs inside one message past that (the batch hands back the
# touches after it, and the one in flight keeps its claim, as if the worker had died); the hard limit
# kills the worker before the claim times out, after which the dispatcher may give the same touches to
# another worker: two workers never hold one touch's attempt at once.
SEND_SOFT_TIME_LIMIT = settings.RAPPORT_TOUCH_CLAIM_TIMEOUT_SECONDS * 3 // 4
SEND_TIME_LIMIT = settings.RAPPORT_TOUCH_CLAIM_TIMEOUT_SECONDS * 9 // 10
# The planners: 12 s (touches) and 33–38 s (50 gift rules) over a million customers (docs/benchmarks.md);
# each commits per property or rule, so a run stopped by a limit loses only the unit in progress, which
# the next run plans. 30 minutes is room for ~50x that, and ends an hourly run before the next starts.
PLAN_SOFT_TIME_LIMIT = 30 * 60
PLAN_TIME_LIMIT = 35 * 60


@shared_task(
    name="personalization.send_touches",
    ignore_result=True,
    soft_time_limit=SEND_SOFT_TIME_LIMIT,
    time_limit=SEND_TIME_LIMIT,
)
def send_touches(touch_ids: list[int]) -> dict[str, int]:
    """Send a batch of claimed touches (the dispatcher's, or a manager's send-now: a batch of one). Retries of
    mail errors live in the outbox rows (see touches.send); a redelivered batch finds its sent touches done and
    skips them."""
    try:
        outcomes = send.touches_send(touch_ids=touch_ids, connection=_mail_connection())
    except SoftTimeLimitExceeded:
        _mail.connection = None  # stopped mid-conversation: the next batch starts a new session
        raise
    return dict(Counter(str(outcome) for outcome in outcomes.values()))


@shared_task(
    name="personalization.plan_touches",
    ignore_result=True,
    soft_time_limit=PLAN_SOFT_TIME_LIMIT,
    time_limit=PLAN_TIME_LIMIT,
)
def plan_touches() -> int:
    """Hourly (beat): plan greetings and win-backs for each property whose local night has come."""
    return planning.touches_plan()


@shared_task(name="personalization.plan_delights", soft_time_limit=PLAN_SOFT_TIME_LIMIT, time_limit=PLAN_TIME_LIMIT)
def plan_delights() -> int:
    """Nightly: expire delights whose occasion has passed, then plan the coming birthdays, anniversaries
    and absences (set-based; running it twice adds nothing). Returns how many delights were suggested."""
    delights_expire()
    return sum(delights_plan_nightly().values())


# The contacts' fold, every 10 s: about a millisecond a contact on PostgreSQL, so a run counts tens of thousands within
# the default limits (60 s soft, 90 s hard); it commits batch by batch, so a run stopped by them keeps what it counted
# and the next goes on from there.
@shared_task(name="personalization.metrics_count_contacts", ignore_result=True, soft_time_limit=60, time_limit=90)
def metrics_count_contacts() -> int:
    """Every 10 s (beat): count the contacts logged since the last fold into the managers' day counters
    (personalization.metrics.services.contacts). Returns how many were counted."""
    return metrics_contacts_count_all()
