"""No server-side request forgery: a webhook URL must be http(s) and its host must resolve to public
addresses only (unless RAPPORT_WEBHOOKS_ALLOW_PRIVATE), checked at registration and again before every batch
(DNS can change); the POST then connects to the address that was checked, never resolves again, sends through
no proxy, and follows no redirect (http.client does neither)."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _


class Refused(Exception):
    """The URL may not be called; the message says why, for the field and the delivery log."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the checked IP the connection goes to


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    # is_global is False for private, loopback, link-local, shared (100.64/10), reserved and unspecified
    # ranges; multicast is refused too (some multicast ranges count as global).
    return ip.is_global and not ip.is_multicast


def _parts(url: str) -> tuple[str, str, int, str]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise Refused(_("Enter a valid URL.")) from exc
    if parts.scheme not in ("http", "https"):
        raise Refused(_("A webhook URL must start with http:// or https://."))
    if not parts.hostname:
        raise Refused(_("Enter a valid URL."))
    if parts.username or parts.password:
        raise Refused(_("A webhook URL may not hold a user name or password."))
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path


def target(url: str) -> Target:
    """Where a POST to url goes: its parts and the first address its host resolves to. Refused for a URL that is
    not http(s), a host that does not resolve, or one with any address that is not public (any: an attacker's
    name may list a public and a private one) unless private addresses are allowed."""
    scheme, host, port, path = _parts(url)
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError) as exc:
        raise Refused(_("The host %(host)s could not be found.") % {"host": host}) from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    if not addresses:
        raise Refused(_("The host %(host)s could not be found.") % {"host": host})
    if not settings.RAPPORT_WEBHOOKS_ALLOW_PRIVATE:
        private = [address for address in addresses if not is_public(address)]
        if private:
            raise Refused(
                _("%(host)s is on a private or local network (%(address)s): webhooks go to public addresses only.")
                % {"host": host, "address": private[0]}
            )
    return Target(scheme, host, port, path, addresses[0])


def tls_context() -> ssl.SSLContext:
    """Certificates verified, host name included, against RAPPORT_WEBHOOKS_CA_BUNDLE or else the system's trust
    store; never without verification."""
    return ssl.create_default_context(cafile=settings.RAPPORT_WEBHOOKS_CA_BUNDLE or None)


def connection(target: Target, *, timeout: float) -> http.client.HTTPConnection:
    """A keep-alive connection to target's checked address; TLS is still verified for its host name (SNI)."""
    if target.scheme == "https":
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            target.host, target.port, timeout=timeout, context=tls_context()
        )
    else:
        conn = http.client.HTTPConnection(target.host, target.port, timeout=timeout)

    def pinned(_address, timeout=timeout, source_address=None):
        return socket.create_connection((target.address, target.port), timeout, source_address)

    conn._create_connection = pinned  # type: ignore[attr-defined]  # connect to the checked address only
    return conn
