"""Liveness and readiness probes for load balancers, orchestrators and the workers' health checks.

- ``/health/``: the process is up (touches nothing).
- ``/ready/``: what the web needs to serve — the database. The broker's state is reported in the body
  (``checks.broker``) but never fails readiness: the web serves every screen and API call while the
  broker is down (touches wait in the outbox and the dispatcher hands them out when it returns), and a
  load balancer that took every web node out over a background outage would lose the front desk.
- ``/ready/broker/``: the broker alone, 200 or 503, for the workers' and beat's health checks.

Each probe answers in well under a second: the broker is asked once with a short timeout
(BROKER_TIMEOUT_SECONDS), never retried, so a probe cannot hold a sync web worker for long.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from kombu import Connection

# One try, this long at most: a probe every few seconds must not tie up a sync worker (issue 11, finding 9:
# 2 s per probe cut throughput from 85 to 54 req/s while Redis was down).
BROKER_TIMEOUT_SECONDS = 0.5


def health(request: HttpRequest) -> JsonResponse:
    """200 while the process is up; touches nothing else."""
    return JsonResponse({"status": "ok"})


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # any driver error means "not ready"
        return False


def broker_ok(timeout: float = BROKER_TIMEOUT_SECONDS) -> bool:
    """Does the Celery broker accept a connection within timeout seconds (one try)?"""
    try:
        with Connection(
            settings.CELERY_BROKER_URL,
            transport_options={
                **getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}),
                # redis-py's own connect and socket timeouts; kombu's connect_timeout covers amqp.
                "socket_connect_timeout": timeout,
                "socket_timeout": timeout,
            },
            connect_timeout=timeout,
        ) as conn:
            conn.ensure_connection(max_retries=0, timeout=timeout)
        return True
    except Exception:  # refused, DNS, timeout: all "down"
        return False


def ready(request: HttpRequest) -> JsonResponse:
    """200 when the database answers, else 503; the broker's state is in the body and never fails it."""
    database = _database_ok()
    checks = {"database": database, "broker": broker_ok()}
    return JsonResponse(
        {"status": "ok" if database else "unavailable", "checks": checks}, status=200 if database else 503
    )


def ready_broker(request: HttpRequest) -> JsonResponse:
    """200 when the Celery broker answers, else 503: for the workers' and beat's health checks."""
    up = broker_ok()
    return JsonResponse({"status": "ok" if up else "unavailable", "checks": {"broker": up}}, status=200 if up else 503)
