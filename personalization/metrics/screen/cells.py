"""The cells of a guest, a survey answer, an issue and a contact, as the drill-down and what-to-change tables show
them (each leading to the guest's card)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from personalization.metrics import insights
from personalization.metrics.screen.scope import moment
from personalization.metrics.tables import Cell


def guest_cell(customer) -> Cell:
    return Cell(customer.display_name, href=reverse("card:customer", args=[customer.pk]))


def answer_cells(answer) -> list[Cell]:
    return [
        guest_cell(answer.customer),
        Cell(f"{answer.score}/5", answer.score, css="score-low" if answer.score <= insights.LOW_SCORE else ""),
        Cell(answer.comment),
        Cell(moment(answer.created_at), answer.created_at.isoformat()),
    ]


def issue_cells(issue) -> list[Cell]:
    return [
        guest_cell(issue.customer),
        Cell(issue.summary),
        Cell(str(issue.get_severity_display()), issue.severity),
        Cell(str(issue.get_status_display()), issue.status),
        Cell(moment(issue.opened_at), issue.opened_at.isoformat()),
    ]


def contact_cells(contact) -> list[Cell]:
    yes, no = _("Yes"), _("No")
    return [
        guest_cell(contact.customer),
        Cell(str(contact.get_kind_display()), contact.kind),
        Cell(moment(contact.occurred_at), contact.occurred_at.isoformat()),
        Cell(yes if contact.greeted_by_name else no, int(contact.greeted_by_name)),
        Cell(yes if contact.preference_honored else no, int(contact.preference_honored)),
        Cell(yes if contact.delight_delivered else no, int(contact.delight_delivered)),
    ]
