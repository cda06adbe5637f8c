"""Reads on a streaming replica (README "Configuration": DATABASE_REPLICA_URL; docs/scaling.md).

Only when DATABASE_REPLICA_URL is set: settings then add the ``replica`` alias, ``ReplicaRouter`` and
``ReplicaReads`` (without it there is no second alias, router or middleware, and nothing here runs).

Which reads: the guest data (the ``crm`` and ``personalization`` apps) read by the views in REPLICA_VIEWS —
the lookup, the brief and the guest card, the arrivals board, the metrics. Everything else reads the
primary: other views, Celery tasks, management commands, and sign-in data in every view (users, sessions,
tokens, lockouts, second factors: a token or session made a moment ago works at once). Every write goes to
the primary, and so does every read inside a transaction (a service that reads, then writes, reads what it
is about to change, and ``select_for_update`` cannot run on a standby). Hand-written SQL reads through
``connections[router.db_for_read(Model)]`` to take the same road.

Reading your own writes: for RAPPORT_REPLICA_STICKY_SECONDS after a request that may write (any POST, PUT,
PATCH or DELETE but the lookup screen's POST of what is typed), the same client reads the primary. The mark
is kept in Django's cache under a hash of the request's credential — its ``Authorization`` header (one
token per user) or its session cookie — not in a cookie of its own: an API client that keeps no cookies
(an integration, curl) reads its own writes too. Every web process must therefore see the same cache
(CACHE_URL=redis://…; settings refuse to start otherwise, DEBUG aside), the one the API's rate limits are
already counted in.
"""

from __future__ import annotations

import hashlib
from contextvars import ContextVar

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
# View name (URL name, with its namespace) → the methods that only read and may be served by the replica.
REPLICA_VIEWS: dict[str, frozenset[str]] = {
    "customer-list": SAFE,  # the lookup API, GET /api/v1/customers/?q=… (its POST creates a guest)
    "crm:home": SAFE | {"POST"},  # the lookup screen: what is typed comes in a POST body, to stay out of URLs
    "customer-brief": SAFE,
    "card:customer": SAFE,  # the guest card, with the brief
    "arrival-list": SAFE,
    "card:arrivals": SAFE,
    "metrics": SAFE,
    "metrics-staff": SAFE,
    "metrics:dashboard": SAFE,
    "metrics:rows": SAFE,
}
# The apps whose rows the replica serves; Django's and the libraries' (auth, sessions, tokens, axes, otp) stay
# on the primary.
GUEST_DATA_APPS = frozenset({"crm", "personalization"})

_on_replica: ContextVar[bool] = ContextVar("rapport_reads_on_replica", default=False)


class ReplicaRouter:
    """Guest data read by a REPLICA_VIEWS request outside a transaction: the replica; everything else: the
    primary."""

    def db_for_read(self, model, **hints) -> str:
        if (
            _on_replica.get()
            and model._meta.app_label in GUEST_DATA_APPS
            and not connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # one database: the replica holds the primary's rows

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS


def _client_key(request) -> str | None:
    """The cache key of the request's credential (token or session), hashed: the cache holds no secret."""
    credential = request.headers.get("Authorization") or request.COOKIES.get(settings.SESSION_COOKIE_NAME)
    if not credential:
        return None
    return "replica-sticky:" + hashlib.sha256(credential.encode()).hexdigest()


class ReplicaReads:
    """Serves a REPLICA_VIEWS request's reads from the replica, unless its client wrote in the last
    RAPPORT_REPLICA_STICKY_SECONDS; marks a client that may have written."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            response = self.get_response(request)
        finally:
            _on_replica.set(False)
        match = request.resolver_match
        reads_only = match is not None and request.method in REPLICA_VIEWS.get(match.view_name, ())
        if request.method not in SAFE and not reads_only and (key := _client_key(request)):
            cache.set(key, True, timeout=settings.RAPPORT_REPLICA_STICKY_SECONDS)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs) -> None:
        if request.method not in REPLICA_VIEWS.get(request.resolver_match.view_name, ()):
            return
        key = _client_key(request)
        if key is None or not cache.get(key):
            _on_replica.set(True)
