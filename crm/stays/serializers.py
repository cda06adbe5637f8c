"""API shapes of stays and properties (API.md "Stays and arrivals")."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from crm.models import Customer, Property, Stay
from crm.serializers import CustomerSerializer, ModelFieldsOnce, OrganizationPropertiesMixin


class PropertySerializer(ModelFieldsOnce, serializers.ModelSerializer):
    time_zone = serializers.CharField(source="timezone", read_only=True)

    class Meta:
        model = Property
        fields = ["id", "name", "country", "time_zone"]
        read_only_fields = fields


class StaySerializer(OrganizationPropertiesMixin, serializers.ModelSerializer):
    """A stay as it is read, and as a push writes it (customer, property and the reservation's fields)."""

    nights = serializers.IntegerField(read_only=True)
    system = serializers.CharField(source="external_system", read_only=True)
    external_id = serializers.CharField(read_only=True)
    property = serializers.PrimaryKeyRelatedField(
        queryset=Property.objects.none(), required=False, help_text="Default: the caller's property."
    )

    class Meta:
        model = Stay
        fields = [
            "id",
            "customer",
            "property",
            "arrival",
            "departure",
            "nights",
            "room",
            "party_size",
            "status",
            "note",
            "system",
            "external_id",
            "checked_in_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["checked_in_at", "created_at", "updated_at"]

    property_fields = ("property",)

    def get_fields(self):
        fields = super().get_fields()
        organization = self.context.get("organization")
        if organization is not None:
            fields["customer"].queryset = organization.customers.filter(merged_into__isnull=True)
        return fields


class GuestOfPushSerializer(CustomerSerializer):
    """The guest a push names by external id, with what a new profile is made of."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if not attrs.get("external_ids"):
            raise serializers.ValidationError({"external_ids": [_("A pushed guest carries their id in your system.")]})
        return attrs


class StayPushSerializer(StaySerializer):
    customer = serializers.PrimaryKeyRelatedField(
        queryset=Customer.objects.none(), required=False, help_text="The guest's Rapport id; or send `guest`."
    )
    guest = GuestOfPushSerializer(
        required=False,
        write_only=True,
        help_text="Instead of `customer`: the guest by their `external_ids` (found, or created from these fields).",
    )

    class Meta(StaySerializer.Meta):
        fields = [*StaySerializer.Meta.fields, "guest"]

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if ("customer" in attrs) == ("guest" in attrs):
            raise serializers.ValidationError(
                {"customer": [_("Name the guest: “customer” (an id) or “guest” with external ids, not both.")]}
            )
        if attrs["departure"] < attrs["arrival"]:
            raise serializers.ValidationError({"departure": [_("The departure is before the arrival.")]})
        return attrs
