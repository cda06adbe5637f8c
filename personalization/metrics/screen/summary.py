"""The dashboard's tables of figures: by period, by member of staff, issues still open, follow-ups and tasks,
delights and gift budgets, memory health; and every table of the screen by key (dashboard_tables)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.models import Severity, Staff
from personalization.metrics import drilldown
from personalization.metrics.screen.change import drops_table, low_scores_table, themes_table, unfollowed_table
from personalization.metrics.screen.scope import Scope, average, duration, percent, period_name, plain
from personalization.metrics.selectors import metrics_by_staff
from personalization.metrics.tables import Cell, Table


@dataclass(frozen=True)
class FigureColumn:
    """A column of figures: which figure, its heading, how it reads, and the drill-down behind it (rows: its kind;
    rows_if: shown only when that count is not zero)."""

    figure: str
    heading: str
    reads: Callable
    rows: str = ""
    rows_if: str = ""


CONTACTS = FigureColumn("contacts", gettext_lazy("Contacts"), plain, "contacts")
GREETED = FigureColumn("greeted_by_name_rate", gettext_lazy("Greeted by name"), percent)
HONOURED = FigureColumn("preference_honored_rate", gettext_lazy("Preference honoured"), percent)
DELIGHTED = FigureColumn("delight_delivered_rate", gettext_lazy("Delight delivered"), percent)
ISSUES_OPENED = FigureColumn("issues_opened", gettext_lazy("Issues opened"), plain, "issues")
FIRST_RESPONSE = FigureColumn("first_response_median_seconds", gettext_lazy("First response (median)"), duration)
RESOLUTION = FigureColumn(
    "resolution_median_seconds", gettext_lazy("Resolution (median)"), duration, "resolved", "issues_resolved"
)
PERIOD_COLUMNS = (
    CONTACTS,
    GREETED,
    HONOURED,
    DELIGHTED,
    FigureColumn("returning_guest_rate", gettext_lazy("Returning guests"), percent),
    ISSUES_OPENED,
    FIRST_RESPONSE,
    RESOLUTION,
    FigureColumn("resolution_p90_seconds", gettext_lazy("Resolution (90th percentile)"), duration),
    FigureColumn("csat_average", gettext_lazy("CSAT (1–5)"), average, "answers", "csat_responses"),
    FigureColumn("csat_responses", gettext_lazy("Answers"), plain),
    FigureColumn("nps", gettext_lazy("NPS"), plain),
)
# Per member of staff (figure_cells without href: the lists behind a figure are per place and period, not per person).
STAFF_COLUMNS = (
    CONTACTS,
    GREETED,
    HONOURED,
    DELIGHTED,
    ISSUES_OPENED,
    FigureColumn("issues_first_responses", gettext_lazy("First responses"), plain),
    FIRST_RESPONSE,
    FigureColumn("issues_resolved", gettext_lazy("Issues resolved"), plain),
    RESOLUTION,
    FigureColumn("tasks_done", gettext_lazy("Tasks done"), plain),
    FigureColumn("delights_delivered", gettext_lazy("Delights delivered"), plain),
)


def figure_cells(columns: tuple[FigureColumn, ...], figures: dict, href: Callable[[str], str] | None = None) -> list:
    """One row's cells: each figure as it reads, its value for the CSV, and its drill-down link (href(kind))."""
    cells = []
    for column in columns:
        value = figures[column.figure]
        linked = href and column.rows and (not column.rows_if or figures[column.rows_if])
        cells.append(Cell(column.reads(value), value, href(column.rows) if linked else ""))
    return cells


