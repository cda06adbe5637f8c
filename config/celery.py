"""The Celery app: settings come from Django settings (CELERY_*), tasks are autodiscovered."""

from __future__ import annotations

import os
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("rapport")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _make_broker_folders(sender: Celery, source, **kwargs) -> None:
    """The embedded filesystem broker reads and writes folders that kombu does not make: made here, when a
    process first reads the configuration (the worker and beat at start, the web process before its first
    publish), not when the settings are imported."""
    if not str(source.broker_url or "").startswith("filesystem://"):
        return
    options = source.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


@app.task(name="rapport.ping")
def ping() -> str:
    """Answer "pong": proves a worker is consuming from the broker."""
    return "pong"
