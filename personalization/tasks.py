"""Celery tasks of personalization: thin, idempotent, the work is in the services."""

from __future__ import annotations

from celery import shared_task

from personalization.gifts.planner import delights_plan_nightly
from personalization.gifts.services import delights_expire


@shared_task(name="personalization.plan_delights")
def plan_delights() -> int:
    """Nightly: expire delights whose occasion has passed, then plan the coming birthdays, anniversaries
    and absences (set-based; running it twice adds nothing). Returns how many delights were suggested."""
    delights_expire()
    return sum(delights_plan_nightly().values())
