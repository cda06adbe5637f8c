"""The OpenAPI schema and its Swagger UI page, for staff only unless RAPPORT_PUBLIC_API_DOCS publishes them.

The schema names every guest field and every route: no secret, but a map an attacker need not be handed.
Any staff member may read it (integrators hold a staff token); a browser without a session is sent to the
login page rather than answered 401. Swagger UI and ReDoc are served from this site's static files
(drf-spectacular-sidecar: they work with the network off) and run their own script files (the split view: no
inline script); these pages widen the Content-Security-Policy only to inline styles (which Swagger UI and
ReDoc set on their elements), images as data: URLs, and ReDoc's web worker (a blob: URL)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

from crm.permissions import IsStaffMember
from crm.selectors import staff_of

DOCS_CSP = {
    **settings.SECURE_CSP,
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "worker-src": [CSP.SELF, "blob:"],
}


def _permissions() -> list:
    return [AllowAny] if settings.RAPPORT_PUBLIC_API_DOCS else [IsStaffMember]


class SchemaView(SpectacularAPIView):
    def get_permissions(self):
        return [permission() for permission in _permissions()]


class StaffPage:
    # The page holds no data (it fetches the schema, which is guarded): a browser is sent to log in instead.
    permission_classes = [AllowAny]

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        if not settings.RAPPORT_PUBLIC_API_DOCS and staff_of(request.user) is None:
            return redirect_to_login(request.get_full_path())
        return super().get(request, *args, **kwargs)


class DocsView(StaffPage, SpectacularSwaggerSplitView):
    pass


class RedocView(StaffPage, SpectacularRedocView):
    template_name = "api/redoc.html"  # drf-spectacular's, without its inline <style> (the CSP refuses it)


schema = SchemaView.as_view()
docs = csp_override(DOCS_CSP)(DocsView.as_view(url_name="schema"))
redoc = csp_override(DOCS_CSP)(RedocView.as_view(url_name="schema"))
