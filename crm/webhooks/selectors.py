"""Reads of webhooks, scoped to one organization (another organization's endpoint or delivery is a 404)."""

from __future__ import annotations

from django.db.models import QuerySet

from crm.models import Organization, WebhookDelivery, WebhookEndpoint
from crm.selectors import get_or_404


def webhook_endpoint_list(*, organization: Organization) -> QuerySet[WebhookEndpoint]:
    """The organization's endpoints, oldest first."""
    return WebhookEndpoint.objects.filter(organization=organization).order_by("pk")


def webhook_endpoint_get(*, organization: Organization, pk: object) -> WebhookEndpoint:
    return get_or_404(webhook_endpoint_list(organization=organization), pk)


def webhook_delivery_list(*, endpoint: WebhookEndpoint, status: str | None = None) -> QuerySet[WebhookDelivery]:
    """An endpoint's delivery log, newest first (index webhook_delivery_log)."""
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-pk")
    return deliveries.filter(status=status) if status else deliveries


def webhook_delivery_get(*, organization: Organization, pk: object) -> WebhookDelivery:
    queryset = WebhookDelivery.objects.filter(endpoint__organization=organization).select_related("endpoint")
    return get_or_404(queryset, pk)


def webhook_endpoints_disabled_for_failing(*, organization: Organization) -> QuerySet[WebhookEndpoint]:
    """The endpoints the dispatcher disabled after days of failures: the notice on the managers' screen."""
    from crm.webhooks.services import DISABLED_FAILING

    return webhook_endpoint_list(organization=organization).filter(enabled=False, disabled_reason=DISABLED_FAILING)
