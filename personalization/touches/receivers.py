"""crm's and the gift rules' events → the touches they cause (personalization.touches.services.outbox and
.notices). Connected in PersonalizationConfig.ready(); each signal is sent inside its writer's transaction,
so the touch rows are written in that same transaction. The table of signals and what they write is in the
README (Architecture)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from crm import signals
from crm.models import Contact, Customer, Issue
from personalization.gifts import signals as gift_signals
from personalization.models import Delight, GiftRule, Touch
from personalization.touches.services import notices, outbox


def _on_issue_resolved(sender: Any, *, issue: Issue, **kwargs: Any) -> None:
    outbox.touch_schedule_follow_up(issue=issue)


def _on_issue_reopened(sender: Any, *, issue: Issue, **kwargs: Any) -> None:
    outbox.touches_cancel(touches=Touch.objects.filter(issue=issue), reason="issue reopened")


def _on_contact_logged(sender: Any, *, contact: Contact, **kwargs: Any) -> None:
    outbox.touch_schedule_thank_you(contact=contact)


def _on_contact_restricted(sender: Any, *, customer: Customer, **kwargs: Any) -> None:
    outbox.touches_cancel_withdrawn(customer=customer)


def _on_customer_erasing(sender: Any, *, customer: Customer, **kwargs: Any) -> int:
    return outbox.touches_cancel(touches=Touch.objects.filter(customer=customer), reason="customer erased")


def _on_customer_merged(sender: Any, *, kept: Customer, duplicate: Customer, **kwargs: Any) -> None:
    outbox.touches_cancel_merge_twins(kept=kept)


def _on_delight_planned(sender: Any, *, delight: Delight, **kwargs: Any) -> None:
    notices.notice_schedule(delight=delight)


def _on_delights_suggested(sender: Any, *, rule: GiftRule, since: datetime, **kwargs: Any) -> None:
    notices.notices_schedule_for_rule(rule=rule, since=since)


def _on_delight_declined(sender: Any, *, delight: Delight, **kwargs: Any) -> None:
    outbox.touches_cancel_for_gifts(delight=delight)


def _on_delights_expired(sender: Any, **kwargs: Any) -> None:
    outbox.touches_cancel_for_gifts()


def connect() -> None:
    signals.issue_resolved.connect(_on_issue_resolved, dispatch_uid="touches.issue_resolved")
    signals.issue_reopened.connect(_on_issue_reopened, dispatch_uid="touches.issue_reopened")
    signals.contact_logged.connect(_on_contact_logged, dispatch_uid="touches.contact_logged")
    signals.customer_contact_restricted.connect(_on_contact_restricted, dispatch_uid="touches.restricted")
    signals.customer_erasing.connect(_on_customer_erasing, dispatch_uid="touches.erasing")
    signals.customer_merged.connect(_on_customer_merged, dispatch_uid="touches.merged")
    gift_signals.delight_planned.connect(_on_delight_planned, dispatch_uid="touches.delight_planned")
    gift_signals.delights_suggested.connect(_on_delights_suggested, dispatch_uid="touches.delights_suggested")
    gift_signals.delight_declined.connect(_on_delight_declined, dispatch_uid="touches.delight_declined")
    gift_signals.delights_expired.connect(_on_delights_expired, dispatch_uid="touches.delights_expired")
