from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from config import api_docs, health
from crm.signin.views import AdminSignInView

urlpatterns = [
    path("health/", health.health, name="health"),
    path("ready/", health.ready, name="ready"),
    path("ready/broker/", health.ready_broker, name="ready-broker"),
    path("api/v1/", include("crm.urls_api")),
    path("api/v1/", include("personalization.urls_api")),
    path("api/schema/", api_docs.schema, name="schema"),
    path("api/docs/", api_docs.docs, name="api-docs"),
    path("api/redoc/", api_docs.redoc, name="api-redoc"),
    # The admin's login goes through the same steps as the login form (lockout, then the second factor).
    path("admin/login/", AdminSignInView.as_view(), name="admin-login"),
    path("admin/", admin.site.urls),
    path("accounts/", include("crm.signin.urls")),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("crm.urls")),
    path("", include("crm.webhooks.urls")),
    path("", include("personalization.urls")),
    path("", include("personalization.touches.urls")),
    path("", include("personalization.gifts.urls")),
    path("", include("personalization.metrics.urls")),
]
handler500 = "config.outage.server_error"

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
