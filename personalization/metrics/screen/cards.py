"""The figure cards (each against the comparison range) and the charts of the dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext_lazy

from personalization.metrics import charts
from personalization.metrics.screen.scope import Scope, average, duration, percent, period_name, plain, short_label


@dataclass
class Card:
    key: str
    label: str
    value: str
    previous: str
    direction: str  # "up", "down", "same" or "" (not compared)
    good: bool | None  # whether the change is good news (None: neither)
    href: str = ""


# (figure, label, how it reads, higher is better (None: neither), a count (compared only over equal lengths))
CARDS = (
    ("contacts", gettext_lazy("Contacts"), plain, None, True, "contacts"),
    ("greeted_by_name_rate", gettext_lazy("Greeted by name"), percent, True, False, "contacts"),
    ("preference_honored_rate", gettext_lazy("Preference honoured"), percent, True, False, "contacts"),
    ("delight_delivered_rate", gettext_lazy("Delight delivered"), percent, True, False, "contacts"),
    ("returning_guest_rate", gettext_lazy("Returning guests"), percent, True, False, ""),
    ("issues_opened", gettext_lazy("Issues opened"), plain, False, True, "issues"),
    ("first_response_median_seconds", gettext_lazy("First response (median)"), duration, False, False, ""),
    ("resolution_median_seconds", gettext_lazy("Resolution (median)"), duration, False, False, "resolved"),
    ("csat_average", gettext_lazy("CSAT (1–5)"), average, True, False, "answers"),
    ("survey_response_rate", gettext_lazy("Survey response rate"), percent, True, False, "answers"),
    ("nps", gettext_lazy("NPS"), plain, True, False, "answers"),
    ("touches_sent", gettext_lazy("Follow-ups sent"), plain, None, True, ""),
    ("delight_cost", gettext_lazy("Delight cost"), plain, None, True, ""),
)


def _direction(now, before) -> str:
    if now is None or before is None:
        return ""
    now, before = float(now), float(before)
    return "up" if now > before else "down" if now < before else "same"


def cards(scope: Scope, totals: dict, previous: dict) -> list[Card]:
    found = []
    for key, label, reads, higher_is_better, is_count, rows in CARDS:
        direction = "" if is_count and not scope.same_length else _direction(totals[key], previous[key])
        good = None
        if direction in ("up", "down") and higher_is_better is not None:
            good = (direction == "up") == higher_is_better
        found.append(
            Card(
                key=key,
                label=str(label),
                value=reads(totals[key]),
                previous=reads(previous[key]),
                direction=direction,
                good=good,
                href=scope.rows_url(rows) if rows else "",
            )
        )
    return found


def _points(scope: Scope, periods: list[dict], figure: str, rows: str, previous: bool) -> list[dict]:
    points = []
    for period in periods:
        start, end = date.fromisoformat(period["start"]), date.fromisoformat(period["end"])
        points.append(
            {
                "value": period[figure],
                "label": short_label(start, scope.granularity),
                "period": period_name(start, end, scope.granularity),
                "href": scope.rows_url(rows, start=start, end=end) if rows else "",
                "previous": previous,
            }
        )
    return points


CHARTS = (
    ("contacts", gettext_lazy("Contacts"), "contacts", None, plain),
    ("greeted_by_name_rate", gettext_lazy("Greeted by name"), "contacts", 1, percent),
    ("csat_average", gettext_lazy("CSAT (1–5)"), "answers", 5, average),
    ("issues_opened", gettext_lazy("Issues opened"), "issues", None, plain),
    ("resolution_median_seconds", gettext_lazy("Resolution (median)"), "resolved", None, duration),
)


def chart_list(scope: Scope, periods: list[dict], previous_periods: list[dict]) -> list[charts.Chart]:
    """One chart per watched figure: the comparison range's periods (muted) then the range's."""
    found = []
    for figure, title, rows, top, reads in CHARTS:
        points = _points(scope, previous_periods, figure, rows, True) + _points(scope, periods, figure, rows, False)
        chart = charts.bar_chart(key=figure, title=str(title), points=points, top=top, fmt=reads)
        chart.legend_previous = period_name(scope.previous_start, scope.previous_end, scope.granularity)
        chart.legend_current = period_name(scope.start, scope.end, scope.granularity)
        found.append(chart)
    return found
