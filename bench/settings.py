"""The application's settings, serving also the reference endpoints of bench/reference.py, and the bench's app
(bench/apps.py: BENCH_METRICS_RECEIVERS=off disconnects the metrics receivers)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
INSTALLED_APPS = [*INSTALLED_APPS, "bench.apps.BenchConfig"]  # noqa: F405 - after personalization: its ready() first
