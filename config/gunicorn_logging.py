"""gunicorn's access log without guests' data: `--logger-class config.gunicorn_logging.GuestSafeLogger`.

A request line names what was asked for, and on Rapport that can be a guest: the API's lookup
(`/api/v1/customers/?q=Zhang Wei`, an email, phone digits) and the guests' signed links
(`/t/feedback/<token>/`, `/t/unsubscribe/<token>/`), which also come back as the Referer of the page's own
POST. This logger keeps gunicorn's formats and atoms, with every query string dropped and every signed
value (a path segment holding Django signing's ":" separators) replaced by "[signed]", in the request line,
the path, the query and the referer atoms alike."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from gunicorn import glogging

SIGNED_SEGMENT = re.compile(r"(?<=/)[^/]*:[^/]*:[^/]*(?=/|$)")


def redact_path(path: str) -> str:
    return SIGNED_SEGMENT.sub("[signed]", path)


def redact_url(url: str) -> str:
    """A full URL or a path, without its query and with its signed values hidden."""
    if not url or url == "-":
        return url
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, redact_path(parts.path), "", ""))


class GuestSafeLogger(glogging.Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        path = redact_path(environ.get("PATH_INFO") or "")
        atoms["U"] = path
        atoms["q"] = ""
        atoms["r"] = f"{environ.get('REQUEST_METHOD')} {path} {environ.get('SERVER_PROTOCOL')}"
        atoms["f"] = redact_url(atoms.get("f", "-"))
        if "{referer}i" in atoms:
            atoms["{referer}i"] = redact_url(atoms["{referer}i"])
        return atoms
