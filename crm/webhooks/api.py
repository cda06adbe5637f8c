"""API v1 of webhooks (API.md "Webhooks"): managers and admins only (front desk 403), validate → call a service
→ serialize."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.api import OrganizationRows, OrganizationScoped
from crm.models import WebhookEndpoint
from crm.permissions import ManagersOnly
from crm.webhooks import selectors, services
from crm.webhooks.serializers import (
    WebhookDeliveryQuerySerializer,
    WebhookDeliverySerializer,
    WebhookEndpointCreateSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointWithSecretSerializer,
)

CONFLICT = OpenApiResponse(description='{"detail": "..."}: being sent right now, or its webhook is disabled.')


@extend_schema_view(
    create=extend_schema(
        request=WebhookEndpointCreateSerializer,
        responses={201: WebhookEndpointWithSecretSerializer},
        description="Register an endpoint; the answer holds its secret, shown this once. A URL that is not "
        "http(s), does not resolve, or is on a private or loopback network (unless the operator allows it) is 400.",
    ),
    partial_update=extend_schema(request=WebhookEndpointSerializer, responses={200: WebhookEndpointSerializer}),
)
@extend_schema(tags=["webhooks"])
class WebhookViewSet(
    OrganizationRows,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The organization's webhook endpoints. The secret is never read back: rotate it for a new one."""

    serializer_class = WebhookEndpointSerializer
    permission_classes = [ManagersOnly]
    model = WebhookEndpoint
    list_selector = staticmethod(selectors.webhook_endpoint_list)
    get_selector = staticmethod(selectors.webhook_endpoint_get)

    def create(self, request: Request) -> Response:
        body = WebhookEndpointCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_create(
            organization=self.organization, actor=request.user, **body.validated_data
        )
        return Response(WebhookEndpointWithSecretSerializer(endpoint).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        endpoint = self.get_object()
        body = WebhookEndpointSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_update(endpoint=endpoint, actor=request.user, **body.validated_data)
        return Response(WebhookEndpointSerializer(endpoint).data)

    def destroy(self, request: Request, pk: str) -> Response:
        services.webhook_endpoint_delete(endpoint=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None,
        responses={200: WebhookEndpointWithSecretSerializer},
        description="A new secret, shown this once; the old one stops signing at once.",
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str) -> Response:
        endpoint = services.webhook_secret_rotate(endpoint=self.get_object(), actor=request.user)
        return Response(WebhookEndpointWithSecretSerializer(endpoint).data)

    @extend_schema(
        parameters=[WebhookDeliveryQuerySerializer],
        responses={200: WebhookDeliverySerializer(many=True)},
        description="The endpoint's delivery log, newest first: status, attempts, the last response code.",
    )
    @action(detail=True, methods=["get"])
    def deliveries(self, request: Request, pk: str) -> Response:
        endpoint = self.get_object()
        query = WebhookDeliveryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = selectors.webhook_delivery_list(endpoint=endpoint, status=query.validated_data.get("status"))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)


class WebhookDeliveryRetry(OrganizationScoped, APIView):
    """Try a delivery again now, with the same webhook-id (202: a worker sends it). 409 while it is being sent,
    or when its webhook is disabled."""

    permission_classes = [ManagersOnly]

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer, 409: CONFLICT}, tags=["webhooks"])
    def post(self, request: Request, pk: str) -> Response:
        delivery = selectors.webhook_delivery_get(organization=self.organization, pk=pk)
        delivery = services.webhook_delivery_retry(delivery=delivery, actor=request.user)
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
