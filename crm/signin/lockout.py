"""What a locked-out sign-in is answered (django-axes' AXES_LOCKOUT_CALLABLE), on every surface.

The API answers 429 in DRF's shape ({"detail": ...}) with Retry-After; the login form, its code step and
the admin login show a page saying how long to wait, also with 429. Each failure while locked out starts
the cool-off again (axes' default), so the wait announced is the whole cool-off."""

from __future__ import annotations

import math

from axes.helpers import get_cool_off
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import ngettext
from rest_framework import exceptions, status


def retry_after_seconds(request: HttpRequest | None = None) -> int:
    cool_off = get_cool_off(request)
    return int(cool_off.total_seconds()) if cool_off else 0


def lockout_message(request: HttpRequest | None = None) -> str:
    minutes = max(1, math.ceil(retry_after_seconds(request) / 60))
    return ngettext(
        "Too many failed sign-ins for this account or from this address. Try again in %(minutes)d minute.",
        "Too many failed sign-ins for this account or from this address. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


class LockedOut(exceptions.APIException):
    """The API's lockout: DRF's exception handler answers 429 with Retry-After from `wait`."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"

    def __init__(self, request: HttpRequest | None = None):
        self.wait = retry_after_seconds(request)
        super().__init__(detail=lockout_message(request))


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    seconds = retry_after_seconds(request)
    if is_api(request):
        response: HttpResponse = JsonResponse(
            {"detail": lockout_message(request)}, status=429, json_dumps_params={"ensure_ascii": False}
        )
    else:
        response = render(request, "registration/locked_out.html", {"message": lockout_message(request)}, status=429)
    if seconds:
        response["Retry-After"] = str(seconds)
    return response
