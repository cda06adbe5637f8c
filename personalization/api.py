"""API v1 of the personalization app: the brief."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crm import selectors
from personalization.brief import build_brief
from personalization.serializers import BriefQuerySerializer, BriefSerializer


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
