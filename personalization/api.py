"""API v1 of the personalization app: the brief, the touches."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.api import OrganizationScoped
from crm.models import AccessAction, Customer
from crm.permissions import ManagersOnly
from personalization import selectors as touch_selectors
from personalization.brief import brief_for
from personalization.models import Touch
from personalization.serializers import (
    BriefQuerySerializer,
    BriefSerializer,
    TouchQuerySerializer,
    TouchSendNowSerializer,
    TouchSerializer,
)
from personalization.touches.services import manual as touch_services


class CustomerBriefView(OrganizationScoped, APIView):
    """How to greet this customer, what is safety-critical, what to recall, what to repair."""

    @extend_schema(parameters=[BriefQuerySerializer], responses={200: BriefSerializer}, tags=["brief"])
    def get(self, request: Request, customer_id: int) -> Response:
        query = BriefQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        kind = query.validated_data.get("contact_kind")
        try:
            brief = brief_for(
                organization=self.organization,
                customer_id=customer_id,
                property_id=self.staff.property_id,
                contact_kind=kind,
            )
        except Customer.DoesNotExist as exc:
            raise Http404 from exc
        self.saw(brief["customer"]["id"], AccessAction.BRIEF)
        return Response(brief)


class TouchList(OrganizationScoped, generics.ListAPIView):
    """Scheduled and past touches of the organization, latest due first; filter by customer, status, kind.
    Another organization's customer simply has no touches here."""

    serializer_class = TouchSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Touch.objects.none()
        query = TouchQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        touches = touch_selectors.touch_list(organization=self.organization)
        filters = {name: value for name, value in query.validated_data.items()}
        if "customer" in filters:
            filters["customer_id"] = filters.pop("customer")
        return touches.filter(**filters)

    @extend_schema(parameters=[TouchQuerySerializer], tags=["touches"])
    def get(self, request: Request, *args, **kwargs) -> Response:
        response = super().get(request, *args, **kwargs)
        # One guest's touches (their rendered messages): audited when the guest is this organization's, which
        # the answer shows (another organization's guest has no touches here).
        if "customer" in request.query_params and response.data["results"]:
            self.saw(response.data["results"][0]["customer"], AccessAction.TIMELINE)
        return response


class TouchCancel(OrganizationScoped, APIView):
    """Managers and admins: cancel a touch that has not gone out — scheduled, failed, or stuck in sending (409
    when a worker is with the mail server right now, or it was sent, skipped or cancelled)."""

    permission_classes = [ManagersOnly]

    @extend_schema(request=None, responses={200: TouchSerializer}, tags=["touches"])
    def post(self, request: Request, pk: int) -> Response:
        touch = touch_selectors.touch_get(organization=self.organization, pk=pk)
        return Response(TouchSerializer(touch_services.touch_cancel(touch=touch, actor=request.user)).data)


class TouchSendNow(OrganizationScoped, APIView):
    """Managers and admins: send a scheduled touch now, a failed one again (its message rendered from today's
    data, attempts counted from zero) or one stuck in sending. 202; ``handed_to_worker`` false when the broker
    could not be reached, and ``detail`` says when the dispatcher will send it instead."""

    permission_classes = [ManagersOnly]

    @extend_schema(request=None, responses={202: TouchSendNowSerializer}, tags=["touches"])
    def post(self, request: Request, pk: int) -> Response:
        touch = touch_selectors.touch_get(organization=self.organization, pk=pk)
        result = touch_services.touch_send_now(touch=touch, actor=request.user)
        data = {
            **TouchSerializer(result.touch).data,
            "handed_to_worker": result.handed_to_worker is not False,
            "detail": result.message(),
        }
        return Response(data, status=202)
