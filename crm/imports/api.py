"""API of guest-list imports (API.md "Imports", managers and admins): validate → call a service → serialize."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.api import OrganizationScoped
from crm.imports import parse, selectors
from crm.imports.serializers import ImportSerializer, ImportUploadSerializer
from crm.pagination import Pagination
from crm.permissions import ManagersOnly
from crm.services import imports as services

# The multipart request around a 50 MB file: refused before it is read when it says it is larger.
MAX_REQUEST_BYTES = parse.MAX_FILE_BYTES + 1024 * 1024


@extend_schema(tags=["imports"])
class ImportList(OrganizationScoped, generics.ListAPIView):
    """Imports of the organization, newest first; POST a guest list to preview it (nothing is written to the
    guests until it is applied)."""

    serializer_class = ImportSerializer
    permission_classes = [ManagersOnly]
    parser_classes = [MultiPartParser, FormParser]
    pagination_class = Pagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ImportSerializer.Meta.model.objects.none()
        return selectors.import_list(organization=self.organization)

    @extend_schema(request={"multipart/form-data": ImportUploadSerializer}, responses={201: ImportSerializer})
    def post(self, request: Request) -> Response:
        if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_REQUEST_BYTES:
            raise ValidationError({"file": [_("The file is larger than 50 MB.")]})
        serializer = ImportUploadSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        file = data["file"]
        upload = services.import_preview(
            organization=self.organization,
            actor=request.user,
            file=file,
            filename=file.name or "",
            size=file.size,
            mapping=data.get("mapping"),
            property=data.get("property") or self.staff.property,
            system=data["system"],
        )
        return Response(ImportSerializer(upload).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["imports"])
class ImportDetail(OrganizationScoped, generics.RetrieveAPIView):
    """An import: its preview, then its progress (done_rows of rows) and what it did."""

    serializer_class = ImportSerializer
    permission_classes = [ManagersOnly]

    def get_object(self):
        return selectors.import_get(organization=self.organization, pk=self.kwargs["pk"])


class ImportApply(OrganizationScoped, APIView):
    """Apply a previewed import in the background (202); poll the import for done_rows and its status."""

    permission_classes = [ManagersOnly]

    @extend_schema(tags=["imports"], request=None, responses={202: ImportSerializer, 409: None})
    def post(self, request: Request, pk: str) -> Response:
        upload = selectors.import_get(organization=self.organization, pk=pk)
        upload = services.import_apply(upload=upload, actor=request.user)
        return Response(ImportSerializer(upload).data, status=status.HTTP_202_ACCEPTED)


class ImportUndo(OrganizationScoped, APIView):
    """Undo an applied import within 30 days: created guests removed, changed fields restored unless edited
    since (listed in edited_since)."""

    permission_classes = [ManagersOnly]

    @extend_schema(tags=["imports"], request=None, responses={200: ImportSerializer, 409: None})
    def post(self, request: Request, pk: str) -> Response:
        upload = selectors.import_get(organization=self.organization, pk=pk)
        upload = services.import_undo(upload=upload, actor=request.user)
        return Response(ImportSerializer(upload).data)
