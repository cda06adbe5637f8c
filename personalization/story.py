"""Reads of a guest's whole story for the card: what they told us in surveys, what they allow us to send, and a
timeline of everything that happened with them, newest first. The card is personalization's screen, so it may
read personalization's rows (feedback, touches, delights) beside crm's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import chain

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from crm.models import ChangeAction, ChangeRecord, Customer, IssueStatus
from crm.services.customers import UNSUBSCRIBE_LINK
from crm.templatetags.rapport import choice_label
from personalization.models import Delight, Feedback, Touch

TIMELINE_PAGE = 15
LOW_SCORE = 2  # a survey answer at or below this is shown in red: someone should call


@dataclass(frozen=True)
class Event:
    """One line of the timeline."""

    at: datetime
    kind: str  # contact, issue, preference, delight, touch, feedback: a CSS class and a filter
    label: str  # what happened, in the staff's language
    text: str = ""  # what it was about, as entered (a note, a summary, a comment: never translated)


def feedback_of(customer: Customer) -> QuerySet[Feedback]:
    """The guest's survey answers, newest first, with the issue each was about."""
    return Feedback.objects.filter(customer=customer).select_related("issue").order_by("-created_at", "-id")


def unsubscribed_at(customer: Customer) -> datetime | None:
    """When the guest unsubscribed through a link in a message, if that is why they receive nothing now."""
    if customer.consent_service or customer.consent_marketing:
        return None
    last = (
        ChangeRecord.objects.filter(
            target_type="customer",
            target_id=customer.pk,
            action=ChangeAction.CUSTOMER_UPDATE,
            changes__via=UNSUBSCRIBE_LINK,
        )
        .order_by("-created_at", "-id")
        .values_list("created_at", flat=True)
        .first()
    )
    return last


def timeline(customer: Customer, *, page: int = 1) -> tuple[list[Event], bool]:
    """One page of the guest's timeline, newest first, and whether there is more. Each kind of row is read newest
    first and only as far as this page can reach (page × size rows of each), then merged."""
    reach = page * TIMELINE_PAGE + 1
    events = sorted(
        chain(
            _contacts(customer, reach),
            _issues(customer, reach),
            _preferences(customer, reach),
            _delights(customer, reach),
            _touches(customer, reach),
            _feedback(customer, reach),
        ),
        key=lambda event: event.at,
        reverse=True,
    )
    start = (page - 1) * TIMELINE_PAGE
    return events[start : start + TIMELINE_PAGE], len(events) > start + TIMELINE_PAGE


def _contacts(customer: Customer, reach: int):
    for contact in customer.contacts.order_by("-occurred_at", "-id")[:reach]:
        yield Event(contact.occurred_at, "contact", contact.get_kind_display(), contact.note)


def _issues(customer: Customer, reach: int):
    # An issue is two moments: opened, and (when it was) resolved.
    for issue in customer.issues.order_by("-opened_at", "-id")[:reach]:
        severity = choice_label(issue.severity, "severity")
        yield Event(issue.opened_at, "issue", _("Issue opened (%(severity)s)") % {"severity": severity}, issue.summary)
        if issue.resolved_at and issue.status in (IssueStatus.RESOLVED, IssueStatus.CLOSED):
            yield Event(issue.resolved_at, "issue", _("Issue resolved"), issue.resolution or issue.summary)


def _preferences(customer: Customer, reach: int):
    for preference in customer.preferences.order_by("-created_at", "-id")[:reach]:
        label = _("Preference recorded: %(category)s · %(polarity)s") % {
            "category": choice_label(preference.category, "category"),
            "polarity": choice_label(preference.polarity, "polarity"),
        }
        yield Event(preference.created_at, "preference", label, preference.text)


def _delights(customer: Customer, reach: int):
    for delight in Delight.objects.filter(customer=customer).order_by("-created_at", "-id")[:reach]:
        at = delight.delivered_at or delight.declined_at or delight.planned_at or delight.created_at
        label = _("Gift: %(status)s") % {"status": delight.get_status_display()}
        yield Event(at, "delight", label, delight.gift)


def _touches(customer: Customer, reach: int):
    for touch in Touch.objects.filter(customer=customer).select_related("issue").order_by("-due_at", "-id")[:reach]:
        label = f"{touch.get_kind_display()} · {touch.get_status_display()}"
        yield Event(touch.sent_at or touch.due_at, "touch", label, touch.issue.summary if touch.issue else "")


def _feedback(customer: Customer, reach: int):
    for answer in feedback_of(customer)[:reach]:
        label = _("Survey answer: %(score)s/5") % {"score": answer.score}
        yield Event(answer.created_at, "feedback", label, answer.comment)
