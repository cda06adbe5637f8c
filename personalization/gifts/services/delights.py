"""Writes of delights: what the brief suggests, what staff offer, plan, deliver or decline, what expires
each night, and how a merge keeps two profiles' occasions apart. One transaction each; every step a
person takes leaves a crm ChangeRecord (who, when, what)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Unpack

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.errors import Conflict
from crm.models import ChangeAction, Customer, EventType
from crm.services.common import User, created, record, user_or_none
from crm.webhooks import services as webhooks
from personalization.gifts import engine
from personalization.gifts.rules import fill, top_likes
from personalization.gifts.signals import delight_declined, delight_planned, delights_expired
from personalization.metrics.services.days import metrics_count, staff_id_of
from personalization.models import Delight, DelightStatus, GiftRule, GiftSpend, PastDelight, Trigger


def delights_suggest(**situation: Unpack[engine.Situation]) -> list[engine.Candidate]:
    """The brief's delights: what the rules suggest now, each recorded once as a suggested Delight (a write:
    the brief calls it at every contact).

    Two queries at most: the rules (when not given: engine.evaluate), and one insert of the new suggestions,
    atomic (savepoint=False: inside a caller's transaction it adds no SAVEPOINT round trips, the brief's cost).
    Two briefs at the same moment both insert; the unique occasion key makes the second one a no-op update."""
    customer, property_id, today = situation["customer"], situation["property_id"], situation.get("today")
    now = situation["now"] = situation.get("now") or timezone.now()
    candidates = engine.evaluate(**situation)
    new = [c for c in candidates if c.existing is None]
    if new:
        rows = [
            Delight(
                organization_id=customer.organization_id,
                customer=customer,
                rule=c.rule,
                property_id=property_id,
                occasion_key=c.occasion_key,
                gift=c.gift,
                reason=c.reason,
                cost=c.rule.cost,
                occasion_on=c.occasion_on,
                expires_at=c.expires_at,
            )
            for c in new
        ]
        with transaction.atomic(savepoint=False):
            Delight.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["rule", "customer", "occasion_key"],
                update_fields=["updated_at"],
            )
        for candidate, row in zip(new, rows, strict=True):
            candidate.existing = PastDelight.of(row)
        # Two briefs at the same moment may both count the same suggestion (the second insert is a no-op).
        metrics_count(
            organization_id=customer.organization_id,
            property_id=property_id,
            staff_id=None,
            at=today or now,  # the brief knows the day at its property: no zone to read
            delights_suggested=len(new),
        )
    return candidates


@transaction.atomic
def delight_offer(
    *,
    rule: GiftRule,
    customer: Customer,
    actor: User | None = None,
    property_id: int | None = None,
    now: datetime | None = None,
) -> Delight:
    """Staff offer a manual rule's gift now (at most once a day per guest), within its cooldown, yearly cap
    and budget. ValidationError for a rule that is not manual; Conflict (409) when the rule forbids it."""
    now = now or timezone.now()
    today = engine.guest_today(
        organization_id=customer.organization_id,
        property_id=property_id,
        home_property_id=customer.home_property_id,
        now=now,
    )
    if rule.trigger != Trigger.MANUAL or not rule.active or rule.deleted_at is not None:
        raise ValidationError(
            {"rule": [_("Only an active manual rule is offered by hand; the brief suggests the others.")]}
        )
    if not customer.consent_surprises or customer.do_not_contact:
        raise Conflict(_("This guest does not want surprises."))
    rule = GiftRule.objects.select_for_update().get(pk=rule.pk)
    past = [PastDelight.of(d) for d in Delight.objects.filter(rule=rule, customer=customer)]
    key = f"manual:{today.isoformat()}"
    if any(d.occasion_key == key for d in past):
        raise Conflict(_("This gift was already offered to this guest today."))
    if not rule.allows_again(past, now):
        raise Conflict(_("This guest had this gift recently (cooldown or yearly cap)."))
    spent = (
        GiftSpend.objects.filter(
            rule=rule, month=GiftSpend.month_of(today), property_id=rule.spend_property_id(property_id)
        )
        .values_list("spent", flat=True)
        .first()
    )
    if not engine.budget_allows(rule, spent or 0, rule.cost):
        raise Conflict(_("The budget of “%(rule)s” for this month is spent.") % {"rule": rule.name})
    gift = fill(rule.gift, customer=customer, favorites=top_likes(customer.preferences.all()))
    if gift is None:
        raise Conflict(_("This guest's profile cannot fill the gift's placeholders."))
    delight = Delight(
        organization_id=customer.organization_id,
        customer=customer,
        rule=rule,
        property_id=property_id,
        occasion_key=key,
        gift=gift,
        reason=_("Offered by staff"),
        cost=rule.cost,
        occasion_on=today,
        expires_at=engine.end_of(today),
    )
    delight.full_clean()
    delight.save()
    metrics_count(  # a suggestion is the rules', whoever offered it (as metrics_rebuild counts it)
        organization_id=customer.organization_id,
        property_id=delight.property_id,
        staff_id=None,
        at=now,
        delights_suggested=1,
    )
    record(
        organization=customer.organization,
        actor=actor,
        action=ChangeAction.DELIGHT_OFFER,
        target=delight,
        changes=created({"rule": rule.pk, "customer": customer.pk}),
    )
    return delight


def _locked(delight: Delight) -> tuple[Delight, GiftRule]:
    # The rule row first, always: every delivery of one rule queues here, so the budget check and the
    # charge are one step. Then the delight itself (two desks, one delight).
    rule = GiftRule.objects.select_for_update().get(pk=delight.rule_id)
    fresh = Delight.objects.select_for_update().get(pk=delight.pk)
    return fresh, rule


def _refuse_if_over(delight: Delight, now: datetime) -> None:
    if delight.status == DelightStatus.DELIVERED:
        raise Conflict(_("This gift was already delivered."))
    if delight.status in (DelightStatus.DECLINED, DelightStatus.EXPIRED) or (
        delight.expires_at is not None and delight.expires_at <= now
    ):
        raise Conflict(_("This gift has expired or was declined; it can no longer be delivered."))


def _move(
    delight: Delight,
    rule: GiftRule,
    *,
    to: DelightStatus,
    action: ChangeAction,
    actor: User | None,
    now: datetime,
    facts: dict | None = None,
    also_saved: tuple[str, ...] = (),
) -> None:
    """The delight moves to status to: stamped <to>_at and <to>_by (planned_at, delivered_at, declined_at),
    saved (with also_saved fields the caller set), and recorded with the facts of the event."""
    facts = facts or {}
    stamp = DelightStatus(to).value
    before = delight.status
    delight.status = to
    setattr(delight, f"{stamp}_at", now)
    setattr(delight, f"{stamp}_by", user_or_none(actor))
    delight.save(update_fields=["status", f"{stamp}_at", f"{stamp}_by", *also_saved, "updated_at"])
    changes = {"status": {"old": before, "new": to}, **facts}
    record(organization=rule.organization, actor=actor, action=action, target=delight, changes=changes)


@transaction.atomic
def delight_plan(*, delight: Delight, actor: User | None = None, now: datetime | None = None) -> Delight:
    """Planned: someone will hand it over. A gift above the rule's approval cost needs a manager here."""
    now = now or timezone.now()
    delight, rule = _locked(delight)
    _refuse_if_over(delight, now)
    if delight.status == DelightStatus.PLANNED:
        return delight
    needs_approval = engine.needs_approval(rule, delight.cost)
    staff = getattr(actor, "staff", None)
    if needs_approval and not (staff is not None and staff.is_manager):
        raise Conflict(_("This gift costs more than the rule allows without a manager's approval."))
    _move(delight, rule, to=DelightStatus.PLANNED, action=ChangeAction.DELIGHT_PLAN, actor=actor, now=now)
    delight_planned.send(sender=Delight, delight=delight, actor=actor)
    return delight


