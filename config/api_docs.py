"""The OpenAPI schema and its Swagger UI page, for staff only unless RAPPORT_PUBLIC_API_DOCS publishes them.

The schema names every guest field and every route: no secret, but a map an attacker need not be handed.
Any staff member may read it (integrators hold a staff token); a browser without a session is sent to the
login page rather than answered 401. The Swagger UI comes from drf-spectacular's CDN and runs its own
script file (the split view: no inline script), so this one page widens the Content-Security-Policy to that
CDN (and to inline styles, which Swagger UI sets on its elements)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

from crm.permissions import IsStaffMember
from crm.selectors import staff_of

SWAGGER_CDN = "https://cdn.jsdelivr.net"
DOCS_CSP = {
    **settings.SECURE_CSP,
    "script-src": [CSP.SELF, SWAGGER_CDN],
    "style-src": [CSP.SELF, SWAGGER_CDN, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", SWAGGER_CDN],
}


def _permissions() -> list:
    return [AllowAny] if settings.RAPPORT_PUBLIC_API_DOCS else [IsStaffMember]


class SchemaView(SpectacularAPIView):
    def get_permissions(self):
        return [permission() for permission in _permissions()]


class DocsView(SpectacularSwaggerSplitView):
    # The page holds no data (it fetches the schema, which is guarded): a browser is sent to log in instead.
    permission_classes = [AllowAny]

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        if not settings.RAPPORT_PUBLIC_API_DOCS and staff_of(request.user) is None:
            return redirect_to_login(request.get_full_path())
        return super().get(request, *args, **kwargs)


schema = SchemaView.as_view()
docs = csp_override(DOCS_CSP)(DocsView.as_view(url_name="schema"))
