"""GET /api/v1/metrics/: the managers' figures of a property or the whole organization, by day, week or month."""

from __future__ import annotations

from datetime import date

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.api import OrganizationScoped
from crm.permissions import ManagersOnly
from crm.selectors import property_get
from personalization.metrics.selectors import GRANULARITIES, metrics_by_staff, metrics_for, range_of, staff_named


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

    def asked(self, request: Request, *, checked_by_figures: bool = False) -> tuple[int | None, date, date, dict]:
        """The query's property, range and granularity; a property of another organization is not found (404).
        With `checked_by_figures` and a range that ends on a given day, metrics_for checks the property in its own
        query (one round trip fewer); otherwise it is read here, its zone saying which day is today."""
        query = MetricsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        property_id = query.validated_data.get("property")
        read = property_id and not (checked_by_figures and query.validated_data.get("to"))
        place = property_get(organization=self.organization, pk=property_id) if read else None
        start, end = range_of(
            organization_id=self.organization.pk,
            place=place,
            start=query.validated_data.get("from"),
            end=query.validated_data.get("to"),
        )
        return property_id, start, end, query.validated_data

    @extend_schema(parameters=[MetricsQuerySerializer], responses={200: dict}, tags=["metrics"])
    def get(self, request: Request) -> Response:
        property_id, start, end, query = self.asked(request, checked_by_figures=True)
        return Response(
            metrics_for(
                organization_id=self.organization.pk,
                property_id=property_id,
                start=start,
                end=end,
                granularity=query["granularity"],
            )
        )


class StaffMetricsView(MetricsView):
    """The range's figures per member of staff (who greets by name, who resolves issues and how fast), for
    managers and admins only: never shown to front desk. ``granularity`` is not used."""

    @extend_schema(parameters=[MetricsQuerySerializer], responses={200: dict}, tags=["metrics"])
    def get(self, request: Request) -> Response:
        property_id, start, end, _query = self.asked(request)
        figures = metrics_by_staff(organization_id=self.organization.pk, property_id=property_id, start=start, end=end)
        names = staff_named(organization_id=self.organization.pk, user_ids=figures)
        staff = [
            {"staff": names.get(user_id, {"id": user_id, "username": None, "name": None}), **counts}
            for user_id, counts in sorted(figures.items())
        ]
        return Response({"start": start.isoformat(), "end": end.isoformat(), "staff": staff})
