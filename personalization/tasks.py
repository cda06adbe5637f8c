"""Celery tasks: thin wrappers that take ids and call one service (touches, gifts); idempotent."""

from __future__ import annotations

import threading
from collections import Counter

from celery import shared_task
from django.core.mail import get_connection

from personalization.gifts.services import delights_expire
from personalization.gifts.services.planner import delights_plan_nightly
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


@shared_task(name="personalization.send_touches", ignore_result=True)
def send_touches(touch_ids: list[int]) -> dict[str, int]:
    """Send a batch of claimed touches (the dispatcher's, or a manager's send-now: a batch of one). Retries of
    mail errors live in the outbox rows (see touches.send); a redelivered batch finds its sent touches done and
    skips them."""
    outcomes = send.touches_send(touch_ids=touch_ids, connection=_mail_connection())
    return dict(Counter(str(outcome) for outcome in outcomes.values()))


@shared_task(name="personalization.plan_touches", ignore_result=True)
def plan_touches() -> int:
    """Hourly (beat): plan greetings and win-backs for each property whose local night has come."""
    return planning.touches_plan()


@shared_task(name="personalization.plan_delights")
def plan_delights() -> int:
    """Nightly: expire delights whose occasion has passed, then plan the coming birthdays, anniversaries
    and absences (set-based; running it twice adds nothing). Returns how many delights were suggested."""
    delights_expire()
    return sum(delights_plan_nightly().values())