def periods_table(scope: Scope, periods: list[dict], totals: dict, previous: dict) -> Table:
    table = Table(key="periods", title=_("By period"), columns=[_("Period"), *(str(c.heading) for c in PERIOD_COLUMNS)])
    rows = [(period, date.fromisoformat(period["start"]), date.fromisoformat(period["end"]), "") for period in periods]
    rows.append((totals, scope.start, scope.end, _("Total")))
    rows.append((previous, scope.previous_start, scope.previous_end, _("Compared with")))
    for figures, start, end, name in rows:
        label = f"{name} {period_name(start, end, scope.granularity)}".strip()
        period = Cell(label, value=f"{start.isoformat()}/{end.isoformat()}", css="strong" if name else "")
        cells = figure_cells(PERIOD_COLUMNS, figures, lambda kind, s=start, e=end: scope.rows_url(kind, start=s, end=e))
        table.rows.append([period, *cells])
    return table


def staff_table(scope: Scope) -> Table:
    """Per member of staff (managers only: never shown to front desk), most contacts first."""
    by_staff = metrics_by_staff(
        organization_id=scope.organization.pk, property_id=scope.property_id, start=scope.start, end=scope.end
    )
    names = drilldown.staff_names(organization=scope.organization, user_ids=sorted(by_staff))
    table = Table(
        key="staff",
        title=_("By member of staff"),
        columns=[_("Member of staff"), *(str(c.heading) for c in STAFF_COLUMNS)],
        empty=_("Nobody logged anything in this range."),
    )
    order = sorted(by_staff, key=lambda user_id: (-by_staff[user_id]["contacts"], names[user_id]))
    for user_id in order:
        table.rows.append([Cell(names[user_id]), *figure_cells(STAFF_COLUMNS, by_staff[user_id])])
    return table


AGE_COLUMNS = (
    gettext_lazy("Up to a day"),
    gettext_lazy("1–7 days"),
    gettext_lazy("7–30 days"),
    gettext_lazy("Older"),
)


def open_issues_table(scope: Scope) -> Table:
    """Issues still open now, by severity and how long ago they were opened (read at request time)."""
    snapshot = drilldown.open_issues_now(organization=scope.organization, property_id=scope.property_id, now=scope.now)
    table = Table(
        key="open-issues",
        title=_("Still open now"),
        columns=[_("Severity"), *[str(c) for c in AGE_COLUMNS], _("Total")],
    )
    for severity in reversed(Severity.values):
        counts = snapshot.by_severity[severity]
        href = scope.rows_url("open-issues", severity=severity)
        table.rows.append(
            [
                Cell(str(Severity(severity).label), severity),
                *[Cell(str(n), n) for n in counts],
                Cell(str(sum(counts)), sum(counts), href if sum(counts) else ""),
            ]
        )
    return table


def touches_table(scope: Scope, totals: dict, previous: dict) -> Table:
    table = Table(
        key="touches",
        title=_("Follow-ups and tasks"),
        columns=[
            _("Range"),
            _("Sent"),
            _("Skipped"),
            _("Skipped: no consent"),
            _("Skipped: pressure cap"),
            _("Skipped: open complaint"),
            _("Skipped: other"),
            _("Postponed: quiet hours"),
            _("Failed"),
            _("Cancelled"),
            _("Tasks done"),
            _("Tasks overdue now"),
        ],
    )
    overdue = drilldown.tasks_overdue(organization=scope.organization, property_id=scope.property_id, now=scope.now)
    ranges = ((totals, scope.start, scope.end, overdue), (previous, scope.previous_start, scope.previous_end, None))
    for figures, start, end, late in ranges:
        skipped = figures["touches_skipped_by_reason"]
        table.rows.append(
            [
                Cell(period_name(start, end, scope.granularity), f"{start.isoformat()}/{end.isoformat()}"),
                *[
                    Cell(str(n), n)
                    for n in (
                        figures["touches_sent"],
                        figures["touches_skipped"],
                        skipped["consent"],
                        skipped["pressure_cap"],
                        skipped["open_complaint"],
                        skipped["other"],
                        figures["touches_postponed_quiet_hours"],
                        figures["touches_failed"],
                        figures["touches_cancelled"],
                        figures["tasks_done"],
                    )
                ],
                Cell(plain(late), late, reverse("touches:tasks") if late else ""),
            ]
        )
    return table


