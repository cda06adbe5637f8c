from __future__ import annotations

from django.utils import translation
from django.utils.cache import add_never_cache_headers

from crm.selectors import staff_of


class StaffLanguageMiddleware:
    """A staff member's chosen screen language wins over the browser's (after auth, before views)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        staff = staff_of(getattr(request, "user", None))
        if staff is not None and staff.language:
            translation.activate(staff.language)
            request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)


class NoStoreMiddleware:
    """Nothing Rapport renders is kept by a browser or a proxy cache: every API answer and screen may carry a
    guest's name, allergies or complaints, and desk computers are shared (the Back button after logging out
    must not show the last guest). Static files never reach this middleware: WhiteNoise, above it, answers
    them with their own long cache headers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        add_never_cache_headers(response)
        return response
