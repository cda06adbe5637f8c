"""The rows behind each figure (drill-down): one table per kind, every row (the screen pages them)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.models import Severity
from personalization.metrics import drilldown, insights
from personalization.metrics.screen.cells import answer_cells, contact_cells, guest_cell, issue_cells
from personalization.metrics.screen.change import low_scores_table, unfollowed_table
from personalization.metrics.screen.scope import Scope, duration, moment
from personalization.metrics.tables import Cell, Table

ROW_KINDS = (
    "answers",
    "issues",
    "resolved",
    "contacts",
    "open-issues",
    "theme",
    "not-followed-up",
    "low-scores",
    "reconfirm",
)
ISSUE_COLUMNS = (
    gettext_lazy("Guest"),
    gettext_lazy("Issue"),
    gettext_lazy("Severity"),
    gettext_lazy("Status"),
    gettext_lazy("Opened"),
)


def rows_table(scope: Scope, kind: str, *, severity: str = "", word: str = "") -> Table:
    """The rows behind one figure of the dashboard (every row: the screen pages them, the CSV has them all)."""
    period = scope.period()
    if kind == "answers":
        table = Table(kind, _("Survey answers"), [_("Guest"), _("Score"), _("Comment"), _("Answered")])
        table.rows = [answer_cells(a) for a in drilldown.answers_of(period)]
    elif kind in ("issues", "open-issues", "theme"):
        if kind == "issues":
            title, issues = _("Issues opened"), drilldown.issues_opened_in(period)
            if severity in Severity.values:
                issues = issues.filter(severity=severity)
        elif kind == "open-issues":
            title = _("Issues still open")
            issues = drilldown.open_issues_list(organization=scope.organization, property_id=scope.property_id)
            if severity in Severity.values:
                issues = issues.filter(severity=severity)
        else:
            title = _("Issues about “%(word)s”") % {"word": word}
            issues = insights.issues_of_theme(period, word=word)
        table = Table(kind, title, [str(c) for c in ISSUE_COLUMNS])
        table.rows = [issue_cells(issue) for issue in issues]
    elif kind == "resolved":
        table = Table(kind, _("Issues resolved"), [*(str(c) for c in ISSUE_COLUMNS), _("Resolved"), _("Took")])
        for issue in drilldown.issues_resolved_in(period):
            took = int((issue.resolved_at - issue.opened_at).total_seconds())
            table.rows.append(
                [
                    *issue_cells(issue),
                    Cell(moment(issue.resolved_at), issue.resolved_at.isoformat()),
                    Cell(duration(took), took),
                ]
            )
    elif kind == "contacts":
        table = Table(
            kind,
            _("Contacts"),
            [_("Guest"), _("Kind"), _("When"), _("Greeted by name"), _("Preference honoured"), _("Delight delivered")],
        )
        table.rows = [contact_cells(c) for c in drilldown.contacts_in(period)]
    elif kind == "not-followed-up":
        table = unfollowed_table(scope, limit=None)
    elif kind == "low-scores":
        table = low_scores_table(scope, limit=None)
    else:  # reconfirm
        table = Table(kind, _("Preferences to reconfirm"), [_("Guest"), _("Preference"), _("Last confirmed")])
        for preference in drilldown.preferences_to_reconfirm(
            organization=scope.organization, property_id=scope.property_id, now=scope.now
        ):
            table.rows.append(
                [
                    guest_cell(preference.customer),
                    Cell(preference.text),
                    Cell(moment(preference.last_confirmed_at), preference.last_confirmed_at.isoformat()),
                ]
            )
    table.empty = table.empty or _("No rows in this range.")
    return table
