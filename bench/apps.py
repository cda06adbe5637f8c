"""The bench's own app (bench.settings only): with BENCH_METRICS_RECEIVERS=off the metrics receivers of crm's
signals are disconnected, so `bench/run metrics` can time logging a contact with and without its counters."""

from __future__ import annotations

import os

from django.apps import AppConfig

METRICS_RECEIVERS = (
    ("contact_logged", "metrics.contact_logged"),
    ("issue_opened", "metrics.issue_opened"),
    ("issue_answered", "metrics.issue_answered"),
    ("issue_resolved", "metrics.issue_resolved"),
    ("issue_reopened", "metrics.issue_reopened"),
    ("customer_merged", "metrics.customer_merged"),
    ("customer_unmerged", "metrics.customer_unmerged"),
    ("customer_erasing", "metrics.customer_erasing"),
)


class BenchConfig(AppConfig):
    name = "bench"
    label = "bench"

    def ready(self) -> None:
        if os.environ.get("BENCH_METRICS_RECEIVERS") != "off":
            return
        from crm import signals

        for signal, uid in METRICS_RECEIVERS:
            if not getattr(signals, signal).disconnect(dispatch_uid=uid):
                raise RuntimeError(f"no metrics receiver {uid} to disconnect")
