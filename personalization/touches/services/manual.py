"""What staff and customers do to touches: cancel, send now, unsubscribe, leave feedback."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import services as crm_services
from crm.errors import Conflict
from crm.models import ChangeAction, Customer
from crm.services.common import User, record
from crm.services.customers import UNSUBSCRIBE_LINK
from personalization.models import Feedback, Touch, TouchStatus
from personalization.touches.services import dispatch


@transaction.atomic
def touch_cancel(*, touch: Touch, actor: User | None = None) -> Touch:
    """A manager cancels a scheduled touch (a sent one cannot be unsent)."""
    touch = Touch.objects.select_for_update().get(pk=touch.pk)
    if touch.status not in (TouchStatus.SCHEDULED, TouchStatus.SENDING) or touch.attempt_started_at:
        raise Conflict(_("Only a scheduled touch can be cancelled."))
    before = touch.status
    touch.status, touch.reason, touch.claimed_at = TouchStatus.CANCELLED, "cancelled by staff", None
    touch.full_clean()
    touch.save(update_fields=["status", "reason", "claimed_at", "updated_at"])
    record(
        organization=touch.organization,
        actor=actor,
        action=ChangeAction.TOUCH_CANCEL,
        target=touch,
        changes={"status": {"old": before, "new": touch.status}},
    )
    return touch


@transaction.atomic
def touch_send_now(*, touch: Touch, actor: User | None = None, enqueue: dispatch.EnqueueBatch | None = None) -> Touch:
    """A manager sends a scheduled touch now: claimed here and, after the commit, handed to a worker as a batch
    of one, by the dispatcher's path.

    Consent and do-not-contact are still checked by the worker; quiet hours still apply."""
    now = timezone.now()
    claimed = Touch.objects.filter(pk=touch.pk, status=TouchStatus.SCHEDULED).update(
        status=TouchStatus.SENDING, due_at=now, claimed_at=now, updated_at=now
    )
    if not claimed:
        raise Conflict(_("Only a scheduled touch can be sent now."))
    touch.refresh_from_db()
    changes = {"status": {"old": TouchStatus.SCHEDULED, "new": touch.status}}
    record(
        organization=touch.organization, actor=actor, action=ChangeAction.TOUCH_SEND_NOW, target=touch, changes=changes
    )
    enqueue = enqueue or dispatch._default_enqueue_batch
    transaction.on_commit(partial(dispatch._enqueue_batches, [touch.pk], enqueue), robust=True)
    return touch


@transaction.atomic
def customer_unsubscribe(*, customer: Customer) -> Customer:
    """The guest followed an unsubscribe link: no more automated messages. Through crm's service, so
    the change is recorded and the restriction signal cancels their pending touches."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    return crm_services.customer_update(
        customer=customer,
        via=UNSUBSCRIBE_LINK,
        consent_service=False,
        consent_marketing=False,
        consent_surprises=False,
    )


@transaction.atomic
def feedback_record(*, touch: Touch, score: int, comment: str = "") -> Feedback:
    """Record the 1–5 score a survey link collected for this touch, once: the link is a bearer token (a
    forwarded mail, a shared inbox), so a second answer, even from the guest, is refused rather than
    allowed to rewrite the first (Conflict)."""
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise ValidationError({"score": [_("Choose a score from 1 to 5.")]})
    touch = Touch.objects.select_for_update().get(pk=touch.pk)  # two answers at once: the second waits, then sees
    if Feedback.objects.filter(touch=touch).exists():
        raise Conflict(_("This survey has already been answered."))
    feedback = Feedback(touch=touch, customer_id=touch.customer_id, issue_id=touch.issue_id)
    feedback.score, feedback.comment = score, comment.strip()
    feedback.full_clean()
    feedback.save()
    return feedback


@transaction.atomic
def touches_fast_forward(*, until: datetime, now: datetime) -> int:
    """Demos and operators (dispatch_touches --fast-forward): what falls due by until is due now."""
    return Touch.objects.filter(status=TouchStatus.SCHEDULED, due_at__gt=now, due_at__lte=until).update(
        due_at=now, updated_at=now
    )
