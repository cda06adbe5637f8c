"""API shapes of guest-list imports (API.md "Imports")."""

from __future__ import annotations

import json
from datetime import datetime

from django.utils.translation import gettext as _
from rest_framework import serializers

from crm.imports import columns, parse
from crm.models import GuestImport, Property
from crm.models.stays import validate_system
from crm.serializers import OrganizationPropertiesMixin

MAX_MAPPING_CHARS = 20_000


class ImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="The row as the user sees it: the header is row 1.")
    column = serializers.CharField(help_text="The column as the file names it; empty for the whole row.")
    message = serializers.CharField()


class UnmappedColumnSerializer(serializers.Serializer):
    column = serializers.CharField()
    samples = serializers.ListField(child=serializers.CharField())


class EditedSinceSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    customer = serializers.IntegerField()
    field = serializers.CharField()


class ImportSerializer(serializers.ModelSerializer):
    create = serializers.IntegerField(source="to_create", read_only=True, help_text="Guests applying would create.")
    update = serializers.IntegerField(source="to_update", read_only=True, help_text="Guests applying would change.")
    errors = ImportErrorSerializer(many=True, read_only=True, help_text="The first 1,000 errors; see error_rows.")
    unmapped = UnmappedColumnSerializer(many=True, read_only=True, help_text="Columns read as nothing.")
    columns = serializers.DictField(child=serializers.CharField(), read_only=True, help_text="Column → field.")
    undo_until = serializers.SerializerMethodField()
    edited_since = EditedSinceSerializer(
        source="undo_report", many=True, read_only=True, help_text="Fields the undo left: edited since the import."
    )

    class Meta:
        model = GuestImport
        fields = [
            "id",
            "status",
            "filename",
            "property",
            "rows",
            "create",
            "update",
            "unchanged",
            "error_rows",
            "errors",
            "columns",
            "unmapped",
            "done_rows",
            "created",
            "updated",
            "created_at",
            "applied_at",
            "undo_until",
            "undone_at",
            "edited_since",
            "failure",
        ]
        read_only_fields = fields

    def get_undo_until(self, upload: GuestImport) -> datetime | None:
        return upload.undo_until()


class ImportUploadSerializer(OrganizationPropertiesMixin, serializers.Serializer):
    file = serializers.FileField(help_text="CSV (UTF-8, UTF-16, GB18030 or Big5; , ; or tab) or .xlsx, at most 50 MB.")
    mapping = serializers.CharField(
        required=False,
        help_text='JSON object: column as in the file → field ("given_name", "phone", "preference:allergy", '
        '"external_id:opera", "ignore", …).',
    )
    property = serializers.PrimaryKeyRelatedField(
        queryset=Property.objects.none(), required=False, help_text="Where the list comes from. Default: yours."
    )
    system = serializers.CharField(
        required=False, default=columns.DEFAULT_SYSTEM, help_text="The system an id column names (default pms)."
    )

    def validate_file(self, file):
        if file.size > parse.MAX_FILE_BYTES:
            raise serializers.ValidationError(_("The file is larger than 50 MB."))
        return file

    def validate_system(self, value: str) -> str:
        value = value.strip().lower()
        validate_system(value)
        return value

    def validate_mapping(self, value: str) -> dict[str, str]:
        if len(value) > MAX_MAPPING_CHARS:
            raise serializers.ValidationError(_("The mapping is too long."))
        try:
            mapping = json.loads(value) if value.strip() else {}
        except (ValueError, RecursionError) as exc:
            raise serializers.ValidationError(_("The mapping is not JSON.")) from exc
        if not isinstance(mapping, dict) or len(mapping) > parse.MAX_COLUMNS:
            raise serializers.ValidationError(_("The mapping is an object of at most 200 columns."))
        for column, target in mapping.items():
            if not isinstance(target, str) or len(column) > 200 or not columns.valid_target(target):
                raise serializers.ValidationError(
                    _("“%(column)s” is mapped to an unknown field.") % {"column": str(column)[:100]}
                )
        return mapping