def delights_table(scope: Scope, totals: dict, previous: dict) -> Table:
    table = Table(
        key="delights",
        title=_("Delights"),
        columns=[_("Range"), _("Suggested"), _("Delivered"), _("Declined"), _("Cost")],
    )
    for figures, start, end in ((totals, scope.start, scope.end), (previous, scope.previous_start, scope.previous_end)):
        table.rows.append(
            [
                Cell(period_name(start, end, scope.granularity), f"{start.isoformat()}/{end.isoformat()}"),
                Cell(str(figures["delights_suggested"]), figures["delights_suggested"]),
                Cell(str(figures["delights_delivered"]), figures["delights_delivered"]),
                Cell(str(figures["delights_declined"]), figures["delights_declined"]),
                Cell(figures["delight_cost"]),
            ]
        )
    return table


def _months(start: date, end: date) -> list[date]:
    months, cursor = [], start.replace(day=1)
    while cursor <= end:
        months.append(cursor)
        cursor = (cursor + timedelta(days=32)).replace(day=1)
    return months


def budgets_table(scope: Scope) -> Table:
    """Each live rule's spending per month of the range against its monthly budget (GiftSpend)."""
    table = Table(
        key="budgets",
        title=_("Gift spending against budget"),
        columns=[_("Rule"), _("Month"), _("Delivered"), _("Spent"), _("Monthly budget"), _("Used")],
        empty=_("No gift rules yet."),
    )
    for row in drilldown.gift_budgets(
        organization=scope.organization, property_id=scope.property_id, months=_months(scope.start, scope.end)
    ):
        used = row.used_percent
        table.rows.append(
            [
                Cell(row.rule.name, href=reverse("gifts:rule-history", args=[row.rule.pk])),
                Cell(date_format(row.month, "YEAR_MONTH_FORMAT"), row.month.strftime("%Y-%m")),
                Cell(str(row.deliveries), row.deliveries),
                Cell(f"{row.spent:.2f}", row.spent),
                Cell(_("No cap") if row.budget is None else f"{row.budget:.2f}", row.budget),
                Cell("–" if used is None else f"{used}%", used, css="score-low" if used and used >= 100 else ""),
            ]
        )
    return table


def memory_table(scope: Scope) -> Table:
    waiting = drilldown.preferences_to_reconfirm(
        organization=scope.organization, property_id=scope.property_id, now=scope.now
    ).count()
    duplicates = drilldown.duplicates_waiting(organization=scope.organization, property_id=scope.property_id)
    table = Table(key="memory", title=_("Memory health"), columns=[_("What"), _("Waiting now")])
    table.rows.append(
        [
            Cell(_("Preferences to reconfirm (“still true?”)")),
            Cell(str(waiting), waiting, scope.rows_url("reconfirm") if waiting else ""),
        ]
    )
    table.rows.append(
        [Cell(_("Likely duplicates to merge")), Cell(str(duplicates), duplicates, reverse("crm:duplicates"))]
    )
    return table


CHANGE_TABLES = ("drops", "themes", "not-followed-up", "low-scores")
FIGURE_TABLES = ("periods", "staff", "open-issues", "touches", "delights", "budgets", "memory")


def dashboard_tables(scope: Scope, current: dict, previous: dict, *, staff: Staff) -> dict[str, Table]:
    """Every table of the dashboard, by key (the CSV's ?table=)."""
    tables = {
        "periods": periods_table(scope, current["periods"], current["totals"], previous["totals"]),
        "open-issues": open_issues_table(scope),
        "touches": touches_table(scope, current["totals"], previous["totals"]),
        "delights": delights_table(scope, current["totals"], previous["totals"]),
        "budgets": budgets_table(scope),
        "memory": memory_table(scope),
        "drops": drops_table(scope, current["periods"], previous["periods"]),
        "themes": themes_table(scope),
        "not-followed-up": unfollowed_table(scope),
        "low-scores": low_scores_table(scope),
    }
    if staff.is_manager:  # the dashboard is managers' only; said again where the staff table is built
        tables["staff"] = staff_table(scope)
    return tables
