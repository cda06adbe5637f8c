"""API shapes of gift rules and delights (API.md "Gift rules"). Field checks here give a 400 on the
field; whether a rule could ever fire is decided by the service (personalization.gifts.rules)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from crm.models import ChangeRecord, Property
from crm.serializers import OrganizationPropertiesMixin
from personalization.gifts.services.gift_rules import RULE_FIELDS
from personalization.models import Delight, GiftRule

MONEY = {"max_digits": 10, "decimal_places": 2, "min_value": Decimal("0.00")}


class FirstPropertyField(serializers.PrimaryKeyRelatedField):
    """The single ``property`` of before ``properties`` (kept for old clients): reads the first listed
    property (lowest id) or null; writing sets the list to it (null: every property)."""

    def get_attribute(self, instance):
        return min(instance.properties.all(), key=lambda p: p.pk, default=None)


class GiftRuleSerializer(OrganizationPropertiesMixin, serializers.ModelSerializer):
    property_fields = ()
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50), max_length=50, required=False, help_text="Customer tags, any of."
    )
    window_days = serializers.IntegerField(
        min_value=0,
        max_value=60,
        required=False,
        help_text=("birthday/anniversary: how many days before the date it applies (0–60, default 7)."),
    )
    visit_number = serializers.IntegerField(min_value=1, max_value=100_000, required=False, allow_null=True)
    absence_days = serializers.IntegerField(min_value=1, max_value=36_500, required=False, allow_null=True)
    min_visits = serializers.IntegerField(min_value=0, max_value=100_000, required=False)
    cooldown_days = serializers.IntegerField(min_value=0, max_value=36_500, required=False)
    yearly_cap = serializers.IntegerField(min_value=1, max_value=366, required=False, allow_null=True)
    priority = serializers.IntegerField(min_value=-100, max_value=100, required=False)
    cost = serializers.DecimalField(**MONEY, required=False)
    monthly_budget = serializers.DecimalField(**MONEY, required=False, allow_null=True, help_text="null = no cap.")
    approval_above = serializers.DecimalField(
        **MONEY, required=False, allow_null=True, help_text="A gift costing more needs a manager to plan it."
    )
    notify_guest = serializers.BooleanField(
        required=False,
        help_text=(
            "Tell the guest ahead: each delight of this rule, when the nightly planner suggests it or staff plan it, "
            "gets a delight_notice email naming the gift (10:00 property time the next day, or on the occasion's "
            "day if sooner; consent, pressure cap and quiet hours apply). Default false."
        ),
    )
    properties = serializers.PrimaryKeyRelatedField(
        many=True,
        required=False,
        queryset=Property.objects.none(),
        help_text="Property ids of the organization; empty (default) = every property.",
    )
    property = FirstPropertyField(
        required=False,
        allow_null=True,
        queryset=Property.objects.none(),
        help_text="Deprecated, use properties: the first of them (or null); writing sets properties to [it].",
    )
    budget_per_property = serializers.BooleanField(
        required=False,
        help_text=("true: monthly_budget caps each property separately (the delight's property). Default false."),
    )
    spent_this_month = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        read_only=True,
        help_text=("This month's spending; with a budget per property, the total of every property."),
    )
    delivered_this_month = serializers.IntegerField(read_only=True)

    class Meta:
        model = GiftRule
        fields = [
            "id",
            *RULE_FIELDS,
            "properties",
            "property",
            "spent_this_month",
            "delivered_this_month",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def get_fields(self):
        fields = super().get_fields()
        organization = self.context.get("organization")
        if organization is not None:  # another organization's id: "does not exist", a 400 on the field
            fields["properties"].child_relation.queryset = organization.properties.all()
            fields["property"].queryset = organization.properties.all()
        return fields

    def validate(self, attrs):
        if "property" in attrs:
            if "properties" in attrs:
                raise serializers.ValidationError({"property": [_("Give properties or property, not both.")]})
            one = attrs.pop("property")
            attrs["properties"] = [] if one is None else [one]
        return attrs


class DelightSerializer(serializers.ModelSerializer):
    rule_name = serializers.CharField(source="rule.name", read_only=True)
    delivered_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Delight
        fields = [
            "id",
            "customer",
            "rule",
            "rule_name",
            "occasion_key",
            "occasion_on",
            "gift",
            "reason",
            "cost",
            "status",
            "expires_at",
            "planned_at",
            "delivered_at",
            "delivered_by",
            "charged_month",
            "created_at",
        ]
        read_only_fields = fields


class DelightQuerySerializer(serializers.Serializer):
    customer = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, required=False, help_text="Only this customer's delights."
    )


class DelightOfferSerializer(serializers.Serializer):
    customer = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    rule = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="A manual rule of the organization.")


class GiftAuditSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    action = serializers.CharField(help_text="gift_rule.create|update|delete, delight.offer|plan|deliver|decline")
    target_type = serializers.CharField()
    target_id = serializers.IntegerField()
    actor = serializers.CharField(source="actor.username", read_only=True, allow_null=True, default=None)
    changes = serializers.SerializerMethodField(
        help_text="Each changed field's value after the change (a deletion: before it), or a fact of the event."
    )
    old = serializers.SerializerMethodField(help_text="Each changed field's value before the change, when it had one.")
    created_at = serializers.DateTimeField()

    def get_changes(self, record: ChangeRecord) -> dict[str, Any]:
        return {name: entry.get("new", entry.get("old")) for name, entry in record.entries().items()}

    def get_old(self, record: ChangeRecord) -> dict[str, Any]:
        return {name: entry["old"] for name, entry in record.entries().items() if "old" in entry}
