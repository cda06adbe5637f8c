"""The references the benchmarks are measured against.

The brief's, serving the rows the brief reads (the customer, all their preferences, their open and recently
resolved issues) for the same authenticated request:

- a plain DRF endpoint with nested ModelSerializers, what a quick build would ship;
- a view where PostgreSQL authenticates the token and builds the whole JSON in one query (the floor).

The lookup's framework floor (LookupFramework): GET /api/v1/customers/?q= itself, answering 20 customers it holds
in memory instead of searching.
"""

from __future__ import annotations

import functools
import json
import os
from datetime import timedelta
from pathlib import Path

from django.db import connection
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from crm import selectors
from crm.api import CustomerViewSet, OrganizationScoped
from crm.models import Customer, Issue, IssueStatus, Preference
from crm.permissions import ManagersOnly
from personalization.api import CustomerBriefView
from personalization.brief.inputs import REPAIR_RECENT_DAYS


class _PreferenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Preference
        fields = [
            "id",
            "category",
            "text",
            "polarity",
            "source",
            "safety_critical",
            "last_confirmed_at",
            "times_confirmed",
        ]


class _IssueSerializer(serializers.ModelSerializer):
    class Meta:
        model = Issue
        fields = ["id", "summary", "status", "severity", "recovery_steps", "opened_at", "resolved_at"]


class _CustomerSerializer(serializers.ModelSerializer):
    preferences = _PreferenceSerializer(many=True)
    issues = _IssueSerializer(many=True)

    class Meta:
        model = Customer
        fields = [
            "id",
            "given_name",
            "family_name",
            "native_name",
            "preferred_name",
            "salutation",
            "pronunciation",
            "pronunciation_note",
            "pinyin",
            "language",
            "tags",
            "visit_count",
            "last_seen",
            "preferences",
            "issues",
        ]


def _repair_issues() -> Q:
    recent = timezone.now() - timedelta(days=REPAIR_RECENT_DAYS)
    return Q(status__in=[IssueStatus.OPEN, IssueStatus.IN_PROGRESS]) | Q(
        status=IssueStatus.RESOLVED, resolved_at__gte=recent
    )


class DrfNestedView(generics.RetrieveAPIView):
    serializer_class = _CustomerSerializer
    lookup_url_kwarg = "customer_id"

    def get_queryset(self):
        organization = selectors.staff_of(self.request.user).organization
        return Customer.objects.filter(organization=organization, merged_into__isnull=True).prefetch_related(
            "preferences", Prefetch("issues", queryset=Issue.objects.filter(_repair_issues()))
        )


PG_JSON = """
SELECT json_build_object(
  'id', c.id, 'given_name', c.given_name, 'family_name', c.family_name, 'native_name', c.native_name,
  'preferred_name', c.preferred_name, 'salutation', c.salutation, 'pronunciation', c.pronunciation,
  'pronunciation_note', c.pronunciation_note, 'pinyin', c.pinyin, 'language', c.language, 'tags', c.tags,
  'visit_count', c.visit_count, 'last_seen', c.last_seen,
  'preferences', (SELECT coalesce(json_agg(json_build_object(
      'id', p.id, 'category', p.category, 'text', p.text, 'polarity', p.polarity, 'source', p.source,
      'safety_critical', p.safety_critical, 'last_confirmed_at', p.last_confirmed_at,
      'times_confirmed', p.times_confirmed)), '[]') FROM crm_preference p WHERE p.customer_id = c.id),
  'issues', (SELECT coalesce(json_agg(json_build_object(
      'id', i.id, 'summary', i.summary, 'status', i.status, 'severity', i.severity,
      'recovery_steps', i.recovery_steps, 'opened_at', i.opened_at, 'resolved_at', i.resolved_at)), '[]')
    FROM crm_issue i WHERE i.customer_id = c.id
      AND (i.status IN ('open', 'in_progress') OR (i.status = 'resolved' AND i.resolved_at >= %s)))
)::text
FROM authtoken_token t
JOIN auth_user u ON u.id = t.user_id AND u.is_active
JOIN crm_staff s ON s.user_id = t.user_id
JOIN crm_customer c ON c.organization_id = s.organization_id AND c.merged_into_id IS NULL
WHERE t.key = %s AND c.id = %s
"""


def pg_json(request: HttpRequest, customer_id: int) -> HttpResponse:
    key = request.headers.get("Authorization", "").removeprefix("Token ")
    recent = timezone.now() - timedelta(days=REPAIR_RECENT_DAYS)
    with connection.cursor() as cursor:
        cursor.execute(PG_JSON, [recent, key, customer_id])
        row = cursor.fetchone()
    if row is None:
        return HttpResponse(status=404)
    return HttpResponse(row[0], content_type="application/json")


class BriefWithoutAudit(CustomerBriefView):
    """The brief exactly as the API serves it, but for its access record: what `bench/run audit` compares the
    audited brief with, to measure what the audit costs."""

    def saw(self, customer_id, action) -> None:
        pass

    def saw_sql(self, customer_id, action) -> None:
        return None


class FixedMetricsJson(OrganizationScoped, APIView):
    """The framework floor of `bench/run metrics`: the same authentication, permission and organization lookup as
    GET /api/v1/metrics/, answering a fixed JSON of the same size (the API's own answer, saved by the bench in
    BENCH_METRICS_FIXED_JSON before the server started) rendered by DRF at each request."""

    permission_classes = [ManagersOnly]

    def get(self, request, name: str) -> Response:
        self.organization  # noqa: B018 - the organization lookup the metrics view does
        return Response(_fixed_metrics()[name])


@functools.cache
def _fixed_metrics() -> dict:
    return json.loads(Path(os.environ["BENCH_METRICS_FIXED_JSON"]).read_text())


class LookupFramework(CustomerViewSet):
    """The customer list of a lookup (token auth, organization, permissions, pagination, masking, serializer) with
    the search taken out: 20 customers loaded once per process. What serving any answer costs (bench/run lookup)."""

    def get_queryset(self):
        return _held_customers(self.organization.pk)


@functools.cache
def _held_customers(organization_id: int) -> list[Customer]:
    customers = Customer.objects.filter(organization_id=organization_id, merged_into__isnull=True).order_by("pk")
    return list(customers.prefetch_related("external_ids")[:20])
