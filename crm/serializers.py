"""API shapes of the memory (API.md). Serializers validate input and render
output; the writing itself happens in services."""

from __future__ import annotations

import copy
import re
from datetime import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm.models import Contact, Customer, Issue, Merge, Preference, RecoveryStep
from crm.partial_dates import PartialDate
from crm.services.merges import UNDO_WINDOW

LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
MAX_TAGS = 50
MAX_TAG_LENGTH = 50


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


class ModelFieldsOnce:
    """Build a ModelSerializer's fields from the model once per class, then copy them.

    DRF introspects the model for every serializer instance (about 2 ms a request for a customer);
    a copy is what DRF itself does with declared fields (Field.__deepcopy__ re-instantiates)."""

    _built_fields: dict[type, dict] = {}

    def get_fields(self):
        cls = type(self)
        if cls not in ModelFieldsOnce._built_fields:
            ModelFieldsOnce._built_fields[cls] = super().get_fields()  # type: ignore[misc]
        return copy.deepcopy(ModelFieldsOnce._built_fields[cls])


class OrganizationPropertiesMixin(ModelFieldsOnce):
    """Property fields offer only the request organization's properties: a foreign id is "not found"."""

    property_fields = ("property",)

    def get_fields(self):
        fields = super().get_fields()
        organization = self.context.get("organization")  # type: ignore[attr-defined]
        if organization is not None:
            for name in self.property_fields:
                fields[name].queryset = organization.properties.all()
        return fields


