"""The client's address, as the lockout and the per-address rate limit both see it."""

from __future__ import annotations

from django.conf import settings


def client_address(request) -> str | None:
    """REMOTE_ADDR, unless RAPPORT_TRUSTED_PROXY_COUNT proxies are in front: then the address the
    outermost trusted proxy saw, i.e. the Nth entry of X-Forwarded-For from the right (the same rule as
    DRF's NUM_PROXIES, so both count the same client). Without trusted proxies a forged header changes
    nothing: a client that sends a new X-Forwarded-For on every guess is still one address."""
    meta = request.META
    proxies = settings.RAPPORT_TRUSTED_PROXY_COUNT
    forwarded = meta.get("HTTP_X_FORWARDED_FOR")
    if proxies <= 0 or not forwarded:
        return meta.get("REMOTE_ADDR")
    addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
    if not addresses:
        return meta.get("REMOTE_ADDR")
    return addresses[-min(proxies, len(addresses))]
