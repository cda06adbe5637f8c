"""The webhooks API's shapes (API.md "Webhooks"). The secret is only in the answers that make one."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from crm.models import DeliveryStatus, EventType, WebhookDelivery
from crm.webhooks.services import DISABLED_BY_MANAGER, DISABLED_FAILING

URL_MAX_LENGTH = 2000


class WebhookEndpointSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    url = serializers.CharField(max_length=URL_MAX_LENGTH, help_text="http:// or https://, on a public address.")
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices), min_length=1, help_text="The events to receive."
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    enabled = serializers.BooleanField(
        required=False,
        default=True,
        help_text="false stops deliveries (they wait); true again sends them and starts the failure count afresh.",
    )
    disabled_at = serializers.DateTimeField(read_only=True, allow_null=True)
    disabled_reason = serializers.ChoiceField(
        choices=[("", ""), DISABLED_BY_MANAGER, DISABLED_FAILING],
        read_only=True,
        help_text="manager: a manager disabled it; failing: every attempt failed for days (the screen says so).",
    )
    failing_since = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When its attempts started failing; null after a success."
    )
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class WebhookEndpointCreateSerializer(WebhookEndpointSerializer):
    enabled = serializers.BooleanField(read_only=True)


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="whsec_…: shown this once. Verify each delivery's webhook-signature with it."
    )


class WebhookDeliverySerializer(serializers.ModelSerializer):
    webhook_id = serializers.CharField(source="message_id", help_text="The webhook-id header of every attempt.")
    event_type = serializers.ChoiceField(choices=EventType.choices)
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)
    endpoint = serializers.IntegerField(source="endpoint_id")
    payload = serializers.JSONField(help_text='The body sent: {"type", "timestamp", "data"}.')
    next_attempt_at = serializers.SerializerMethodField()

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "endpoint",
            "webhook_id",
            "event_type",
            "status",
            "attempts",
            "response_status",
            "error",
            "next_attempt_at",
            "last_attempt_at",
            "delivered_at",
            "created_at",
            "payload",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_next_attempt_at(self, delivery: WebhookDelivery) -> str | None:
        """When it is tried next (pending only)."""
        if delivery.status != DeliveryStatus.PENDING:
            return None
        return serializers.DateTimeField().to_representation(delivery.next_attempt_at)


class WebhookDeliveryQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=DeliveryStatus.choices, required=False)
