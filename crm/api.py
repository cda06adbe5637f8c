"""API v1 of the memory (API.md, in its order): validate → call a service → serialize."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet
from django.http import HttpResponse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crm import masking, privacy, selectors, services
from crm.authentication import expires_at
from crm.guest_list import XLSX, guest_list_download
from crm.models import AccessAction, AccessChannel, Customer, Merge, Organization, Staff
from crm.pagination import Pagination
from crm.permissions import IsManager, ManagersOnly
from crm.serializers import (
    AccessLogQuerySerializer,
    AccessRecordSerializer,
    ContactSerializer,
    CustomerDetailSerializer,
    CustomerSerializer,
    DuplicatePairSerializer,
    ErasureSerializer,
    GuestListQuerySerializer,
    IssueSerializer,
    MergeRequestSerializer,
    MergeSerializer,
    PreferenceSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
)
from crm.services.signin import NOT_SET_UP
from crm.signin.lockout import LockedOut


class TokenView(APIView):
    """Exchange a username and password (and a code, for a user with two-factor sign-in) for an API token.

    Every request replaces the user's token (one per user). django-axes counts a wrong password, and a
    missing or wrong code, as one failure; a locked username or address is answered 429."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: TokenResponseSerializer, 400: None, 429: None},
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        username, password = serializer.validated_data["username"], serializer.validated_data["password"]
        # Django's request (not DRF's wrapper): axes marks it when the sign-in is locked out.
        http_request = request._request
        user = authenticate(http_request, username=username, password=password)
        if getattr(http_request, "axes_locked_out", False):
            raise LockedOut(http_request)
        if user is None:
            raise ValidationError(
                {"non_field_errors": [_("Unable to log in with provided credentials.")]}, code="authorization"
            )
        try:
            services.second_factor_check(user=user, code=serializer.validated_data.get("otp"), field="otp")
        except DjangoValidationError as exc:
            if exc.error_dict["otp"][0].code != NOT_SET_UP:
                services.sign_in_failed(request=http_request, username=username)
                if getattr(http_request, "axes_locked_out", False):
                    raise LockedOut(http_request) from exc
            raise
        token = services.token_issue(user=user)
        user_logged_in.send(sender=user.__class__, request=http_request, user=user)
        return Response({"token": token.key, "expires_at": expires_at(token)})


