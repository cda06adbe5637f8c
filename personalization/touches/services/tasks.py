"""What the desk does with its staff tasks ("call them back"): take one, finish it with an outcome.

A task is a Touch of channel ``staff_task`` (see personalization.models.touches): the dispatcher never claims
it; it is open (``scheduled``) from the moment the event wrote it until the desk finishes it (``done``), or an
event cancels it. Finishing logs the call as a contact through crm's service, so the guest's history and
counts hold it like any other call.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import services as crm_services
from crm.errors import Conflict
from crm.models import ChangeAction, ContactKind, EventType, Property
from crm.services.common import User, record, user_or_none
from crm.webhooks import services as webhooks
from personalization.metrics.services.days import metrics_touches_finished
from personalization.models import Channel, TaskOutcome, Touch, TouchStatus


def _open_task(touch: Touch) -> Touch:
    """The task's row, locked; Conflict when it is not an open task any more."""
    task = Touch.objects.select_for_update().select_related("customer__organization").get(pk=touch.pk)
    if task.channel != Channel.STAFF_TASK:
        raise Conflict(_("This is a message, not a task."))
    if task.status == TouchStatus.DONE:
        raise Conflict(_("This task is already done."))
    if task.status != TouchStatus.SCHEDULED:
        raise Conflict(_("This task was cancelled: %(reason)s") % {"reason": task.reason or "—"})
    return task


@transaction.atomic
def task_claim(*, touch: Touch, actor: User) -> Touch:
    """Someone at the desk takes an open task (also from a colleague who took it and went home)."""
    task = _open_task(touch)
    if task.assignee_id == actor.pk:
        return task
    before = task.assignee_id
    task.assignee = actor
    task.save(update_fields=["assignee", "updated_at"])
    record(
        organization=task.customer.organization,
        actor=actor,
        action=ChangeAction.TASK_CLAIM,
        target=task,
        changes={"assignee": {"old": before, "new": actor.pk}},
    )
    return task


@transaction.atomic
def task_finish(
    *, touch: Touch, actor: User | None, outcome: str, note: str = "", property: Property | None = None
) -> Touch:
    """Finish an open task with how it went (reached, no answer, left a message) and a note; the call is logged
    as a contact of the guest (crm.services.contact_log). ValidationError on the outcome or the note (nothing
    written); Conflict when the task is done or cancelled already."""
    if outcome not in TaskOutcome.values:
        raise ValidationError({"outcome": [_("Choose reached, no answer or left a message.")]})
    note = (note or "").strip()
    task = _open_task(touch)
    now = timezone.now()
    task.status, task.outcome, task.note, task.done_at = TouchStatus.DONE, outcome, note, now
    task.done_by = user_or_none(actor)
    if task.assignee_id is None:
        task.assignee = task.done_by
    task.full_clean(exclude=["customer", "organization", "property", "issue", "delight", "contact"])
    # The contact's note says how it went, in the desk's language, then what they wrote.
    said = str(TaskOutcome(outcome).label)
    contact = crm_services.contact_log(
        customer=task.customer,
        kind=ContactKind.CALL,
        actor=actor,
        property=property or task.property,
        occurred_at=now,
        note=f"{said}: {note}" if note else said,
    )
    task.contact = contact
    task.save(update_fields=["status", "outcome", "note", "done_at", "done_by", "assignee", "contact", "updated_at"])
    metrics_touches_finished([task], status=TouchStatus.DONE, at=now)
    record(
        organization=task.customer.organization,
        actor=actor,
        action=ChangeAction.TASK_DONE,
        target=task,
        changes={
            "status": {"old": TouchStatus.SCHEDULED, "new": TouchStatus.DONE},
            "outcome": {"new": outcome},
            "note": {"new": note},
        },
    )
    webhooks.webhook_event_record(
        organization_id=task.organization_id,
        event_type=EventType.TASK_DONE,
        data={
            "id": task.pk,
            "customer": task.customer_id,
            "kind": "call_back",
            "issue": task.issue_id,
            "outcome": outcome,
            "done_at": now.isoformat(),
        },
    )
    return task