class CustomerSerializer(OrganizationPropertiesMixin, serializers.ModelSerializer):
    birthday = PartialDateField(required=False, allow_null=True)
    anniversary = PartialDateField(required=False, allow_null=True)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=MAX_TAG_LENGTH, allow_blank=False),
        max_length=MAX_TAGS,
        required=False,
    )
    phone = serializers.CharField(
        max_length=32, required=False, allow_blank=True, help_text="Stored as E.164; input may be formatted."
    )
    display_name = serializers.CharField(read_only=True)

    class Meta:
        model = Customer
        fields = [
            "id",
            "display_name",
            "given_name",
            "family_name",
            "name_order",
            "native_name",
            "latin_name",
            "preferred_name",
            "salutation",
            "pronunciation",
            "pronunciation_ipa",
            "pronunciation_note",
            "language",
            "email",
            "phone",
            "birthday",
            "anniversary",
            "tags",
            "consent_service",
            "consent_marketing",
            "consent_surprises",
            "do_not_contact",
            "home_property",
            "visit_count",
            "first_seen",
            "last_seen",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["visit_count", "first_seen", "last_seen", "created_at", "updated_at"]

    property_fields = ("home_property",)

    def validate_language(self, value: str) -> str:
        if not LANGUAGE_TAG.match(value):
            raise serializers.ValidationError(_('Enter a BCP 47 language tag such as "en", "zh-hans" or "zh-hant".'))
        return value.lower()

    def validate(self, attrs):
        if self.instance is None:
            names = ("given_name", "family_name", "native_name", "preferred_name")
            if not any((attrs.get(n) or "").strip() for n in names):
                raise serializers.ValidationError(
                    {"given_name": [_("At least one name is required (given, family, native or preferred name).")]}
                )
        return attrs


class PreferenceSerializer(ModelFieldsOnce, serializers.ModelSerializer):
    customer = serializers.PrimaryKeyRelatedField(read_only=True)
    safety_critical = serializers.BooleanField(
        required=False, help_text="Default: true for allergy and dietary, else false."
    )

    class Meta:
        model = Preference
        fields = [
            "id",
            "customer",
            "category",
            "text",
            "key",
            "value",
            "polarity",
            "source",
            "safety_critical",
            "last_confirmed_at",
            "times_confirmed",
            "recorded_by",
            "recorded_at_property",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "last_confirmed_at",
            "times_confirmed",
            "recorded_by",
            "recorded_at_property",
            "created_at",
            "updated_at",
        ]


class IssueSerializer(OrganizationPropertiesMixin, serializers.ModelSerializer):
    customer = serializers.PrimaryKeyRelatedField(read_only=True)
    recovery_steps = serializers.ListField(
        child=serializers.ChoiceField(choices=RecoveryStep.choices),
        required=False,
        help_text="Recovery steps done so far (L.E.A.S.T.): listen, empathize, apologize, solve, thank.",
    )

    class Meta:
        model = Issue
        fields = [
            "id",
            "customer",
            "summary",
            "detail",
            "severity",
            "status",
            "resolution",
            "compensation",
            "recovery_steps",
            "follow_up",
            "property",
            "owner",
            "opened_at",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "owner",
            "opened_at",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "created_at",
            "updated_at",
        ]

    def validate_recovery_steps(self, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


class ContactSerializer(OrganizationPropertiesMixin, serializers.ModelSerializer):
    customer = serializers.PrimaryKeyRelatedField(read_only=True)
    occurred_at = serializers.DateTimeField(required=False, help_text="Default: now.")

    class Meta:
        model = Contact
        fields = [
            "id",
            "customer",
            "kind",
            "occurred_at",
            "note",
            "greeted_by_name",
            "preference_honored",
            "delight_delivered",
            "property",
            "staff",
            "created_at",
        ]
        read_only_fields = ["staff", "created_at"]


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"})


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()


class CustomerSummarySerializer(ModelFieldsOnce, serializers.ModelSerializer):
    """Enough to tell two namesakes apart."""

    display_name = serializers.CharField(read_only=True)
    email = serializers.EmailField(read_only=True, allow_blank=True)

    class Meta:
        model = Customer
        fields = ["id", "display_name", "email", "phone", "last_seen", "visit_count", "home_property"]
        read_only_fields = fields


class LikelyDuplicateSerializer(serializers.Serializer):
    customer = CustomerSummarySerializer()
    reasons = serializers.ListField(
        child=serializers.ChoiceField(choices=["same_email", "same_phone", "same_name"]),
        help_text="Why they look like one person.",
    )


class CustomerDetailSerializer(CustomerSerializer):
    """One customer with the other profiles that look like the same person (on create and read)."""

    likely_duplicates = serializers.SerializerMethodField()

    class Meta(CustomerSerializer.Meta):
        fields = [*CustomerSerializer.Meta.fields, "likely_duplicates"]

    @extend_schema_field(LikelyDuplicateSerializer(many=True))
    def get_likely_duplicates(self, customer: Customer) -> list[dict]:
        # The view looks them up (selectors.likely_duplicates_of) and passes them in.
        return [
            {"customer": CustomerSummarySerializer(other).data, "reasons": list(reasons)}
            for other, reasons in self.context.get("likely_duplicates", ())
        ]


class DuplicatePairSerializer(serializers.Serializer):
    first = CustomerSummarySerializer()
    second = CustomerSummarySerializer()
    reasons = serializers.ListField(child=serializers.ChoiceField(choices=["same_email", "same_phone", "same_name"]))


class MergeRequestSerializer(serializers.Serializer):
    duplicate_id = serializers.IntegerField(help_text="The profile to fold into this one.")


class MergeSerializer(ModelFieldsOnce, serializers.ModelSerializer):
    moved = serializers.SerializerMethodField()
    undo_until = serializers.SerializerMethodField()

    class Meta:
        model = Merge
        fields = ["id", "kept", "duplicate", "moved", "merged_by", "merged_at", "undo_until", "undone_at", "undone_by"]
        read_only_fields = fields

    def get_moved(self, merge: Merge) -> dict[str, int]:
        """How many rows of each kind moved to the kept profile ("crm.preference.customer": 3)."""
        return {key: len(ids) for key, ids in merge.moved.items()}

    def get_undo_until(self, merge: Merge) -> datetime:
        return merge.merged_at + UNDO_WINDOW
