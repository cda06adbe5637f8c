from __future__ import annotations

from django.utils import translation

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
