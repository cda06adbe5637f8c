"""API v1 of the personalization app: the brief, the touches."""

from __future__ import annotations

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.api import OrganizationScoped
from crm.models import AccessAction, AccessChannel, Customer
from crm.permissions import ManagersOnly
from crm.selectors import property_get
from crm.services import access_record_many
from personalization import selectors as touch_selectors
from personalization.arrivals import arrivals_for
from personalization.brief import brief_for
from personalization.models import Touch
from personalization.serializers import (
    ArrivalSerializer,
    ArrivalsQuerySerializer,
    BriefQuerySerializer,
    BriefSerializer,
    TaskDoneSerializer,
    TaskQuerySerializer,
    TaskSerializer,
    TouchQuerySerializer,
    TouchSendNowSerializer,
    TouchSerializer,
    arrival_data,
)
from personalization.touches.services import manual as touch_services
from personalization.touches.services import tasks as task_services


class CustomerBriefView(OrganizationScoped, APIView):
    """How to greet this customer, what is safety-critical, what to recall, what to repair."""

    @extend_schema(parameters=[BriefQuerySerializer], responses={200: BriefSerializer}, tags=["brief"])
    def get(self, request: Request, customer_id: int) -> Response:
        query = BriefQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        kind = query.validated_data.get("contact_kind")
        # The access record goes with the brief's read, in one round trip, where it can (access_record_sql).
        record = self.saw_sql(customer_id, AccessAction.BRIEF)
        try:
            brief = brief_for(
                organization=self.organization,
                customer_id=customer_id,
                property_id=self.staff.property_id,
                zone=self.staff.zone(),
                contact_kind=kind,
                then=record,
            )
        except Customer.DoesNotExist as exc:
            raise Http404 from exc
        if record is None:
            self.saw(brief["customer"]["id"], AccessAction.BRIEF)
        return Response(brief)


class GuestTimelineList(OrganizationScoped, generics.ListAPIView):
    """A list that ``?customer=`` narrows to one guest's rows (their timeline): audited when the guest is this
    organization's, which the answer shows (another organization's guest has no rows here)."""

    def list(self, request: Request, *args, **kwargs) -> Response:
        response = super().list(request, *args, **kwargs)
        if "customer" in request.query_params and response.data["results"]:
            self.saw(response.data["results"][0]["customer"], AccessAction.TIMELINE)
        return response


@extend_schema_view(get=extend_schema(parameters=[TouchQuerySerializer], tags=["touches"]))
class TouchList(GuestTimelineList):
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


@extend_schema_view(get=extend_schema(parameters=[TaskQuerySerializer], tags=["tasks"]))
class TaskList(GuestTimelineList):
    """The desk's tasks (call-backs), open ones first, the most overdue first; `?status=open` includes tasks not yet
    due. Filter by customer (another organization's shows none) and property (the property's tasks and those of
    no property; another organization's property is 400)."""

    serializer_class = TaskSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Touch.objects.none()
        query = TaskQuerySerializer(data=self.request.query_params, context={"organization": self.organization})
        query.is_valid(raise_exception=True)
        filters = query.validated_data
        return touch_selectors.task_list(
            organization=self.organization,
            status=filters.get("status"),
            customer_id=filters.get("customer"),
            property_id=filters.get("property"),
        )


class TaskDone(OrganizationScoped, APIView):
    """Finish a task with how it went and a note; the call is logged as a contact of the guest. 409 when the task
    is already done or was cancelled."""

    @extend_schema(request=TaskDoneSerializer, responses={200: TaskSerializer}, tags=["tasks"])
    def post(self, request: Request, pk: str) -> Response:
        task = touch_selectors.task_get(organization=self.organization, pk=pk)
        body = TaskDoneSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        task = task_services.task_finish(
            touch=task, actor=request.user, property=self.staff.property, **body.validated_data
        )
        return Response(TaskSerializer(task).data)


class ArrivalList(OrganizationScoped, APIView):
    """Today's arrivals at a property (expected or in house), each with what to prepare: safety needs, issues to
    repair, delights the gift rules suggest for the arrival day, an occasion during the stay, VIP, first visit,
    how to say the name. Those still to check in come first. Each guest shown is in their access log."""

    @extend_schema(parameters=[ArrivalsQuerySerializer], responses={200: ArrivalSerializer(many=True)}, tags=["stays"])
    def get(self, request: Request) -> Response:
        query = ArrivalsQuerySerializer(data=request.query_params, context={"organization": self.organization})
        query.is_valid(raise_exception=True)
        property_id = query.validated_data.get("property") or self.staff.property_id
        if property_id is None:
            raise ValidationError({"property": [_("Name the property: you have no property of your own.")]})
        place = property_get(organization=self.organization, pk=property_id)
        day = query.validated_data.get("date") or timezone.now().astimezone(place.zone()).date()
        board = arrivals_for(property=place, day=day)
        if query.validated_data["needs"]:
            board = [arrival for arrival in board if arrival.needs_something]
        access_record_many(
            organization_id=self.organization.pk,
            customer_ids=sorted({arrival.customer.pk for arrival in board}),
            actor=request.user,
            action=AccessAction.ARRIVALS,
            channel=AccessChannel.API,
            property_id=self.staff.property_id,
        )
        return Response([arrival_data(arrival) for arrival in board])