@transaction.atomic
def delight_deliver(*, delight: Delight, actor: User | None = None, now: datetime | None = None) -> Delight:
    """Delivered now, and its cost charged to the rule's month. Conflict (409) when it was already
    delivered, has expired, needs a manager's approval first, or the month's budget cannot pay for it."""
    now = now or timezone.now()
    delight, rule = _locked(delight)
    _refuse_if_over(delight, now)
    needs_approval = engine.needs_approval(rule, delight.cost)
    if needs_approval and delight.status != DelightStatus.PLANNED:
        raise Conflict(_("This gift needs a manager's approval (plan it) before it is delivered."))
    customer = delight.customer
    month = GiftSpend.month_of(  # the month where the gift is given, as the brief reads the budget left
        engine.guest_today(
            organization_id=delight.organization_id,
            property_id=delight.property_id,
            home_property_id=customer.home_property_id,
            now=now,
        )
    )
    # Behind the rule's lock: the row of this property (budget per property) or the rule-wide one.
    spend, _created = GiftSpend.objects.get_or_create(
        rule=rule, month=month, property_id=rule.spend_property_id(delight.property_id)
    )
    if rule.monthly_budget is not None and spend.spent + delight.cost > rule.monthly_budget:
        if spend.property_id is not None:
            raise Conflict(
                _(
                    "The budget of “%(rule)s” at this property for this month is spent "
                    "(%(left)s left, the gift costs %(cost)s)."
                )
                % {"rule": rule.name, "left": rule.monthly_budget - spend.spent, "cost": delight.cost}
            )
        raise Conflict(
            _("The budget of “%(rule)s” for this month is spent (%(left)s left, the gift costs %(cost)s).")
            % {"rule": rule.name, "left": rule.monthly_budget - spend.spent, "cost": delight.cost}
        )
    GiftSpend.objects.filter(pk=spend.pk).update(spent=F("spent") + delight.cost, deliveries=F("deliveries") + 1)
    delight.charged_month = month
    facts = {"rule": rule.pk, "customer": delight.customer_id, "cost": str(delight.cost), "month": month.isoformat()}
    facts["budget_property"] = spend.property_id
    _move(
        delight,
        rule,
        to=DelightStatus.DELIVERED,
        action=ChangeAction.DELIGHT_DELIVER,
        actor=actor,
        now=now,
        facts=facts,
        also_saved=("charged_month",),
    )
    _count_step(delight, actor, now, delights_delivered=1, delight_cost=delight.cost)
    webhooks.webhook_event_record(
        organization_id=delight.organization_id,
        event_type=EventType.DELIGHT_DELIVERED,
        data={
            "id": delight.pk,
            "customer": delight.customer_id,
            "rule": rule.pk,
            "property": delight.property_id,
            "cost": str(delight.cost),
            "delivered_at": now.isoformat(),
        },
    )
    return delight


