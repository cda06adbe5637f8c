"""API v1 of gift rules and delights (API.md): validate → call a service → serialize.

Front desk may read the rules (to know what the brief may suggest and why); only managers and admins
write them (403). Delights are front-desk work: listing and delivering are open to every role.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from crm import selectors as crm_selectors
from crm.api import OrganizationRows, OrganizationScoped
from crm.models import AccessAction
from crm.permissions import IsManager, ManagersOnly
from personalization.gifts import selectors, services
from personalization.gifts.serializers import (
    DelightOfferSerializer,
    DelightQuerySerializer,
    DelightSerializer,
    GiftAuditSerializer,
    GiftRuleSerializer,
)
from personalization.models import Delight, DelightStatus, GiftRule

CONFLICT = OpenApiResponse(description='{"detail": "..."}: already delivered, expired, needs approval, or over budget.')


@extend_schema(tags=["gift rules"])
class GiftRuleViewSet(OrganizationRows, viewsets.ModelViewSet):
    """Managers' small-gift rules. A rule that could never fire, or whose gift uses an unknown placeholder,
    is refused with a message on the field to fix."""

    serializer_class = GiftRuleSerializer
    permission_classes = [IsManager]
    model = GiftRule
    list_selector = staticmethod(selectors.gift_rule_list)
    get_selector = staticmethod(selectors.gift_rule_get)

    def _out(self, rule: GiftRule, code: int = status.HTTP_200_OK) -> Response:
        rule = selectors.gift_rule_get(organization=self.organization, pk=rule.pk)  # with this month's spending
        return Response(self.get_serializer(rule).data, status=code)

    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rule = services.gift_rule_create(
            organization=self.organization, actor=request.user, **serializer.validated_data
        )
        return self._out(rule, status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        rule = self.get_object()
        serializer = self.get_serializer(rule, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        rule = services.gift_rule_update(rule=rule, actor=request.user, **serializer.validated_data)
        return self._out(rule)

    def destroy(self, request: Request, pk: str) -> Response:
        services.gift_rule_delete(rule=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        responses={200: GiftAuditSerializer(many=True)},
        description="Managers: who created and changed the rule, and what it paid for.",
    )
    @action(detail=True, methods=["get"], permission_classes=[ManagersOnly])
    def history(self, request: Request, pk: str) -> Response:
        page = self.paginate_queryset(selectors.gift_rule_history(rule=self.get_object()))
        return self.get_paginated_response(GiftAuditSerializer(page, many=True).data)


def _delight_step(description: str) -> Callable[[Callable], Callable]:
    """A step of a delight's life, POSTed to its own URL without a body: the delight after it, 409 when refused."""

    def decorate(view: Callable) -> Callable:
        answers = {200: DelightSerializer, 409: CONFLICT}
        return extend_schema(request=None, responses=answers, description=description)(
            action(detail=True, methods=["post"])(view)
        )

    return decorate


@extend_schema_view(list=extend_schema(parameters=[DelightQuerySerializer]))
@extend_schema(tags=["delights"])
class DelightViewSet(
    OrganizationScoped,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Delights the rules suggested: suggested → planned → delivered / declined / expired."""

    serializer_class = DelightSerializer

    def get_queryset(self) -> QuerySet[Delight]:
        if getattr(self, "swagger_fake_view", False):
            return Delight.objects.none()
        query = DelightQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        customer = None
        if "customer" in query.validated_data:
            customer = crm_selectors.customer_get(organization=self.organization, pk=query.validated_data["customer"])
        return selectors.delight_list(organization=self.organization, customer=customer).filter(
            status__in=[DelightStatus.SUGGESTED, DelightStatus.PLANNED, DelightStatus.DELIVERED]
        )

    def get_object(self) -> Delight:
        return selectors.delight_get(organization=self.organization, pk=self.kwargs["pk"])

    def list(self, request: Request, *args, **kwargs) -> Response:
        response = super().list(request, *args, **kwargs)
        if "customer" in request.query_params:  # one guest's delights (checked theirs by get_queryset)
            self.saw(int(request.query_params["customer"]), AccessAction.TIMELINE)
        return response

    @extend_schema(
        request=DelightOfferSerializer,
        responses={201: DelightSerializer, 409: CONFLICT},
        description="Offer a manual rule's gift to a guest now (once a day per guest).",
    )
    def create(self, request: Request) -> Response:
        offer = DelightOfferSerializer(data=request.data)
        offer.is_valid(raise_exception=True)
        customer = crm_selectors.customer_get(organization=self.organization, pk=offer.validated_data["customer"])
        rule = selectors.gift_rule_get(organization=self.organization, pk=offer.validated_data["rule"])
        delight = services.delight_offer(
            rule=rule, customer=customer, actor=request.user, property_id=self.staff.property_id
        )
        delight = selectors.delight_list(organization=self.organization).get(pk=delight.pk)
        return Response(DelightSerializer(delight).data, status=status.HTTP_201_CREATED)

    def _act(self, service, pk: str) -> Response:
        delight = service(delight=self.get_object(), actor=self.request.user)
        delight = selectors.delight_list(organization=self.organization).get(pk=delight.pk)
        return Response(DelightSerializer(delight).data)

    @_delight_step("Deliver it now; its cost is charged to the rule's budget this month.")
    def deliver(self, request: Request, pk: str) -> Response:
        return self._act(services.delight_deliver, pk)

    @_delight_step("Plan it (a gift above the rule's approval cost needs a manager).")
    def plan(self, request: Request, pk: str) -> Response:
        return self._act(services.delight_plan, pk)

    @_delight_step("The guest or staff said no: this occasion is over for this rule.")
    def decline(self, request: Request, pk: str) -> Response:
        return self._act(services.delight_decline, pk)
