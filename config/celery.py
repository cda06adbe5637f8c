"""The Celery app: settings come from Django settings (CELERY_*), tasks are autodiscovered.

Database connections in workers: ``CELERY_DB_REUSE_MAX`` keeps a worker's connection between tasks
(4x throughput, NOTES.md), and with it Celery's Django fixup no longer checks the connection before a
task. After a PostgreSQL restart the first task of every worker process then failed on the dead
connection ("server closed the connection unexpectedly"), however late it came (issue 11, finding 11).
So before each task, as Django does before each request (``request_started``), ``close_old_connections``
drops a connection that is unusable, past ``CONN_MAX_AGE`` or left in a bad state, and arms
``CONN_HEALTH_CHECKS``: the task's first query checks the kept connection (one ``SELECT 1`` round trip,
only on its first use after the task starts) and reconnects when it is dead.
"""

from __future__ import annotations

import os
from pathlib import Path

from celery import Celery
from celery.signals import task_prerun

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


@task_prerun.connect
def _check_database_connections(sender=None, task=None, **kwargs) -> None:
    """Before each task: close dead or old database connections, and health-check the kept one on first use.
    Not for a task run eagerly, inside the caller's own transaction (a test, CELERY_TASK_ALWAYS_EAGER)."""
    if task is not None and getattr(task.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()


@app.task(name="rapport.ping")
def ping() -> str:
    """Answer "pong": proves a worker is consuming from the broker."""
    return "pong"


@app.task(name="rapport.ping_database")
def ping_database() -> str:
    """Answer "pong" after a round trip to the database: proves a worker reaches PostgreSQL (a worker's
    health check, and the fault test of a database restart under an idle worker)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "pong"
