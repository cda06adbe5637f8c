"""The application's settings, serving also the reference endpoints of bench/reference.py."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
