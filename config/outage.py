"""A database outage, as clients see it: 503 with Retry-After, and one log line per failed request.

When PostgreSQL is down (restarting, failing over, unreachable), every request that needs it raises
``django.db.OperationalError`` or ``InterfaceError`` — in a view, or before it: in the session, the
token lookup, or the staff-language middleware. Django turns an exception anywhere in the middleware
chain into a response right where it happens (before any outer middleware could catch it), calls the
URLconf's ``handler500`` to make that response and logs the whole traceback (about 6 KiB a request,
28 MB in 22 s of outage under load: issue 11, finding 10). So the 500 handler is the one place that
sees every such failure; it answers:

- the API (``/api/``): ``503`` with DRF's error shape ``{"detail": "..."}`` and ``Retry-After``
  (``crm.api_errors`` does the same for the failures DRF catches inside its views);
- screens: a short, translated page saying to try again in a moment, ``503`` with ``Retry-After``,
  rendered without the database (no context processors, no user, no session);

and logs one WARNING line (method, path, the driver's first line), marking the response logged so that
Django adds no traceback. Anything else still gets Django's own 500 page and traceback.
"""

from __future__ import annotations

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views import defaults

log = logging.getLogger("rapport.outage")
DATABASE_ERRORS = (OperationalError, InterfaceError)
# Seconds a client should wait: PostgreSQL restarts in a few; a failover takes longer, and clients ask again.
RETRY_AFTER_SECONDS = 5


def is_database_outage(exc: BaseException | None) -> bool:
    return isinstance(exc, DATABASE_ERRORS)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


def log_outage(request: HttpRequest, exc: BaseException) -> None:
    """The one line a failed request leaves in the log."""
    log.warning("database unavailable: %s %s -> 503 (%s)", request.method, request.path, _first_line(exc))


def outage_detail() -> str:
    return _("The database is not answering. Try again in a moment.")


def api_outage_response(request: HttpRequest, exc: BaseException) -> JsonResponse:
    log_outage(request, exc)
    response = JsonResponse({"detail": outage_detail()}, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response._has_been_logged = True  # Django's own log_response: nothing more to say
    return response


def screen_outage_response(request: HttpRequest, exc: BaseException) -> HttpResponse:
    log_outage(request, exc)
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    response._has_been_logged = True
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a database outage is a 503 (JSON for the API, a page for screens); anything else is
    Django's own 500."""
    exc = sys.exc_info()[1]
    if is_database_outage(exc):
        if request.path.startswith("/api/"):
            return api_outage_response(request, exc)
        return screen_outage_response(request, exc)
    return defaults.server_error(request)
