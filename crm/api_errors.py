"""One shape for every API error: DRF's {"field": ["message", ...]}.

Services raise Django's ValidationError (they know nothing of HTTP); here it
becomes a 400 with the same field keys. NON_FIELD_ERRORS becomes DRF's
"non_field_errors". A crm.errors.Conflict becomes a 409 with {"detail": message}.
A rate limit's 429 (DRF's Throttled) says the wait in the user's language, with Retry-After.
A database outage (OperationalError, InterfaceError) becomes a 503 with {"detail": message} and
Retry-After, logged in one line (config.outage; the same answer for failures outside DRF's views).
"""

from __future__ import annotations

import math

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import ngettext
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from config import outage
from crm.errors import Conflict


def exception_handler(exc, context):
    if type(exc) is exceptions.Throttled:
        # DRF formats the wait into its message before translating it: said again here, translatable.
        wait = math.ceil(exc.wait or 0)
        message = ngettext(
            "Too many requests. Try again in %(seconds)d second.",
            "Too many requests. Try again in %(seconds)d seconds.",
            wait,
        ) % {"seconds": wait}
        exc = exceptions.Throttled(detail=message)
        exc.wait = wait
    if isinstance(exc, Conflict):
        return Response({"detail": exc.message}, status=status.HTTP_409_CONFLICT)
    if outage.is_database_outage(exc):
        request = context.get("request")
        outage.log_outage(request, exc)
        response = Response({"detail": outage.outage_detail()}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        response["Retry-After"] = str(outage.RETRY_AFTER_SECONDS)
        response._has_been_logged = True  # one line, above: Django logs nothing more
        return response
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail = {
                (api_settings.NON_FIELD_ERRORS_KEY if key == NON_FIELD_ERRORS else key): messages
                for key, messages in exc.message_dict.items()
            }
        else:
            detail = {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}
        exc = exceptions.ValidationError(detail)
    return drf_exception_handler(exc, context)
