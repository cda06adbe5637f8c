from django.urls import path
from rest_framework.routers import SimpleRouter

from crm import api
from crm.imports import api as imports_api
from crm.stays import api as stays_api
from crm.webhooks import api as webhooks_api

router = SimpleRouter()
router.register("customers", api.CustomerViewSet, basename="customer")
router.register("merges", api.MergeViewSet, basename="merge")
router.register("webhooks", webhooks_api.WebhookViewSet, basename="webhook")

urlpatterns = [
    path("auth/token/", api.TokenView.as_view(), name="api-token"),
    path("auth/logout/", api.LogoutView.as_view(), name="api-logout"),
    path("customers/<int:customer_id>/preferences/", api.CustomerPreferenceList.as_view(), name="customer-preferences"),
    path("customers/<int:customer_id>/issues/", api.CustomerIssueList.as_view(), name="customer-issues"),
    path("customers/<int:customer_id>/contacts/", api.CustomerContactList.as_view(), name="customer-contacts"),
    path("preferences/<int:pk>/", api.PreferenceDetail.as_view(), name="preference-detail"),
    path("preferences/<int:pk>/confirm/", api.PreferenceConfirm.as_view(), name="preference-confirm"),
    path("issues/<int:pk>/", api.IssueDetail.as_view(), name="issue-detail"),
    path("properties/", stays_api.PropertyList.as_view(), name="property-list"),
    path("stays/", stays_api.StayList.as_view(), name="stay-list"),
    path("stays/<int:pk>/", stays_api.StayDetail.as_view(), name="stay-detail"),
    path("stays/<int:pk>/check-in/", stays_api.StayCheckIn.as_view(), name="stay-check-in"),
    path(
        "stays/by-external-id/<str:system>/<str:external_id>/",
        stays_api.StayByExternalId.as_view(),
        name="stay-by-external-id",
    ),
    path(
        "webhook-deliveries/<int:pk>/retry/", webhooks_api.WebhookDeliveryRetry.as_view(), name="webhook-delivery-retry"
    ),
    path("imports/", imports_api.ImportList.as_view(), name="import-list"),
    path("imports/<int:pk>/", imports_api.ImportDetail.as_view(), name="import-detail"),
    path("imports/<int:pk>/apply/", imports_api.ImportApply.as_view(), name="import-apply"),
    path("imports/<int:pk>/undo/", imports_api.ImportUndo.as_view(), name="import-undo"),
    *router.urls,
]
