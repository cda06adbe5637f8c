"""What to change, as tables: drops, recurring themes, complaints never followed up, low scores unanswered."""

from __future__ import annotations

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from personalization.metrics import insights
from personalization.metrics.screen.cells import answer_cells, issue_cells
from personalization.metrics.screen.scope import (
    Scope,
    average,
    moment,
    percent,
    period_name,
)
from personalization.metrics.selectors import metrics_for
from personalization.metrics.tables import Cell, Table

FIGURE_NAMES = {
    "greeted_by_name_rate": gettext_lazy("Greeted by name"),
    "csat_average": gettext_lazy("CSAT (1–5)"),
}

DROPS_SHOWN = 10  # the largest drops
ROWS_SHOWN = 20  # complaints and low scores on the dashboard; their page lists them all


def _drop_rows(scope: Scope, drops: list[insights.Drop]) -> list[list[Cell]]:
    rows = []
    drops = sorted(drops, key=lambda d: (d.now - d.before) / (1 if d.figure == "greeted_by_name_rate" else 5))
    for drop in drops[:DROPS_SHOWN]:
        reads = percent if drop.figure == "greeted_by_name_rate" else average
        kind = "contacts" if drop.figure == "greeted_by_name_rate" else "answers"
        where = drop.property_name or _("All properties")
        href = (
            reverse("metrics:rows", args=[kind])
            + "?"
            + urlencode(
                {
                    "property": drop.property_id or "all",
                    "from": drop.start.isoformat(),
                    "to": drop.end.isoformat(),
                    "granularity": scope.granularity,
                }
            )
        )
        rows.append(
            [
                Cell(str(FIGURE_NAMES[drop.figure]), drop.figure),
                Cell(where),
                Cell(period_name(drop.start, drop.end, scope.granularity), f"{drop.start}/{drop.end}", href),
                Cell(reads(drop.before), drop.before),
                Cell(reads(drop.now), drop.now, css="score-low"),
            ]
        )
    return rows


def drops_table(scope: Scope, periods: list[dict], previous_periods: list[dict]) -> Table:
    """Periods (and, over the whole organization, properties) where recognition or CSAT fell."""
    table = Table(
        key="drops",
        title=_("Where recognition or satisfaction dropped"),
        columns=[_("Figure"), _("Where"), _("Period"), _("Before"), _("Now")],
        empty=_("Nothing dropped against the period before."),
    )
    name = scope.place.name if scope.place else ""
    found = insights.drops_between(previous_periods[-1:] + periods, property_id=scope.property_id, property_name=name)
    if scope.place is None:
        for place in scope.organization.properties.order_by("name"):
            bounds = [
                _totals(scope, place, scope.previous_start, scope.previous_end),
                _totals(scope, place, scope.start, scope.end),
            ]
            found += insights.drops_between(bounds, property_id=place.pk, property_name=place.name)
    table.rows = _drop_rows(scope, found)
    return table


def _totals(scope: Scope, place, start, end) -> dict:
    """A property's totals over one range, as a period of drops_between."""
    totals = metrics_for(
        organization_id=scope.organization.pk, property_id=place.pk, start=start, end=end, granularity="month"
    )["totals"]
    return {**totals, "start": start.isoformat(), "end": end.isoformat()}


def themes_table(scope: Scope) -> Table:
    """The words recurring in the summaries of the issues opened over the window the charts show (the comparison
    range and the range): a theme needs more than a few days' issues to recur."""
    table = Table(
        key="themes",
        title=_("Recurring issue themes"),
        columns=[_("Theme"), _("Issues")],
        empty=_("No word recurs in the summaries of this range's issues."),
    )
    for theme in insights.recurring_themes(scope.period(start=scope.previous_start)):
        href = scope.rows_url("theme", start=scope.previous_start, word=theme.word)
        table.rows.append([Cell(theme.word, href=href), Cell(str(theme.issues), theme.issues, href)])
    return table


def unfollowed_table(scope: Scope, *, limit: int | None = ROWS_SHOWN) -> Table:
    table = Table(
        key="not-followed-up",
        title=_("Complaints resolved but never followed up"),
        columns=[_("Guest"), _("Issue"), _("Severity"), _("Resolved")],
        empty=_("Every resolved complaint was followed up."),
    )
    rows = insights.resolved_not_followed_up(scope.period(), now=scope.now)
    for issue in rows[:limit] if limit else rows:
        table.rows.append([*issue_cells(issue)[:3], Cell(moment(issue.resolved_at), issue.resolved_at.isoformat())])
    return table


def low_scores_table(scope: Scope, *, limit: int | None = ROWS_SHOWN) -> Table:
    table = Table(
        key="low-scores",
        title=_("Low scores nobody answered"),
        columns=[_("Guest"), _("Score"), _("Comment"), _("Answered")],
        empty=_("Every low score was answered."),
    )
    rows = insights.low_scores_unanswered(scope.period())
    table.rows = [answer_cells(answer) for answer in (rows[:limit] if limit else rows)]
    return table