@transaction.atomic
def delight_decline(*, delight: Delight, actor: User | None = None, now: datetime | None = None) -> Delight:
    """The guest or staff said no: this occasion is over for this rule."""
    now = now or timezone.now()
    delight, rule = _locked(delight)
    _refuse_if_over(delight, now)
    _move(delight, rule, to=DelightStatus.DECLINED, action=ChangeAction.DELIGHT_DECLINE, actor=actor, now=now)
    _count_step(delight, actor, now, delights_declined=1)
    delight_declined.send(sender=Delight, delight=delight, actor=actor)
    return delight


@transaction.atomic
def delights_expire(*, now: datetime | None = None) -> int:
    """Suggested and planned delights whose occasion has passed become expired (nightly). One UPDATE."""
    now = now or timezone.now()
    expired = Delight.objects.filter(
        status__in=[DelightStatus.SUGGESTED, DelightStatus.PLANNED], expires_at__lte=now
    ).update(status=DelightStatus.EXPIRED, updated_at=now)
    if expired:
        delights_expired.send(sender=Delight)
    return expired


def delights_make_room_for_merge(*, kept: Customer, duplicate: Customer) -> int:
    """Both profiles may hold a delight of the same rule and occasion (each had a "first visit"); once they
    are one customer the occasion key would collide. The duplicate's stays on record, its key marked."""
    kept_keys = set(Delight.objects.filter(customer=kept).values_list("rule_id", "occasion_key"))
    theirs = Delight.objects.filter(customer=duplicate).values_list("pk", "rule_id", "occasion_key")
    ids = [pk for pk, rule_id, key in theirs if (rule_id, key) in kept_keys]
    if not ids:
        return 0
    return Delight.objects.filter(pk__in=ids).update(occasion_key=Concat(F("occasion_key"), Value(f"~{duplicate.pk}")))


def _count_step(delight: Delight, actor: User | None, now: datetime, **figures: int | Decimal) -> None:
    """The day's figures of a step staff took on a delight: at its property, for that staff member."""
    metrics_count(
        organization_id=delight.organization_id,
        property_id=delight.property_id,
        staff_id=staff_id_of(actor),
        at=now,
        **figures,
    )