class LogoutView(APIView):
    """Revoke the caller's API token: it stops working at once (204)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None}, tags=["auth"])
    def post(self, request: Request) -> Response:
        services.token_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _out_of_its_context(response: Response) -> None:
    """Once rendered, the response needs no reference to itself in its renderer_context (DRF sets one to render)."""
    response.renderer_context.pop("response", None)


class OrganizationScoped:
    """The base of every API view of both apps: the request's staff member and organization (IsStaffMember
    guarantees one), handed to the selectors that scope every read, and to the serializers."""

    request: Request

    def dispatch(self, request, *args, **kwargs):
        """DRF's dispatch, with the response out of reference cycles once rendered: DRF keeps it on the view (whose
        request points back at it) and in its own renderer_context, so each response and its data outlived the
        request until the garbage collector's next pass, which then freed several at once inside some later
        request: every eighth arrivals board (500 rows) paid 15–20 ms for the boards before it (bench/run
        arrivals; docs/benchmarks.md). Released, a response is freed as soon as the server is done with it."""
        response = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        del self.response
        if isinstance(response, Response):
            response.add_post_render_callback(_out_of_its_context)
        return response

    @cached_property
    def staff(self) -> Staff:
        return selectors.staff_of(self.request.user)

    @cached_property
    def organization(self) -> Organization:
        return self.staff.organization

    def get_serializer_context(self):
        context = super().get_serializer_context()  # type: ignore[misc]
        if not getattr(self, "swagger_fake_view", False):
            context["organization"] = self.organization
        return context

    def saw(self, customer_id: int, action: AccessAction) -> None:
        """Append to the access audit that the caller saw this guest through the API (one INSERT)."""
        services.access_record(**self._access(customer_id, action))

    def saw_sql(self, customer_id: int, action: AccessAction) -> list[str] | None:
        """saw's record as statements to send with the read that shows the guest (services.access_record_sql)."""
        return services.access_record_sql(**self._access(customer_id, action))

    def _access(self, customer_id: int, action: AccessAction) -> dict:
        return {
            "organization_id": self.organization.pk,
            "customer_id": customer_id,
            "actor": self.request.user,
            "action": action,
            "channel": AccessChannel.API,
            "property_id": self.staff.property_id,
        }

    def created(self, serializer_class, instance) -> Response:
        return Response(
            serializer_class(instance, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED
        )


class OrganizationRows(OrganizationScoped):
    """A viewset of the organization's rows of one model: listed by list_selector, one read by get_selector, both
    given the caller's organization (another organization's row is 404). PATCH changes a row; PUT is not offered."""

    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    model: type[Model]
    list_selector: Callable[..., QuerySet]
    get_selector: Callable[..., object]

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no staff member to scope by
            return self.model._default_manager.none()
        return self.list_selector(organization=self.organization)

    def get_object(self):
        return self.get_selector(organization=self.organization, pk=self.kwargs["pk"])  # type: ignore[attr-defined]


class UpdatedByService:
    """PATCH: the serializer validates, the service writes (update_service, given the object as the keyword
    argument update_target and the validated fields), the serializer answers."""

    update_service: Callable[..., object]
    update_target: str

    def update_context(self) -> dict:
        """Extra keyword arguments of update_service (e.g. the caller's property)."""
        return {}

    def partial_update(self, request: Request, pk: str) -> Response:
        serializer = self.get_serializer(self.get_object(), data=request.data, partial=True)  # type: ignore[attr-defined]
        serializer.is_valid(raise_exception=True)
        changed = self.update_service(
            **{self.update_target: serializer.instance},
            actor=request.user,
            **self.update_context(),
            **serializer.validated_data,
        )
        return Response(self.get_serializer(changed).data)  # type: ignore[attr-defined]


@extend_schema_view(
    list=extend_schema(
        description="For front desk, `email` and `phone` in this list are masked (`z•••@example.cn`, `…8000`) and "
        "`page_size` is capped at 50 (managers and admins: full values, up to 200); one customer's own "
        "`GET /api/v1/customers/{id}/` shows them in full.",
        parameters=[
            OpenApiParameter(
                "q",
                str,
                description="Lookup text: any part of any name in any script, "
                "an email, or the last 4+ digits of a phone number. Best match first.",
            ),
            OpenApiParameter(
                "external_id",
                str,
                description="SYSTEM:ID, e.g. opera:A123: the guest that id names in that system (none or one).",
            ),
        ],
    ),
)
@extend_schema(tags=["customers"])
class CustomerViewSet(
    OrganizationScoped, UpdatedByService, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = CustomerSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    update_service = staticmethod(services.customer_update)
    update_target = "customer"

    def get_queryset(self) -> QuerySet[Customer]:
        if getattr(self, "swagger_fake_view", False):
            return Customer.objects.none()
        q = self.request.query_params.get("q")
        if q is not None:
            return selectors.customer_lookup(organization=self.organization, q=q)  # type: ignore[return-value]
        external_id = self.request.query_params.get("external_id")
        if external_id is not None:
            system, colon, value = external_id.partition(":")
            if not (colon and system and value):
                raise ValidationError({"external_id": [_("Write the id as SYSTEM:ID, e.g. opera:A123.")]})
            return selectors.customer_list(organization=self.organization, external_id=(system.lower(), value))
        return selectors.customer_list(organization=self.organization)

    def get_object(self) -> Customer:
        return selectors.customer_get(organization=self.organization, pk=self.kwargs["pk"])

    def update_context(self) -> dict:
        # A phone typed without +country is read in the caller's property's country.
        return {"property": self.staff.property}

    def get_serializer_class(self):
        return CustomerDetailSerializer if self.action == "retrieve" else CustomerSerializer

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            # Front desk's lists and lookups mask emails and phones (crm.masking); one guest's profile does not.
            context["mask_contacts"] = self.action == "list" and not masking.sees_contacts_in_lists(self.staff)
            context["mask_other_guests"] = not masking.sees_contacts_in_lists(self.staff)
        return context

    def detail_context(self, customer: Customer) -> dict:
        return {**self.get_serializer_context(), "likely_duplicates": selectors.likely_duplicates_of(customer)}

    def managed_customer(self) -> Customer:
        """The customer of a managers-only action (erase, export, access log): another organization's is a 404
        for every role, as everywhere (API.md); front desk then gets 403 on their own organization's."""
        customer = self.get_object()
        if not self.staff.is_manager:
            raise PermissionDenied
        return customer

    def retrieve(self, request: Request, pk: str) -> Response:
        customer = self.get_object()
        self.saw(customer.pk, AccessAction.PROFILE)
        return Response(CustomerDetailSerializer(customer, context=self.detail_context(customer)).data)

    @extend_schema(responses={201: CustomerDetailSerializer})
    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        customer = services.customer_create(
            organization=self.organization,
            actor=request.user,
            property=self.staff.property,
            **serializer.validated_data,
        )
        data = CustomerDetailSerializer(customer, context=self.detail_context(customer)).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=MergeRequestSerializer,
        responses={201: MergeSerializer},
        description="Managers: fold the duplicate profile into this one (undoable for 30 days).",
    )
    @action(detail=True, methods=["post"], permission_classes=[IsManager])
    def merge(self, request: Request, pk: str) -> Response:
        kept = self.get_object()
        serializer = MergeRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        duplicate = selectors.customer_get(organization=self.organization, pk=serializer.validated_data["duplicate_id"])
        merge = services.customer_merge(kept=kept, duplicate=duplicate, actor=request.user)
        return Response(MergeSerializer(merge).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={200: DuplicatePairSerializer(many=True)},
        description="Managers: pairs of profiles that look like one person (same email, phone, or whole name).",
    )
    @action(detail=False, methods=["get"], permission_classes=[ManagersOnly], pagination_class=Pagination)
    def duplicates(self, request: Request) -> Response:
        pairs = selectors.likely_duplicates(organization=self.organization)
        page = self.paginate_queryset(pairs)
        return self.get_paginated_response(DuplicatePairSerializer(page, many=True).data)

    def _erase(self, request: Request) -> dict:
        return services.customer_erase(
            customer=self.managed_customer(),
            actor=request.user,
            channel=AccessChannel.API,
            property_id=self.staff.property_id,
        )

    @extend_schema(description="Managers: the same erase as POST …/erase/ (204, no body).")
    def destroy(self, request: Request, pk: str) -> Response:
        self._erase(request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None,
        responses={200: ErasureSerializer},
        description="Managers: forget the guest for good (irreversible); answers what was erased.",
    )
    @action(detail=True, methods=["post"])
    def erase(self, request: Request, pk: str) -> Response:
        return Response(ErasureSerializer(self._erase(request)).data)

    @extend_schema(
        parameters=[GuestListQuerySerializer],
        responses={
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, XLSX): OpenApiTypes.BINARY,
        },
        description="Managers: the guest list (newest first, filtered) as a spreadsheet to download; every guest "
        "in it is in their access log (`list_export`); text a spreadsheet would run as a formula starts with `'`.",
    )
    @action(detail=False, methods=["get"], url_path="download", permission_classes=[ManagersOnly])
    def download(self, request: Request) -> HttpResponse:
        query = GuestListQuerySerializer(data=request.query_params, context={"organization": self.organization})
        query.is_valid(raise_exception=True)
        return guest_list_download(request, staff=self.staff, channel=AccessChannel.API, **query.validated_data)

    @extend_schema(
        responses={200: OpenApiTypes.OBJECT},
        description="Managers: everything held about the guest, as JSON (audited).",
    )
    @action(detail=True, methods=["get"])
    def export(self, request: Request, pk: str) -> Response:
        customer = self.managed_customer()
        return Response(
            privacy.export_document(
                customer=customer, actor=request.user, channel=AccessChannel.API, property_id=self.staff.property_id
            )
        )

    @extend_schema(
        parameters=[AccessLogQuerySerializer],
        responses={200: AccessRecordSerializer(many=True)},
        description="Managers: who viewed the guest, newest first. `?safety=true`: only the views that showed "
        "their allergies and diets (brief, card, preferences, export).",
    )
    @action(detail=True, methods=["get"], url_path="access-log", pagination_class=Pagination)
    def access_log(self, request: Request, pk: str) -> Response:
        customer = self.managed_customer()
        query = AccessLogQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        records = selectors.access_log(customer_id=customer.pk, organization=self.organization, **query.validated_data)
        page = self.paginate_queryset(records)
        return self.get_paginated_response(AccessRecordSerializer(page, many=True).data)


