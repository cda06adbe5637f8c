"""What staff and customers do to touches: cancel, send now, unsubscribe, leave feedback."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import services as crm_services
from crm.errors import Conflict
from crm.models import ChangeAction, Customer, EventType
from crm.services.common import User, record
from crm.services.customers import UNSUBSCRIBE_LINK
from crm.webhooks import services as webhooks
from personalization.metrics import events
from personalization.metrics.services.days import metrics_count, metrics_touches_finished
from personalization.models import Channel, Feedback, Touch, TouchStatus
from personalization.touches.services import dispatch

log = logging.getLogger(__name__)
# A click waits for this at most: one try and one retry 0.1 s later (the dispatcher's own publishes retry more).
SEND_NOW_PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0.1, "interval_step": 0.1}


@transaction.atomic
def touch_cancel(*, touch: Touch, actor: User | None = None) -> Touch:
    """A manager cancels a touch that has not gone out: scheduled, failed, or stuck in sending (a worker died,
    the broker lost it, or its data kept failing it). Not one a worker is handing to the mail server right now
    (it may already be delivered), nor a sent, skipped or cancelled one."""
    touch = Touch.objects.select_for_update().get(pk=touch.pk)
    if touch.in_flight():
        raise Conflict(_("This touch is with the mail server right now; try again in a few minutes."))
    if not touch.cancellable():
        raise Conflict(_("Only a touch that has not gone out can be cancelled."))
    before = touch.status
    touch.status, touch.reason, touch.claimed_at = TouchStatus.CANCELLED, "cancelled by staff", None
    touch.attempt_started_at = None
    touch.full_clean()
    touch.save(update_fields=["status", "reason", "claimed_at", "attempt_started_at", "updated_at"])
    metrics_touches_finished([touch], status=TouchStatus.CANCELLED, at=timezone.now())
    record(
        actor=actor,
        action=ChangeAction.TOUCH_CANCEL,
        target=touch,
        changes={"status": {"old": before, "new": touch.status}},
    )
    return touch


@dataclass
class SendNow:
    """What a send-now did: the touch, and whether the broker took its send task (None: not yet known,
    the publish waits for the caller's transaction to commit)."""

    touch: Touch
    handed_to_worker: bool | None = None

    def message(self) -> str:
        """What really happens next, for the manager (issue 11, finding 12: never "handed to the mail worker"
        when the broker did not take it)."""
        if self.handed_to_worker is False:
            return _(
                "The mail worker cannot be reached right now. The touch stays in the outbox: the dispatcher "
                "sends it within %(minutes)d minutes of the mail worker being reachable again."
            ) % {"minutes": send_now_fallback_minutes()}
        return _("Touch handed to the mail worker.")


def send_now_fallback_minutes() -> int:
    """How soon the dispatcher sends a touch whose send-now could not reach the broker, once it is back: it
    runs every minute and hands out again a claim older than the claim timeout."""
    return math.ceil(settings.RAPPORT_TOUCH_CLAIM_TIMEOUT_SECONDS / 60) + 1


def _publish(result: SendNow, enqueue: dispatch.EnqueueBatch) -> None:
    """After the commit: hand the batch of one to a worker. When the broker does not take it (down, refused,
    timed out), the touch goes back to scheduled, due now, for the dispatcher: nothing waits for a claim to
    go stale, and the caller can say what will really happen."""
    touch = result.touch
    try:
        enqueue([touch.pk])
    except Exception as exc:  # noqa: BLE001 - kombu's OperationalError, a timeout, a refused connection: all "not queued"
        log.warning("send-now of touch %s: the broker did not take it (%s); left to the dispatcher", touch.pk, exc)
        now = timezone.now()
        Touch.objects.filter(pk=touch.pk, status=TouchStatus.SENDING, attempt_started_at__isnull=True).update(
            status=TouchStatus.SCHEDULED, claimed_at=None, due_at=now, updated_at=now
        )
        result.handed_to_worker = False
    else:
        result.handed_to_worker = True


def touch_send_now(*, touch: Touch, actor: User | None = None, enqueue: dispatch.EnqueueBatch | None = None) -> SendNow:
    """A manager sends a touch now: a scheduled one, a failed one again (its message rendered from today's data,
    its attempts counted from zero), or one stuck in sending. Claimed here and, after the commit, handed to a
    worker as a batch of one, by the dispatcher's path; ``handed_to_worker`` says whether the broker took it.

    Consent and do-not-contact are still checked by the worker; quiet hours still apply."""
    if touch.channel == Channel.STAFF_TASK:
        raise Conflict(_("A task is done by the desk, not sent."))
    with transaction.atomic():
        touch = Touch.objects.select_for_update().get(pk=touch.pk)
        if touch.status == TouchStatus.SENDING and not touch.stuck():
            raise Conflict(_("This touch is already on its way to the mail worker."))
        if not touch.sendable_now():
            raise Conflict(_("Only a scheduled, failed or stuck touch can be sent now."))
        now = timezone.now()
        changes = {"status": {"old": touch.status, "new": TouchStatus.SENDING}}
        if touch.attempts and touch.status != TouchStatus.SCHEDULED:
            changes["attempts"] = {"old": touch.attempts, "new": 0}  # a manager's retry starts the count again
            touch.attempts = 0
        touch.status, touch.due_at, touch.claimed_at, touch.attempt_started_at = TouchStatus.SENDING, now, now, None
        touch.reason = "sent now by staff"
        touch.save(
            update_fields=["status", "due_at", "claimed_at", "attempt_started_at", "attempts", "reason", "updated_at"]
        )
        record(actor=actor, action=ChangeAction.TOUCH_SEND_NOW, target=touch, changes=changes)
        result = SendNow(touch=touch)
        transaction.on_commit(partial(_publish, result, enqueue or send_now_enqueue), robust=False)
    return result


def send_now_enqueue(touch_ids: list[int]) -> object:
    """Publish a send-now's batch: one quick try and one retry, so that a broker that is down is known in
    well under a second instead of the click hanging."""
    from personalization.tasks import send_touches

    return send_touches.apply_async((touch_ids,), retry=True, retry_policy=SEND_NOW_PUBLISH_RETRY)


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
def feedback_record(
    *, touch: Touch, score: int, comment: str = "", recommend: int | None = None, now: datetime | None = None
) -> Feedback:
    """Record the 1–5 score a survey link collected for this touch, once: the link is a bearer token (a
    forwarded mail, a shared inbox), so a second answer, even from the guest, is refused rather than
    allowed to rewrite the first (Conflict). now: when it was answered, default the present (the demo's history
    passes past moments; the answer is stamped and counted on that day)."""
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise ValidationError({"score": [_("Choose a score from 1 to 5.")]})
    if recommend is not None and (not isinstance(recommend, int) or not 0 <= recommend <= 10):
        raise ValidationError({"recommend": [_("Choose from 0 to 10, or leave it empty.")]})
    touch = Touch.objects.select_for_update().get(pk=touch.pk)  # two answers at once: the second waits, then sees
    if Feedback.objects.filter(touch=touch).exists():
        raise Conflict(_("This survey has already been answered."))
    feedback = Feedback(touch=touch, customer_id=touch.customer_id, issue_id=touch.issue_id)
    feedback.score, feedback.recommend, feedback.comment = score, recommend, comment.strip()
    feedback.full_clean()
    feedback.save()
    if now is not None:  # created_at is stamped on insert (auto_now_add): set the moment it happened
        Feedback.objects.filter(pk=feedback.pk).update(created_at=now, updated_at=now)
        feedback.created_at = feedback.updated_at = now
    metrics_count(
        organization_id=touch.organization_id,
        property_id=touch.property_id,
        staff_id=None,
        at=feedback.created_at,
        **events.feedback_counters(score=score, recommend=recommend),
    )
    webhooks.webhook_event_record(
        organization_id=touch.organization_id,
        event_type=EventType.FEEDBACK_RECEIVED,
        # The score, not the comment: the guest's own words stay in Rapport.
        data={"id": feedback.pk, "customer": feedback.customer_id, "issue": feedback.issue_id, "score": score},
    )
    return feedback


@transaction.atomic
def touches_fast_forward(*, until: datetime, now: datetime) -> int:
    """Demos and operators (dispatch_touches --fast-forward): what falls due by until is due now."""
    return Touch.objects.filter(status=TouchStatus.SCHEDULED, due_at__gt=now, due_at__lte=until).update(
        due_at=now, updated_at=now
    )
