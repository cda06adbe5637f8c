"""GET /api/v1/metrics/: the managers' figures of a property or the whole organization, by day, week or month."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.api import OrganizationScoped
from crm.models import Property
from crm.permissions import ManagersOnly
from crm.stays.selectors import property_get
from personalization.metrics.selectors import GRANULARITIES, metrics_for

MAX_DAYS = 1096  # three years: two years against the year before them


class MetricsQuerySerializer(serializers.Serializer):
    property = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="Default: the whole organization."
    )
    # "from" is a Python keyword: the field is declared under its own name below.
    to = serializers.DateField(required=False, help_text="YYYY-MM-DD, inclusive; default: today.")
    granularity = serializers.ChoiceField(choices=GRANULARITIES, default="day")

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField(
            required=False, help_text="YYYY-MM-DD, inclusive; default: the first day of the month of `to`."
        )
        return fields


class MetricsView(OrganizationScoped, APIView):
    """The figures of each period (day, ISO week or month, clipped to the range) and of the whole range, with the
    range of the same length just before it (``previous``). Managers and admins; a property of another
    organization is not found. personalization.metrics.figures defines each figure."""

    permission_classes = [ManagersOnly]

    @extend_schema(parameters=[MetricsQuerySerializer], responses={200: dict}, tags=["metrics"])
    def get(self, request: Request) -> Response:
        query = MetricsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        property_id = query.validated_data.get("property")
        place = property_get(organization=self.organization, pk=property_id) if property_id else None
        zone_place = place or Property.objects.default_of(self.organization.pk)
        today = timezone.now().astimezone(zone_place.zone()).date() if zone_place else timezone.localdate()
        end = query.validated_data.get("to") or today
        start = query.validated_data.get("from") or end.replace(day=1)
        if end < start:
            raise serializers.ValidationError({"to": [_("The range ends before it starts.")]})
        if end - start > timedelta(days=MAX_DAYS - 1):
            too_long = _("Ask for at most %(days)s days at a time.") % {"days": MAX_DAYS}
            raise serializers.ValidationError({"from": [too_long]})
        return Response(
            metrics_for(
                organization_id=self.organization.pk,
                property_id=property_id,
                start=start,
                end=end,
                granularity=query.validated_data["granularity"],
            )
        )
