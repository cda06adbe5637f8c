"""What the managers' dashboard shows, put together from the figures (personalization.metrics.selectors, each
figure defined once in figures.py) and the rows read at request time (drilldown, insights): the range and its
comparison, the cards, the charts and every table — the screen and the CSV files read the same tables.

The range: ?from=&to= (local days of the property), by default this month so far. The comparison: a range that is
one calendar month from its first day (this month so far, last month) is compared with the whole month before;
any other range with the range of the same length just before it (metrics_for's "previous"). Counts are compared
(up, down) only between ranges of the same length; rates, averages and medians always.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from crm.models import Organization, Property, Severity, Staff
from personalization.metrics import charts, drilldown, insights
from personalization.metrics.selectors import metrics_by_staff, metrics_for, previous_range
from personalization.metrics.tables import Cell, Table

GRANULARITY_NAMES = {
    "day": pgettext_lazy("granularity", "Day"),
    "week": pgettext_lazy("granularity", "Week"),
    "month": pgettext_lazy("granularity", "Month"),
}
DROPS_SHOWN = 10
ROWS_SHOWN = 20


@dataclass(frozen=True)
class Scope:
    """Where and when the dashboard looks."""

    organization: Organization
    place: Property | None  # None: the whole organization
    start: date
    end: date
    previous_start: date
    previous_end: date
    granularity: str
    now: datetime

    @property
    def property_id(self) -> int | None:
        return self.place.pk if self.place else None

    @property
    def same_length(self) -> bool:
        return (self.end - self.start) == (self.previous_end - self.previous_start)

    def query(self, *, start: date | None = None, end: date | None = None, **extra) -> str:
        """The query string of this scope (another range's, with extra parameters)."""
        params = {"property": self.place.pk if self.place else "all"}
        params |= {"from": (start or self.start).isoformat(), "to": (end or self.end).isoformat()}
        params |= {"granularity": self.granularity, **{k: v for k, v in extra.items() if v not in (None, "")}}
        return urlencode(params)

    def rows_url(self, kind: str, *, start: date | None = None, end: date | None = None, **extra) -> str:
        return reverse("metrics:rows", args=[kind]) + "?" + self.query(start=start, end=end, **extra)

    @property
    def place_slug(self) -> str:
        return f"property-{self.place.pk}" if self.place else "all"


def comparison_range(start: date, end: date) -> tuple[date, date]:
    """The range a range is compared with (the module's docstring)."""
    if start.day == 1 and (start.year, start.month) == (end.year, end.month):
        last = start - timedelta(days=1)
        return last.replace(day=1), last
    return previous_range(start, end)


# --- how figures read ----------------------------------------------------------------------------------------


def percent(rate: float | None) -> str:
    return "–" if rate is None else f"{round(rate * 100)}%"


def duration(seconds: int | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 3600:
        return _("%(n)s min") % {"n": max(1, round(seconds / 60)) if seconds else 0}
    if seconds < 2 * 86400:
        return _("%(n)s h") % {"n": f"{seconds / 3600:.1f}".rstrip("0").rstrip(".")}
    return _("%(n)s d") % {"n": f"{seconds / 86400:.1f}".rstrip("0").rstrip(".")}


def average(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def plain(value) -> str:
    return "–" if value is None else str(value)


def period_name(start: date, end: date, granularity: str) -> str:
    if start == end:
        return date_format(start, "SHORT_DATE_FORMAT")
    return f"{date_format(start, 'SHORT_DATE_FORMAT')} – {date_format(end, 'SHORT_DATE_FORMAT')}"


def short_label(start: date, granularity: str) -> str:
    return f"{start.year}-{start.month:02d}" if granularity == "month" else f"{start.month}/{start.day}"


# --- cards ---------------------------------------------------------------------------------------------------


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
    ("resolution_median_seconds", gettext_lazy("Resolution (median)"), duration, False, False, ""),
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


# --- charts --------------------------------------------------------------------------------------------------


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
    ("resolution_median_seconds", gettext_lazy("Resolution (median)"), "", None, duration),
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


# --- tables --------------------------------------------------------------------------------------------------


def periods_table(scope: Scope, periods: list[dict], totals: dict, previous: dict) -> Table:
    table = Table(
        key="periods",
        title=_("By period"),
        columns=[
            _("Period"),
            _("Contacts"),
            _("Greeted by name"),
            _("Preference honoured"),
            _("Delight delivered"),
            _("Returning guests"),
            _("Issues opened"),
            _("First response (median)"),
            _("Resolution (median)"),
            _("Resolution (90th percentile)"),
            _("CSAT (1–5)"),
            _("Answers"),
            _("NPS"),
        ],
    )
    rows = [(period, date.fromisoformat(period["start"]), date.fromisoformat(period["end"]), "") for period in periods]
    rows.append((totals, scope.start, scope.end, _("Total")))
    rows.append((previous, scope.previous_start, scope.previous_end, _("Compared with")))
    for figures, start, end, name in rows:
        label = period_name(start, end, scope.granularity)
        table.rows.append(
            [
                Cell(
                    f"{name} {label}".strip(),
                    value=f"{start.isoformat()}/{end.isoformat()}",
                    css="strong" if name else "",
                ),
                Cell(plain(figures["contacts"]), figures["contacts"], scope.rows_url("contacts", start=start, end=end)),
                Cell(percent(figures["greeted_by_name_rate"]), figures["greeted_by_name_rate"]),
                Cell(percent(figures["preference_honored_rate"]), figures["preference_honored_rate"]),
                Cell(percent(figures["delight_delivered_rate"]), figures["delight_delivered_rate"]),
                Cell(percent(figures["returning_guest_rate"]), figures["returning_guest_rate"]),
                Cell(
                    plain(figures["issues_opened"]),
                    figures["issues_opened"],
                    scope.rows_url("issues", start=start, end=end),
                ),
                Cell(duration(figures["first_response_median_seconds"]), figures["first_response_median_seconds"]),
                Cell(duration(figures["resolution_median_seconds"]), figures["resolution_median_seconds"]),
                Cell(duration(figures["resolution_p90_seconds"]), figures["resolution_p90_seconds"]),
                Cell(
                    average(figures["csat_average"]),
                    figures["csat_average"],
                    scope.rows_url("answers", start=start, end=end) if figures["csat_responses"] else "",
                ),
                Cell(plain(figures["csat_responses"]), figures["csat_responses"]),
                Cell(plain(figures["nps"]), figures["nps"]),
            ]
        )
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
        columns=[
            _("Member of staff"),
            _("Contacts"),
            _("Greeted by name"),
            _("Preference honoured"),
            _("Delight delivered"),
            _("Issues opened"),
            _("First responses"),
            _("First response (median)"),
            _("Issues resolved"),
            _("Resolution (median)"),
            _("Tasks done"),
            _("Delights delivered"),
        ],
        empty=_("Nobody logged anything in this range."),
    )
    order = sorted(by_staff, key=lambda user_id: (-by_staff[user_id]["contacts"], names[user_id]))
    for user_id in order:
        f = by_staff[user_id]
        table.rows.append(
            [
                Cell(names[user_id]),
                Cell(plain(f["contacts"]), f["contacts"]),
                Cell(percent(f["greeted_by_name_rate"]), f["greeted_by_name_rate"]),
                Cell(percent(f["preference_honored_rate"]), f["preference_honored_rate"]),
                Cell(percent(f["delight_delivered_rate"]), f["delight_delivered_rate"]),
                Cell(plain(f["issues_opened"]), f["issues_opened"]),
                Cell(plain(f["issues_first_responses"]), f["issues_first_responses"]),
                Cell(duration(f["first_response_median_seconds"]), f["first_response_median_seconds"]),
                Cell(plain(f["issues_resolved"]), f["issues_resolved"]),
                Cell(duration(f["resolution_median_seconds"]), f["resolution_median_seconds"]),
                Cell(plain(f["tasks_done"]), f["tasks_done"]),
                Cell(plain(f["delights_delivered"]), f["delights_delivered"]),
            ]
        )
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


# --- what to change ------------------------------------------------------------------------------------------

FIGURE_NAMES = {
    "greeted_by_name_rate": gettext_lazy("Greeted by name"),
    "csat_average": gettext_lazy("CSAT (1–5)"),
}


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
            now = metrics_for(
                organization_id=scope.organization.pk,
                property_id=place.pk,
                start=scope.start,
                end=scope.end,
                granularity="month",
            )["totals"]
            before = metrics_for(
                organization_id=scope.organization.pk,
                property_id=place.pk,
                start=scope.previous_start,
                end=scope.previous_end,
                granularity="month",
            )["totals"]
            bounds = [
                {**before, "start": scope.previous_start.isoformat(), "end": scope.previous_end.isoformat()},
                {**now, "start": scope.start.isoformat(), "end": scope.end.isoformat()},
            ]
            found += insights.drops_between(bounds, property_id=place.pk, property_name=place.name)
    table.rows = _drop_rows(scope, found)
    return table


def themes_table(scope: Scope) -> Table:
    """The words recurring in the summaries of the issues opened over the window the charts show (the comparison
    range and the range): a theme needs more than a few days' issues to recur."""
    table = Table(
        key="themes",
        title=_("Recurring issue themes"),
        columns=[_("Theme"), _("Issues")],
        empty=_("No word recurs in the summaries of this range's issues."),
    )
    for theme in insights.recurring_themes(
        organization=scope.organization, property_id=scope.property_id, start=scope.previous_start, end=scope.end
    ):
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
    rows = insights.resolved_not_followed_up(
        organization=scope.organization,
        property_id=scope.property_id,
        start=scope.start,
        end=scope.end,
        now=scope.now,
    )
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
    rows = insights.low_scores_unanswered(
        organization=scope.organization, property_id=scope.property_id, start=scope.start, end=scope.end
    )
    table.rows = [answer_cells(answer) for answer in (rows[:limit] if limit else rows)]
    return table


# --- rows (drill-down) ---------------------------------------------------------------------------------------


def moment(at: datetime | None) -> str:
    return "" if at is None else date_format(at, "SHORT_DATETIME_FORMAT")


def _guest(customer) -> Cell:
    return Cell(customer.display_name, href=reverse("card:customer", args=[customer.pk]))


def answer_cells(answer) -> list[Cell]:
    return [
        _guest(answer.customer),
        Cell(f"{answer.score}/5", answer.score, css="score-low" if answer.score <= insights.LOW_SCORE else ""),
        Cell(answer.comment),
        Cell(moment(answer.created_at), answer.created_at.isoformat()),
    ]


def issue_cells(issue) -> list[Cell]:
    return [
        _guest(issue.customer),
        Cell(issue.summary),
        Cell(str(issue.get_severity_display()), issue.severity),
        Cell(str(issue.get_status_display()), issue.status),
        Cell(moment(issue.opened_at), issue.opened_at.isoformat()),
    ]


def contact_cells(contact) -> list[Cell]:
    yes, no = _("Yes"), _("No")
    return [
        _guest(contact.customer),
        Cell(str(contact.get_kind_display()), contact.kind),
        Cell(moment(contact.occurred_at), contact.occurred_at.isoformat()),
        Cell(yes if contact.greeted_by_name else no, int(contact.greeted_by_name)),
        Cell(yes if contact.preference_honored else no, int(contact.preference_honored)),
        Cell(yes if contact.delight_delivered else no, int(contact.delight_delivered)),
    ]


CHANGE_TABLES = ("drops", "themes", "not-followed-up", "low-scores")
FIGURE_TABLES = ("periods", "staff", "open-issues", "touches", "delights", "budgets", "memory")
ROW_KINDS = ("answers", "issues", "contacts", "open-issues", "theme", "not-followed-up", "low-scores", "reconfirm")
ISSUE_COLUMNS = (
    gettext_lazy("Guest"),
    gettext_lazy("Issue"),
    gettext_lazy("Severity"),
    gettext_lazy("Status"),
    gettext_lazy("Opened"),
)


def rows_table(scope: Scope, kind: str, *, severity: str = "", word: str = "") -> Table:
    """The rows behind one figure of the dashboard (every row: the screen pages them, the CSV has them all)."""
    org, pid, start, end = scope.organization, scope.property_id, scope.start, scope.end
    if kind == "answers":
        table = Table(kind, _("Survey answers"), [_("Guest"), _("Score"), _("Comment"), _("Answered")])
        table.rows = [
            answer_cells(a) for a in drilldown.answers_of(organization=org, property_id=pid, start=start, end=end)
        ]
    elif kind in ("issues", "open-issues", "theme"):
        if kind == "issues":
            title, issues = (
                _("Issues opened"),
                drilldown.issues_opened_in(organization=org, property_id=pid, start=start, end=end),
            )
            if severity in Severity.values:
                issues = issues.filter(severity=severity)
        elif kind == "open-issues":
            title, issues = _("Issues still open"), drilldown.open_issues_list(organization=org, property_id=pid)
            if severity in Severity.values:
                issues = issues.filter(severity=severity)
        else:
            title = _("Issues about “%(word)s”") % {"word": word}
            issues = insights.issues_of_theme(organization=org, property_id=pid, start=start, end=end, word=word)
        table = Table(kind, title, [str(c) for c in ISSUE_COLUMNS])
        table.rows = [issue_cells(issue) for issue in issues]
    elif kind == "contacts":
        table = Table(
            kind,
            _("Contacts"),
            [_("Guest"), _("Kind"), _("When"), _("Greeted by name"), _("Preference honoured"), _("Delight delivered")],
        )
        table.rows = [
            contact_cells(c) for c in drilldown.contacts_in(organization=org, property_id=pid, start=start, end=end)
        ]
    elif kind == "not-followed-up":
        table = unfollowed_table(scope, limit=None)
    elif kind == "low-scores":
        table = low_scores_table(scope, limit=None)
    else:  # reconfirm
        table = Table(kind, _("Preferences to reconfirm"), [_("Guest"), _("Preference"), _("Last confirmed")])
        for preference in drilldown.preferences_to_reconfirm(organization=org, property_id=pid, now=scope.now):
            table.rows.append(
                [
                    _guest(preference.customer),
                    Cell(preference.text),
                    Cell(moment(preference.last_confirmed_at), preference.last_confirmed_at.isoformat()),
                ]
            )
    table.empty = table.empty or _("No rows in this range.")
    return table


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
