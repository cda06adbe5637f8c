"""API shapes of the memory (API.md). Serializers validate input and render
output; the writing itself happens in services. Output of the hot paths is rendered from a plan made
once per class (plan.py); the API's own fields are in fields.py."""

from __future__ import annotations

import re
from datetime import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm import masking
from crm.models import (
    AccessAction,
    AccessRecord,
    Contact,
    Customer,
    ExternalId,
    Issue,
    Merge,
    Preference,
    RecoveryStep,
)
from crm.models.stays import validate_system
from crm.serializers.fields import PartialDateField
from crm.serializers.plan import ModelFieldsOnce
from crm.services.customers import CUSTOMER_FIELDS
from crm.services.history import ISSUE_FIELDS, PREFERENCE_FIELDS
from crm.services.merges import UNDO_WINDOW

LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
MAX_TAGS = 50
MAX_TAG_LENGTH = 50
MAX_EXTERNAL_IDS = 20


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


class MaskedContacts:
    """Email and phone masked when the view asks (crm.masking): the context key "mask_contacts" for the rows
    of front desk's lists, "mask_other_guests" for the other profiles shown beside one guest."""

    mask_when = "mask_contacts"

    def to_representation(self, instance):
        data = super().to_representation(instance)  # type: ignore[misc]
        return masking.mask_row(data) if self.context.get(self.mask_when) else data  # type: ignore[attr-defined]


class ExternalIdSerializer(serializers.ModelSerializer):
    system = serializers.CharField(max_length=40, help_text='The other system\'s short name, e.g. "opera".')
    id = serializers.CharField(source="value", max_length=100, help_text="The guest's id in that system.")

    class Meta:
        model = ExternalId
        fields = ["system", "id"]
        # Uniqueness is the service's to answer (naming the other guest), not a generic validator's.
        validators: list = []

    def validate_system(self, value: str) -> str:
        value = value.lower()  # "Opera" and "opera" are one system
        try:
            validate_system(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        return value


class CustomerSerializer(MaskedContacts, OrganizationPropertiesMixin, serializers.ModelSerializer):
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
    external_ids = ExternalIdSerializer(
        many=True,
        required=False,
        max_length=MAX_EXTERNAL_IDS,
        help_text="Ids in other systems (a PMS profile), each unique in the organization; PATCH replaces the list.",
    )

    class Meta:
        model = Customer
        fields = [
            "id",
            "display_name",
            *CUSTOMER_FIELDS,
            "external_ids",
            "visit_count",
            "first_seen",
            "last_seen",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["visit_count", "first_seen", "last_seen", "created_at", "updated_at"]

    property_fields = ("home_property",)

    def validate_external_ids(self, value: list[dict]) -> list[dict[str, str]]:
        return [{"system": item["system"], "id": item["value"]} for item in value]

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
        read_only_fields = [
            "last_confirmed_at",
            "times_confirmed",
            "recorded_by",
            "recorded_at_property",
            "created_at",
            "updated_at",
        ]
        fields = ["id", "customer", *PREFERENCE_FIELDS, *read_only_fields]


class IssueSerializer(OrganizationPropertiesMixin, serializers.ModelSerializer):
    customer = serializers.PrimaryKeyRelatedField(read_only=True)
    steps_done = serializers.ListField(
        child=serializers.ChoiceField(choices=RecoveryStep.choices),
        required=False,
        help_text="Recovery steps done so far (L.E.A.S.T.): listen, empathize, apologize, solve, thank. Writing "
        "the list ticks the new ones (by the caller, now) and unticks those left out.",
    )
    recovery_steps = serializers.ListField(
        child=serializers.ChoiceField(choices=RecoveryStep.choices),
        source="steps_done",
        required=False,
        help_text="Deprecated: the same as steps_done.",
    )
    steps = serializers.SerializerMethodField(help_text="Each step done with who ticked it (user id) and when.")

    class Meta:
        model = Issue
        stamps = ["opened_at", "first_response_at", "resolved_at", "closed_at", "created_at", "updated_at"]
        fields = ["id", "customer", *ISSUE_FIELDS, "recovery_steps", "steps", *stamps]
        read_only_fields = ["owner", *stamps]
        extra_kwargs = {
            "guest_summary": {
                "help_text": "What the guest may read in mails and on the survey page; empty: a neutral phrase."
            }
        }

    def validate_steps_done(self, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))

    def validate_recovery_steps(self, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))

    @extend_schema_field(
        {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "step": {"type": "string", "enum": list(RecoveryStep.values)},
                    "by": {"type": "integer", "nullable": True},
                    "at": {"type": "string", "format": "date-time", "nullable": True},
                },
            },
        }
    )
    def get_steps(self, issue: Issue) -> list[dict]:
        return issue.step_entries()


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
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False, max_length=4096)
    otp = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=64,
        help_text="The code of the authenticator app (or a recovery code), for a user with two-factor sign-in.",
    )


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()
    expires_at = serializers.DateTimeField(help_text="When the token stops working (RAPPORT_API_TOKEN_DAYS).")


class CustomerSummarySerializer(MaskedContacts, ModelFieldsOnce, serializers.ModelSerializer):
    """Enough to tell two namesakes apart."""

    mask_when = "mask_other_guests"

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
            {"customer": CustomerSummarySerializer(other, context=self.context).data, "reasons": list(reasons)}
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


# --- data-subject rights ------------------------------------------------------


class AccessLogQuerySerializer(serializers.Serializer):
    since = serializers.DateTimeField(required=False, help_text=_("Only views at or after this moment (ISO 8601)."))
    action = serializers.ChoiceField(choices=AccessAction.choices, required=False)
    safety = serializers.BooleanField(
        required=False,
        help_text=_(
            "true: only the views that showed the guest's allergies and diets (brief, card, preferences, export)."
        ),
    )


class AccessRecordSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    property_name = serializers.SerializerMethodField()
    safety = serializers.BooleanField(source="shows_safety", read_only=True)

    class Meta:
        model = AccessRecord
        fields = ["id", "actor", "action", "channel", "at", "property", "property_name", "safety"]
        read_only_fields = fields

    def get_actor(self, record: AccessRecord) -> str | None:
        return record.actor.get_username() if record.actor else None

    def get_property_name(self, record: AccessRecord) -> str | None:
        return record.property.name if record.property else None


class ErasureSerializer(serializers.Serializer):
    customer_id = serializers.IntegerField()
    profiles = serializers.IntegerField(help_text=_("The guest and the profiles merged into theirs."))
    deleted = serializers.DictField(child=serializers.IntegerField(), help_text=_("Rows deleted, by kind."))
    touches_cancelled = serializers.IntegerField()
    change_records_scrubbed = serializers.IntegerField()
    admin_log_entries_scrubbed = serializers.IntegerField()
    files_deleted = serializers.IntegerField()


class GuestListQuerySerializer(serializers.Serializer):
    """The guest list's download: its format and the list's filters."""

    file = serializers.ChoiceField(choices=["csv", "xlsx"], default="csv", help_text="csv (default) or xlsx.")
    q = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="A part of the name.")
    tag = serializers.CharField(required=False, allow_blank=True, max_length=MAX_TAG_LENGTH)
    property = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="Guests whose home property this is."
    )

    def validate_property(self, value: int):
        found = self.context["organization"].properties.filter(pk=value).first()
        if found is None:
            raise serializers.ValidationError(_("Unknown property."))
        return found
