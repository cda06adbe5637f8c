"""Celery tasks: thin wrappers that take ids and call one service (personalization.touches)."""

from __future__ import annotations

from celery import shared_task

from personalization.touches import dispatch, planner, send


@shared_task(name="personalization.dispatch_touches", ignore_result=True)
def dispatch_touches() -> int:
    """Every minute (beat): claim due touches and enqueue send_touch for each."""
    return dispatch.touches_dispatch()


@shared_task(name="personalization.send_touch", ignore_result=True)
def send_touch(touch_id: int) -> str:
    """Send one claimed touch. Retries of mail errors live in the outbox row (see touches.send)."""
    return str(send.touch_send(touch_id=touch_id))


@shared_task(name="personalization.plan_touches", ignore_result=True)
def plan_touches() -> int:
    """Hourly (beat): plan greetings and win-backs for each property whose local night has come."""
    return planner.touches_plan()
