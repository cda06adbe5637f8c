"""The managers' dashboard (issue 14): the figures of a property or the whole organization over a range, against
the range before, with charts, tables, what to change, and the rows behind every figure; each table as CSV
(?table=…&format=csv). Managers and admins; front desk gets the 403 page; another organization's property is
not found."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.models import Property, Staff
from crm.permissions import screen_manager, screen_properties
from crm.selectors import property_get
from personalization.metrics import screen
from personalization.metrics.selectors import GRANULARITIES, metrics_for, range_check, range_defaults, today_at
from personalization.metrics.services.contacts import metrics_caught_up
from personalization.metrics.tables import csv_response

ROWS_PAGE_SIZE = 50


class DashboardQuery(forms.Form):
    """?property=<id>|all&from=YYYY-MM-DD&to=YYYY-MM-DD&granularity=day|week|month."""

    property = forms.CharField(required=False, label=gettext_lazy("Property"))
    to = forms.DateField(required=False, label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"}))
    granularity = forms.ChoiceField(
        required=False, label=gettext_lazy("By"), choices=list(screen.GRANULARITY_NAMES.items())
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # "from" is a Python keyword: declared here under its own name.
        self.fields["from"] = forms.DateField(
            required=False, label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"})
        )
        self.order_fields(["property", "from", "to", "granularity"])

    def clean(self):
        data = super().clean()
        start, end = data.get("from"), data.get("to")
        if start and end:
            try:
                range_check(start, end)
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    self.add_error(field, messages)
        return data


def _scope(request: HttpRequest, staff: Staff) -> tuple[screen.Scope, DashboardQuery]:
    """The scope the query asks for; what it gets wrong falls back to the default (this month so far, by week, the
    whole organization) and is said on the form. Another organization's property: 404."""
    query = DashboardQuery(request.GET or None)
    valid = query.is_valid() if query.is_bound else False
    data = query.cleaned_data if valid else {}
    wanted = request.GET.get("property", "")
    place: Property | None = None
    if wanted and wanted != "all":
        place = property_get(organization=staff.organization, pk=wanted)
    now = timezone.now()
    start, end = range_defaults(
        organization_id=staff.organization_id, place=place, start=data.get("from"), end=data.get("to"), now=now
    )
    if start > end:  # a "from" after today, with no "to": that day alone
        end = start
    previous_start, previous_end = screen.comparison_range(start, end)
    granularity = data.get("granularity") or "week"
    scope = screen.Scope(
        organization=staff.organization,
        place=place,
        start=start,
        end=end,
        previous_start=previous_start,
        previous_end=previous_end,
        granularity=granularity if granularity in GRANULARITIES else "week",
        now=now,
    )
    return scope, query


def _presets(scope: screen.Scope, today: date) -> list[dict]:
    """Ranges a manager picks with one link (each keeps the property and the granularity)."""
    last_month_end = today.replace(day=1) - timedelta(days=1)
    ranges = [
        (_("This month"), today.replace(day=1), today),
        (_("Last month"), last_month_end.replace(day=1), last_month_end),
        (_("Last 4 weeks"), today - timedelta(days=27), today),
        (_("Last 90 days"), today - timedelta(days=89), today),
    ]
    return [
        {
            "label": label,
            "query": scope.query(start=start, end=end),
            "current": (start, end) == (scope.start, scope.end),
        }
        for label, start, end in ranges
    ]


def _figures(scope: screen.Scope, start: date, end: date) -> dict:
    return metrics_for(
        organization_id=scope.organization.pk,
        property_id=scope.property_id,
        start=start,
        end=end,
        granularity=scope.granularity,
    )


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    staff = screen_manager(request)
    scope, query = _scope(request, staff)
    metrics_caught_up(staff.organization_id)  # once: every figure, table and CSV below reads current counters
    current = _figures(scope, scope.start, scope.end)
    previous = _figures(scope, scope.previous_start, scope.previous_end)
    tables = screen.dashboard_tables(scope, current, previous, staff=staff)
    if request.GET.get("format") == "csv":
        table = tables.get(request.GET.get("table", ""))
        if table is None:
            raise Http404
        return csv_response(table, start=scope.start, end=scope.end, place=scope.place_slug)
    today = today_at(organization_id=staff.organization_id, place=scope.place, now=scope.now)
    context = {
        "scope": scope,
        "query": query,
        "properties": screen_properties(staff),
        "granularities": screen.GRANULARITY_NAMES,
        "presets": _presets(scope, today),
        "range_name": screen.period_name(scope.start, scope.end, scope.granularity),
        "previous_name": screen.period_name(scope.previous_start, scope.previous_end, scope.granularity),
        "cards": screen.cards(scope, current["totals"], previous["totals"]),
        "charts": screen.chart_list(scope, current["periods"], previous["periods"]),
        "change_tables": [tables[key] for key in screen.CHANGE_TABLES],
        "figure_tables": [tables[key] for key in screen.FIGURE_TABLES if key in tables],
        "base_query": scope.query(),
    }
    return render(request, "personalization/metrics/dashboard.html", context)


@login_required
def rows(request: HttpRequest, kind: str) -> HttpResponse:
    """The rows behind a figure: ?property=&from=&to= as on the dashboard, plus severity= or word= where they
    apply; format=csv for all of them as a file."""
    staff = screen_manager(request)
    if kind not in screen.ROW_KINDS:
        raise Http404
    scope, _query = _scope(request, staff)
    metrics_caught_up(staff.organization_id)  # the rows beside figures that count every contact logged
    table = screen.rows_table(
        scope, kind, severity=request.GET.get("severity", ""), word=request.GET.get("word", "")[:100]
    )
    if request.GET.get("format") == "csv":
        return csv_response(table, start=scope.start, end=scope.end, place=scope.place_slug)
    page = Paginator(table.rows, ROWS_PAGE_SIZE).get_page(request.GET.get("page"))
    extra = {key: request.GET.get(key, "") for key in ("severity", "word")}
    context = {
        "scope": scope,
        "table": table,
        "page": page,
        "kind": kind,
        "range_name": screen.period_name(scope.start, scope.end, scope.granularity),
        "query": scope.query(**extra),
        "back": scope.query(),
    }
    return render(request, "personalization/metrics/rows.html", context)