@extend_schema(tags=["customers"])
class MergeViewSet(OrganizationRows, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Merges of duplicate profiles, newest first; managers may undo one within 30 days."""

    serializer_class = MergeSerializer
    permission_classes = [ManagersOnly]
    model = Merge
    list_selector = staticmethod(selectors.merge_list)
    get_selector = staticmethod(selectors.merge_get)

    @extend_schema(request=None, responses={200: MergeSerializer})
    @action(detail=True, methods=["post"])
    def undo(self, request: Request, pk: str) -> Response:
        merge = services.merge_undo(merge=self.get_object(), actor=request.user)
        return Response(MergeSerializer(merge).data)


class CustomerChildList(OrganizationScoped, generics.ListCreateAPIView):
    """GET lists, POST adds, one kind of a customer's history: preferences, issues or contacts."""

    seen_as = AccessAction.TIMELINE  # issues and contacts are the guest's timeline; preferences say so themselves

    @cached_property
    def customer(self) -> Customer:
        return selectors.customer_get(organization=self.organization, pk=self.kwargs["customer_id"], external_ids=False)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.serializer_class.Meta.model.objects.none()
        return self.list_selector(customer=self.customer)

    def list(self, request: Request, *args, **kwargs) -> Response:
        response = super().list(request, *args, **kwargs)
        self.saw(self.customer.pk, self.seen_as)
        return response

    def create(self, request: Request, customer_id: str) -> Response:
        customer = self.customer
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        instance = self.create_service(
            customer=customer, actor=request.user, **self.service_arguments(serializer.validated_data)
        )
        return self.created(self.serializer_class, instance)

    def service_arguments(self, data: dict) -> dict:
        data.setdefault("property", self.staff.property)
        return data


@extend_schema(tags=["preferences"])
class CustomerPreferenceList(CustomerChildList):
    serializer_class = PreferenceSerializer
    list_selector = staticmethod(selectors.preference_list)
    seen_as = AccessAction.PREFERENCES
    create_service = staticmethod(services.preference_record)


@extend_schema(tags=["preferences"])
class PreferenceDetail(OrganizationScoped, UpdatedByService, generics.RetrieveUpdateDestroyAPIView):
    serializer_class = PreferenceSerializer
    http_method_names = ["get", "patch", "delete", "head", "options"]
    update_service = staticmethod(services.preference_update)
    update_target = "preference"

    def get_object(self):
        return selectors.preference_get(organization=self.organization, pk=self.kwargs["pk"])

    def destroy(self, request: Request, pk: str) -> Response:
        services.preference_delete(preference=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["preferences"])
class PreferenceConfirm(OrganizationScoped, generics.GenericAPIView):
    """Mark a preference confirmed now (the guest said it is still true)."""

    serializer_class = PreferenceSerializer

    @extend_schema(request=None, responses={200: PreferenceSerializer})
    def post(self, request: Request, pk: str) -> Response:
        preference = selectors.preference_get(organization=self.organization, pk=pk)
        preference = services.preference_confirm(preference=preference, actor=request.user)
        return Response(self.get_serializer(preference).data)


@extend_schema(tags=["issues"])
class CustomerIssueList(CustomerChildList):
    serializer_class = IssueSerializer
    list_selector = staticmethod(selectors.issue_list)
    create_service = staticmethod(services.issue_open)


@extend_schema(tags=["issues"])
class IssueDetail(OrganizationScoped, UpdatedByService, generics.RetrieveUpdateAPIView):
    """Read or change an issue; moving it to resolved needs a resolution and schedules a follow-up."""

    serializer_class = IssueSerializer
    http_method_names = ["get", "patch", "head", "options"]
    update_service = staticmethod(services.issue_update)
    update_target = "issue"

    def get_object(self):
        return selectors.issue_get(organization=self.organization, pk=self.kwargs["pk"])


@extend_schema(tags=["contacts"])
class CustomerContactList(CustomerChildList):
    serializer_class = ContactSerializer
    list_selector = staticmethod(selectors.contact_list)
    create_service = staticmethod(services.contact_log)
