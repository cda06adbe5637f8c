"""The Celery app: settings come from Django settings (CELERY_*), tasks are autodiscovered."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("rapport")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="rapport.ping")
def ping() -> str:
    """Answer "pong": proves a worker is consuming from the broker."""
    return "pong"
