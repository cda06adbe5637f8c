"""Fields of the API's own (API.md): a partial date, "YYYY-MM-DD" or "MM-DD"."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm.partial_dates import PartialDate


@extend_schema_field(
    {
        "type": "string",
        "nullable": True,
        "example": "1985-03-14",
        "description": '"YYYY-MM-DD" or "MM-DD" (year unknown)',
    }
)
class PartialDateField(serializers.Field):
    def to_internal_value(self, data):
        if data in (None, ""):
            return None
        if not isinstance(data, str):
            raise serializers.ValidationError(_('Enter a date as "YYYY-MM-DD" or "MM-DD".'))
        try:
            return PartialDate.parse(data)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc

    def to_representation(self, value):
        return str(value) if value else None
