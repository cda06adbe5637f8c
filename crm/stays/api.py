"""API of stays and properties (API.md "Stays and arrivals"): validate → call a service → serialize."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crm import selectors as crm_selectors
from crm.api import OrganizationScoped
from crm.models.stays import validate_system
from crm.pagination import Pagination
from crm.services.stays import stay_check_in, stay_push
from crm.stays import selectors
from crm.stays.serializers import PropertySerializer, StayPushSerializer, StaySerializer


@extend_schema(tags=["properties"])
class PropertyList(OrganizationScoped, generics.ListAPIView):
    """The organization's properties, for integrators to name them in pushes."""

    serializer_class = PropertySerializer
    pagination_class = None

    def get_queryset(self):
        # In the order they were added, as integrators have always had them (screens list them by name).
        return crm_selectors.property_list(organization=self.organization).order_by("pk")


@extend_schema(
    tags=["stays"],
    parameters=[
        OpenApiParameter("customer", int, description="One guest's stays."),
        OpenApiParameter("property", int, description="One property's stays."),
    ],
)
class StayList(OrganizationScoped, generics.ListAPIView):
    """Stays, latest arrival first."""

    serializer_class = StaySerializer
    pagination_class = Pagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return StaySerializer.Meta.model.objects.none()
        params = self.request.query_params
        customer = property_ = None
        if params.get("customer"):
            customer = crm_selectors.customer_get(organization=self.organization, pk=params["customer"])
        if params.get("property"):
            property_ = crm_selectors.property_get(organization=self.organization, pk=params["property"])
        return selectors.stay_list(organization=self.organization, customer=customer, property=property_)


@extend_schema(tags=["stays"])
class StayDetail(OrganizationScoped, generics.RetrieveAPIView):
    serializer_class = StaySerializer

    def get_object(self):
        return selectors.stay_get(organization=self.organization, pk=self.kwargs["pk"])


class StayByExternalId(OrganizationScoped, APIView):
    """A PMS pushes a reservation: created the first time (201), updated after (200), the same push twice
    changes nothing. Fields left out keep their value; `status: in_house` checks the guest in."""

    @extend_schema(tags=["stays"], request=StayPushSerializer, responses={200: StaySerializer, 201: StaySerializer})
    def put(self, request: Request, system: str, external_id: str) -> Response:
        system = system.lower()
        try:
            validate_system(system)
        except DjangoValidationError as exc:
            raise ValidationError({"system": exc.messages}) from exc
        if not external_id.strip() or len(external_id) > 100:
            raise ValidationError({"id": [_("A reservation id has 1 to 100 characters.")]})
        serializer = StayPushSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        fields.setdefault("property", self.staff.property)
        if fields["property"] is None:
            raise ValidationError({"property": [_("Name the property: you have no property of your own.")]})
        stay, created = stay_push(
            organization=self.organization, system=system, external_id=external_id, actor=request.user, **fields
        )
        data = StaySerializer(stay, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def get_serializer_context(self):
        return {"request": self.request, "organization": self.organization}


class StayCheckIn(OrganizationScoped, APIView):
    """The guest has arrived: the stay is in house and the arrival contact is logged, once (also when the PMS
    or the desk said it first)."""

    @extend_schema(tags=["stays"], request=None, responses={200: StaySerializer, 409: None})
    def post(self, request: Request, pk: str) -> Response:
        stay = selectors.stay_get(organization=self.organization, pk=pk)
        stay = stay_check_in(stay=stay, actor=request.user)
        return Response(StaySerializer(stay, context={"organization": self.organization}).data)
