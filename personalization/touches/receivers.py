"""crm's and the gift rules' events → the touches they cause (personalization.touches.services.outbox and
.notices). Connected as PersonalizationConfig.ready() imports it; each signal is sent inside its writer's transaction,
so the touch rows are written in that same transaction. The table of signals and what they write is in the
README (Architecture)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.dispatch import receiver

from crm import signals
from crm.models import Contact, Customer, Issue
from personalization.gifts import signals as gift_signals
from personalization.models import Delight, GiftRule, Touch
from personalization.touches.services import notices, outbox


@receiver(signals.issue_resolved, dispatch_uid="touches.issue_resolved")
def _on_issue_resolved(sender: Any, *, issue: Issue, **kwargs: Any) -> None:
    outbox.touch_schedule_follow_up(issue=issue)


@receiver(signals.issue_reopened, dispatch_uid="touches.issue_reopened")
def _on_issue_reopened(sender: Any, *, issue: Issue, **kwargs: Any) -> None:
    outbox.touches_cancel(touches=Touch.objects.filter(issue=issue), reason="issue reopened")


@receiver(signals.contact_logged, dispatch_uid="touches.contact_logged")
def _on_contact_logged(sender: Any, *, contact: Contact, **kwargs: Any) -> None:
    outbox.touch_schedule_thank_you(contact=contact)


@receiver(signals.customer_contact_restricted, dispatch_uid="touches.restricted")
def _on_contact_restricted(sender: Any, *, customer: Customer, **kwargs: Any) -> None:
    outbox.touches_cancel_withdrawn(customer=customer)


@receiver(signals.customer_erasing, dispatch_uid="touches.erasing")
def _on_customer_erasing(sender: Any, *, customer: Customer, **kwargs: Any) -> int:
    return outbox.touches_cancel(touches=Touch.objects.filter(customer=customer), reason="customer erased")


@receiver(signals.customer_merged, dispatch_uid="touches.merged")
def _on_customer_merged(sender: Any, *, kept: Customer, duplicate: Customer, **kwargs: Any) -> None:
    outbox.touches_cancel_merge_twins(kept=kept)


@receiver(gift_signals.delight_planned, dispatch_uid="touches.delight_planned")
def _on_delight_planned(sender: Any, *, delight: Delight, **kwargs: Any) -> None:
    notices.notice_schedule(delight=delight)


@receiver(gift_signals.delights_suggested, dispatch_uid="touches.delights_suggested")
def _on_delights_suggested(sender: Any, *, rule: GiftRule, since: datetime, **kwargs: Any) -> None:
    notices.notices_schedule_for_rule(rule=rule, since=since)


@receiver(gift_signals.delight_declined, dispatch_uid="touches.delight_declined")
def _on_delight_declined(sender: Any, *, delight: Delight, **kwargs: Any) -> None:
    outbox.touches_cancel_for_gifts(delight=delight)


@receiver(gift_signals.delights_expired, dispatch_uid="touches.delights_expired")
def _on_delights_expired(sender: Any, **kwargs: Any) -> None:
    outbox.touches_cancel_for_gifts()
