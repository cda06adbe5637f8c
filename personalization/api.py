"""API v1 of the personalization app: the brief."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crm import selectors
from crm.models import Customer
from personalization.brief import brief_for
from personalization.serializers import BriefQuerySerializer, BriefSerializer


class CustomerBriefView(APIView):
    """How to greet this customer, what is safety-critical, what to recall, what to repair."""

    @extend_schema(parameters=[BriefQuerySerializer], responses={200: BriefSerializer}, tags=["brief"])
    def get(self, request: Request, customer_id: int) -> Response:
        staff = selectors.staff_of(request.user)
        query = BriefQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        kind = query.validated_data.get("contact_kind")
        try:
            brief = brief_for(
                organization=staff.organization,
                customer_id=customer_id,
                property_id=staff.property_id,
                contact_kind=kind,
            )
        except Customer.DoesNotExist as exc:
            raise Http404 from exc
        return Response(brief)
