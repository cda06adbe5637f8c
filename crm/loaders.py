"""PostgreSQL's timestamps read by psycopg's C loader instead of Django's Python one (same values, ~12× less CPU).

Django registers its own loader for `timestamptz` on every connection (`psycopg_any.BaseTzLoader`): a Python
subclass of psycopg's pure-Python loader that parses the text and then replaces the zone. psycopg's C build
(`psycopg[binary]`) has a loader of its own, ~0.7 µs a value against ~9 µs, that Django's cannot use: a C class
cannot be subclassed. A lookup page reads ~50 timestamps (the winners' rows, their ids in other systems): 0.2–0.35 ms
less CPU a lookup at 100,000 guests (docs/benchmarks.md, "Ten million guests without reading every holder").

With USE_TZ, Django sets every session's TimeZone to UTC and wants aware UTC datetimes back; the C loader converts
to the session's zone, UTC, with `datetime.timezone.utc` (psycopg's `_tz.get_tzinfo`) — the very values Django's
loader gives. The loader here wraps the C one and carries Django's `timezone` attribute, which Django compares on
every cursor to decide whether to register its own again (`DatabaseWrapper.create_cursor`). Without USE_TZ, with a
per-database TIME_ZONE, or without the C build, nothing is registered and Django's loader stays.
"""

from __future__ import annotations

import datetime

from django.db.backends.signals import connection_created
from psycopg import postgres
from psycopg.adapt import Loader
from psycopg.pq import Format

TIMESTAMPTZ = "timestamptz"


def _c_loader() -> type[Loader] | None:
    """psycopg's C loader of timestamptz text, or None without the C build."""
    loader = postgres.adapters.get_loader(postgres.types[TIMESTAMPTZ].oid, Format.TEXT)
    return loader if loader is not None and loader.__module__.startswith(("psycopg_binary", "psycopg_c")) else None


_C_LOADER = _c_loader()


class UtcTimestamptzLoader(Loader):
    """psycopg's C loader of timestamptz, seen by Django as its own loader for UTC."""

    timezone = datetime.UTC

    def __init__(self, oid: int, context=None) -> None:
        super().__init__(oid, context)
        self.load = _C_LOADER(oid, context).load  # the C method itself: no Python frame a value

    def load(self, data):  # replaced in __init__; Loader declares it abstract
        raise NotImplementedError


def use_c_timestamps(sender, connection, **kwargs) -> None:
    """connection_created: on a PostgreSQL connection whose values Django wants in UTC, read timestamps in C."""
    if connection.vendor != "postgresql" or _C_LOADER is None or connection.timezone is not datetime.UTC:
        return
    connection.connection.adapters.register_loader(TIMESTAMPTZ, UtcTimestamptzLoader)


def connect() -> None:
    connection_created.connect(use_c_timestamps, dispatch_uid="crm.loaders.use_c_timestamps")
