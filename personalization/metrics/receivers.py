"""crm's events counted: each receiver adds to the day counters inside crm's writing transaction — but a contact,
which is only marked pending there and counted by the fold (services.contacts)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver
from django.utils import timezone

from crm import signals
from crm.models import Contact, Customer, Issue, Merge
from personalization.metrics import events
from personalization.metrics.services import contacts, days, durations
from personalization.models.metrics import Measure

CONTACT_MOVED = "crm.contact.customer"  # Merge.moved's key of the contacts a merge moved


@receiver(signals.contact_logged, dispatch_uid="metrics.contact_logged")
def _on_contact_logged(sender: Any, *, contact: Contact, **kwargs: Any) -> None:
    contacts.metrics_contact_logged(contact=contact)


def _issue_event(issue: Issue, actor: Any, at, **counters: int) -> None:
    days.metrics_count(
        organization_id=issue.customer.organization_id,
        property_id=issue.property_id,
        staff_id=days.staff_id_of(actor),
        at=at,
        **counters,
    )


@receiver(signals.issue_opened, dispatch_uid="metrics.issue_opened")
def _on_issue_opened(sender: Any, *, issue: Issue, actor: Any = None, **kwargs: Any) -> None:
    _issue_event(issue, actor, issue.opened_at, **events.issue_opened_counters(severity=issue.severity))


def _issue_ended(issue: Issue, actor: Any, ended, measure: Measure, counter: str) -> None:
    """An issue answered or resolved: counted on that day, and how long it took since it was opened."""
    _issue_event(issue, actor, ended, **{counter: 1})
    durations.metrics_duration(
        organization_id=issue.customer.organization_id,
        property_id=issue.property_id,
        staff_id=days.staff_id_of(actor),
        at=ended,
        measure=measure,
        seconds=(ended - issue.opened_at).total_seconds(),
    )


@receiver(signals.issue_answered, dispatch_uid="metrics.issue_answered")
def _on_issue_answered(sender: Any, *, issue: Issue, actor: Any = None, **kwargs: Any) -> None:
    _issue_ended(issue, actor, issue.first_response_at, Measure.FIRST_RESPONSE, "issues_first_responses")


@receiver(signals.issue_resolved, dispatch_uid="metrics.issue_resolved")
def _on_issue_resolved(sender: Any, *, issue: Issue, actor: Any = None, **kwargs: Any) -> None:
    _issue_ended(issue, actor, issue.resolved_at, Measure.RESOLUTION, "issues_resolved")


@receiver(signals.issue_reopened, dispatch_uid="metrics.issue_reopened")
def _on_issue_reopened(sender: Any, *, issue: Issue, actor: Any = None, at=None, **kwargs: Any) -> None:
    _issue_event(issue, actor, at or timezone.now(), issues_reopened=1)


def _merged_guest_days(kept: Customer, duplicate: Customer, merge: Merge, *, undone: bool) -> None:
    """A merge makes two profiles' guest-days one guest's (a day both came counts once, and the later one's
    first visit may now be a return); its undo parts them again. Over the contacts already counted: under the
    fold lock, taken first, the pending ones stay pending and are counted later against the guest as they now
    are (the contacts have moved already when the signal comes)."""
    contacts.fold_lock(kept.organization_id)
    zones = days.Zones(kept.organization_id)
    if undone:  # the history is back with the duplicate
        ours, theirs = days.contacts_of(kept.pk, counted=True), days.contacts_of(duplicate.pk, counted=True)
    else:
        moved = merge.moved.get(CONTACT_MOVED, [])
        ours = days.contacts_of(kept.pk, exclude=moved, counted=True)
        theirs = days.contacts_of(kept.pk, only=moved, counted=True)
    one = days.guest_days(ours + theirs, zones)
    two = days.guest_days(ours, zones) + days.guest_days(theirs, zones)
    days.metrics_guest_days_changed(
        organization_id=kept.organization_id, before=one if undone else two, after=two if undone else one
    )


@receiver(signals.customer_merged, dispatch_uid="metrics.customer_merged")
def _on_customer_merged(sender: Any, *, kept: Customer, duplicate: Customer, merge: Merge, **kwargs: Any) -> None:
    _merged_guest_days(kept, duplicate, merge, undone=False)


@receiver(signals.customer_unmerged, dispatch_uid="metrics.customer_unmerged")
def _on_customer_unmerged(sender: Any, *, kept: Customer, duplicate: Customer, merge: Merge, **kwargs: Any) -> None:
    _merged_guest_days(kept, duplicate, merge, undone=True)


@receiver(signals.customer_erasing, dispatch_uid="metrics.customer_erasing")
def _on_customer_erasing(sender: Any, *, customer: Customer, **kwargs: Any) -> None:
    # Their contacts go with them: those still pending are counted first, so an erased guest's contacts still count.
    contacts.metrics_caught_up(customer.organization_id)
