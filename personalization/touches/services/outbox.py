"""The touches events cause, written or cancelled in the event's own transaction (transactional outbox):
a follow-up when an issue is resolved, a thank-you after a visit, and cancellations when an issue reopens,
consent is withdrawn, a customer is erased or merged, or a gift is declined or expires.

personalization.touches.receivers calls these from crm's signals (crm.signals) and the gift services'
(personalization.gifts.signals), which are sent inside the writing transaction: a touch is committed
together with the issue resolution, the contact or the delight that caused it, or not at all.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from crm.bulk import insert_parts, saved
from crm.models import Contact, ContactKind, Customer, Issue
from personalization.metrics.services.days import metrics_touches_finished
from personalization.models import (
    PENDING_STATUSES,
    Channel,
    Delight,
    DelightStatus,
    Touch,
    TouchKind,
    TouchStatus,
)
from personalization.touches import policy

THANK_YOU_KINDS = frozenset({ContactKind.DEPARTURE, ContactKind.VISIT})
THANK_YOU_AT_MOST_EVERY = timedelta(days=7)
# A contact logged after the fact (imported, back-filled) older than this is not thanked any more.
THANK_YOU_WITHIN = timedelta(days=2)
# Kinds of which a customer should have one per occasion: after a merge the later duplicate is cancelled.
ONE_PER_OCCASION = (TouchKind.BIRTHDAY, TouchKind.ANNIVERSARY, TouchKind.WIN_BACK, TouchKind.ISSUE_FOLLOW_UP)


def follow_up_key(issue: Issue) -> str:
    return f"issue_follow_up:{issue.pk}"


@transaction.atomic
def touch_schedule_follow_up(*, issue: Issue) -> Touch | None:
    """An issue was resolved: ask after the configured delay whether it is fixed (one follow-up per issue).

    A customer without an email address gets a staff task ("call them back") instead."""
    customer = issue.customer
    property_ = issue.property or policy.default_property(customer)
    due = timezone.now() + timedelta(hours=settings.RAPPORT_FOLLOW_UP_DELAY_HOURS)
    by_email = bool(customer.email)
    key = follow_up_key(issue)
    existing = Touch.objects.select_for_update().filter(idempotency_key=key).first()
    if existing is not None:
        if existing.status != TouchStatus.CANCELLED:
            return existing  # already pending, or already followed up: once per issue
        # Resolved again after a reopen: the cancelled follow-up is scheduled afresh.
        existing.status, existing.reason, existing.due_at, existing.attempts = TouchStatus.SCHEDULED, "", due, 0
        existing.claimed_at = existing.attempt_started_at = None
        existing.full_clean()
        existing.save()
        return existing
    touch = Touch(
        organization_id=customer.organization_id,
        customer=customer,
        property=property_,
        issue=issue,
        kind=TouchKind.ISSUE_FOLLOW_UP if by_email else TouchKind.STAFF_TASK,
        channel=Channel.EMAIL if by_email else Channel.STAFF_TASK,
        due_at=due,
        idempotency_key=key,
    )
    touch.full_clean()
    touch.save()
    return touch


# No savepoint: it runs in contact_log's transaction, on every contact logged, and fails with it.
@transaction.atomic(savepoint=False)
def touch_schedule_thank_you(*, contact: Contact) -> Touch | None:
    """A departure or a visit: thank them the next day at SEND_HOUR local, at most once a week."""
    customer = contact.customer
    if contact.kind not in THANK_YOU_KINDS or not customer.email:
        return None
    now = timezone.now()
    if contact.occurred_at < now - THANK_YOU_WITHIN:
        return None
    property_ = contact.property or policy.default_property(customer)
    zone = policy.zone_of(property_)
    next_day = contact.occurred_at.astimezone(zone).date() + timedelta(days=1)
    touch = Touch(
        organization_id=customer.organization_id,
        customer=customer,
        property=property_,
        kind=TouchKind.THANK_YOU,
        due_at=max(policy.local_at(next_day, policy.SEND_HOUR, zone), now),
        idempotency_key=f"thank_you:{contact.pk}",
    )
    # Made of constants, rows just read and a new contact's id (its key cannot be taken): the database checks the
    # constraints at the INSERT instead of a SELECT for each, and each key, on every visit logged.
    touch.full_clean(
        exclude=["organization", "customer", "property"], validate_unique=False, validate_constraints=False
    )
    return touch if _insert_unless_thanked(touch, since=now - THANK_YOU_AT_MOST_EVERY) else None


# The thank-you's INSERT, written only when the guest has no thank-you (but a cancelled one) created since a moment:
# the check and the write in one statement, where a SELECT and an INSERT were two on every visit logged.
# contact_log holds the customer's row lock: two desks logging at once cannot both pass the check. Plain SQL that
# PostgreSQL and SQLite both speak.
_THANK_YOU_SQL = """
INSERT INTO {table} ({columns}) SELECT {values}
WHERE NOT EXISTS (
    SELECT 1 FROM {table} recent WHERE recent.customer_id = %s AND recent.kind = %s AND recent.created_at >= %s
    AND recent.status <> %s
)
RETURNING id
"""


def _insert_unless_thanked(touch: Touch, *, since) -> bool:
    """Save the unsaved thank-you touch unless its guest was thanked since `since`; whether it was saved (then
    touch has its id)."""
    columns, placeholders, values = insert_parts(touch)
    sql = _THANK_YOU_SQL.format(
        table=connection.ops.quote_name(Touch._meta.db_table), columns=columns, values=placeholders
    )
    adapt = connection.ops.adapt_datetimefield_value
    check = [touch.customer_id, TouchKind.THANK_YOU, adapt(since), TouchStatus.CANCELLED]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, *check])
        row = cursor.fetchone()
    if row is None:
        return False
    saved(touch, row[0])
    return True


@transaction.atomic
def touches_cancel(*, touches, reason: str) -> int:
    """Cancel the pending ones of these touches with a reason; returns how many."""
    now = timezone.now()
    pending = list(touches.filter(status__in=PENDING_STATUSES).select_for_update())
    cancelled = Touch.objects.filter(pk__in=[touch.pk for touch in pending], status__in=PENDING_STATUSES).update(
        status=TouchStatus.CANCELLED, reason=reason[:500], claimed_at=None, updated_at=now
    )
    metrics_touches_finished(pending, status=TouchStatus.CANCELLED, at=now)
    return cancelled


def _withdrawn_kinds(customer: Customer) -> list[str]:
    if customer.do_not_contact:
        return list(TouchKind.values)
    return [kind for kind, rule in policy.POLICIES.items() if not getattr(customer, rule.consent)]


@transaction.atomic
def touches_cancel_withdrawn(*, customer: Customer) -> int:
    """The customer withdrew consent (or asked not to be contacted): the kinds they no longer allow stop."""
    kinds = _withdrawn_kinds(customer)
    if not kinds:
        return 0
    return touches_cancel(touches=Touch.objects.filter(customer=customer, kind__in=kinds), reason="consent withdrawn")


@transaction.atomic
def touches_cancel_merge_twins(*, kept: Customer) -> int:
    """The merge moved the duplicate's touches to kept (keys unchanged, so nothing collides); of two
    pending touches for one occasion (a birthday this year, one issue) the later-created is cancelled, and
    what the kept profile's consent no longer allows stops. Undoing the merge moves the rows back; a
    cancelled twin stays cancelled, which sends nothing twice."""
    seen: set[tuple] = set()
    extras: list[int] = []
    pending = Touch.objects.filter(customer=kept, kind__in=ONE_PER_OCCASION, status__in=PENDING_STATUSES)
    for touch in pending.order_by("created_at", "pk"):
        occasion = (touch.kind, touch.issue_id) if touch.issue_id else (touch.kind, touch.due_at.year)
        if occasion in seen:
            extras.append(touch.pk)
        seen.add(occasion)
    cancelled = 0
    if extras:
        cancelled = touches_cancel(touches=Touch.objects.filter(pk__in=extras), reason="duplicate after a merge")
    return cancelled + touches_cancel_withdrawn(customer=kept)


def touches_cancel_for_gifts(*, delight: Delight | None = None) -> int:
    """The notices of a declined delight (or, without one, of every expired delight) stop."""
    if delight is not None:
        notices = Touch.objects.filter(delight=delight, kind=TouchKind.DELIGHT_NOTICE)
        return touches_cancel(touches=notices, reason="gift declined")
    expired = Touch.objects.filter(kind=TouchKind.DELIGHT_NOTICE, delight__status=DelightStatus.EXPIRED)
    return touches_cancel(touches=expired, reason="gift expired")
