"""API rate limits (DRF throttles): per token, and per address for requests without one.

The rate is read from the settings at each request, not once when the class is defined as DRF's
SimpleRateThrottle does, so a changed REST_FRAMEWORK setting (and a test's override_settings) applies
at once. Counts live in the default cache (CACHES): per process with the local-memory default."""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class _RateFromSettings:
    scope: str

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class PerToken(_RateFromSettings, UserRateThrottle):
    """Requests with a token or a session, counted per user (a user has one token)."""

    scope = "token"

    def allow_request(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return True  # PerAddress counts these
        return super().allow_request(request, view)


class PerAddress(_RateFromSettings, AnonRateThrottle):
    """Requests without credentials (the token endpoint, 401s), counted per client address."""

    scope = "address"
