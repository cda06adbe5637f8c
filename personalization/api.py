"""API v1 of the personalization app: the brief, the touches."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crm import selectors
from personalization import selectors as touch_selectors
from personalization.brief import build_brief
from personalization.serializers import (
    BriefQuerySerializer,
    BriefSerializer,
    TouchQuerySerializer,
    TouchSerializer,
)


class CustomerBriefView(APIView):
    """How to greet this customer, what is safety-critical, what to recall, what to repair."""

    @extend_schema(parameters=[BriefQuerySerializer], responses={200: BriefSerializer}, tags=["brief"])
    def get(self, request: Request, customer_id: int) -> Response:
        staff = selectors.staff_of(request.user)
        customer = selectors.customer_get(organization=staff.organization, pk=customer_id)
        query = BriefQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        kind = query.validated_data.get("contact_kind")
        return Response(build_brief(customer=customer, property_id=staff.property_id, contact_kind=kind))


class TouchList(generics.ListAPIView):
    """Scheduled and past touches of the organization, latest due first; filter by customer, status, kind.
    Another organization's customer simply has no touches here."""

    serializer_class = TouchSerializer
    filter_backends: list = []

    def get_queryset(self):
        staff = selectors.staff_of(self.request.user)
        if staff is None:  # schema generation
            return touch_selectors.touch_list(organization=None).none()
        query = TouchQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        touches = touch_selectors.touch_list(organization=staff.organization)
        filters = {name: value for name, value in query.validated_data.items()}
        if "customer" in filters:
            filters["customer_id"] = filters.pop("customer")
        return touches.filter(**filters)

    @extend_schema(parameters=[TouchQuerySerializer], tags=["touches"])
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)
