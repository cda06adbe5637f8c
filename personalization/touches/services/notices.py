"""Delight notices: "we have prepared something for you", before the occasion, when the rule says so
(``GiftRule.notify_guest``). Written by the receivers in ``touches.triggers`` from the gift signals.

One notice per delight (key ``delight_notice:<delight id>``): a second planner run, or planning a delight
the planner already announced, writes nothing.

When: SEND_HOUR (10:00) in the property's time the day after the delight was suggested or planned — a
night in which staff can still decline a suggestion before the guest hears of it — or 10:00 on the
occasion's own day when that comes first (a birthday today or tomorrow), never before now. At send time
the rules of every surprise apply (policy.POLICIES: consent_surprises, the pressure cap, no open
complaint, quiet hours), and a notice whose gift was delivered, declined or expired is skipped.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Case, CharField, DateTimeField, F, IntegerField, Q, Value, When
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone

from crm.models import Property
from personalization.models import Channel, Delight, DelightStatus, GiftRule, Touch, TouchKind, TouchStatus
from personalization.touches import policy

KEY_PREFIX = "delight_notice:"


def notice_key(delight: Delight) -> str:
    return f"{KEY_PREFIX}{delight.pk}"


def notice_due(*, occasion_on: date | None, zone: ZoneInfo, now: datetime) -> datetime:
    """10:00 local tomorrow, or on the occasion's day when that is sooner; never before now."""
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    day = tomorrow if occasion_on is None else min(occasion_on, tomorrow)
    return max(policy.local_at(day, policy.SEND_HOUR, zone), now)


def notice_schedule(*, delight: Delight, now: datetime | None = None) -> Touch | None:
    """The notice of one delight (planned by staff), if its rule asks for one and the guest has an email."""
    customer = delight.customer
    if not delight.rule.notify_guest or not customer.email:
        return None
    key = notice_key(delight)
    existing = Touch.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing  # the nightly planner announced it already
    now = now or timezone.now()
    property_ = delight.property or policy.default_property(customer)
    touch = Touch(
        organization_id=delight.organization_id,
        customer=customer,
        property=property_,
        delight=delight,
        kind=TouchKind.DELIGHT_NOTICE,
        due_at=notice_due(occasion_on=delight.occasion_on, zone=policy.zone_of(property_), now=now),
        idempotency_key=key,
    )
    touch.full_clean()
    touch.save()
    return touch


def _due_by_zone(organization_id: int, now: datetime) -> tuple[Coalesce, Case]:
    """The notice's property (the delight's, else the guest's home, else the organization's default) and its
    due time as SQL: notice_due() worked out once per time zone of the organization's properties."""
    properties = Property.objects.filter(organization_id=organization_id)
    default = Property.objects.default_of(organization_id)
    fallback = Value(default.pk if default else None)
    property_id = Coalesce(F("property_id"), F("customer__home_property_id"), fallback, output_field=IntegerField())
    zones: dict[str, list[int]] = defaultdict(list)
    for property_ in properties:
        zones[policy.zone_of(property_).key].append(property_.pk)
    whens = []
    for key, ids in zones.items():
        zone = ZoneInfo(key)
        tomorrow = now.astimezone(zone).date() + timedelta(days=1)
        today = tomorrow - timedelta(days=1)
        here = Q(notice_property__in=ids)
        whens += [
            When(
                here & (Q(occasion_on__isnull=True) | Q(occasion_on__gte=tomorrow)),
                then=Value(notice_due(occasion_on=tomorrow, zone=zone, now=now)),
            ),
            When(here & Q(occasion_on=today), then=Value(notice_due(occasion_on=today, zone=zone, now=now))),
        ]
    # Left: an occasion already past (now), or no property at all (UTC, as policy.zone_of(None)).
    no_property = notice_due(occasion_on=None, zone=policy.zone_of(None), now=now)
    whens.append(When(notice_property__isnull=True, then=Value(no_property)))
    return property_id, Case(*whens, default=Value(now), output_field=DateTimeField())


def notices_schedule_for_rule(*, rule: GiftRule, since: datetime, now: datetime | None = None) -> int:
    """Notices of the rule's delights suggested at or after since (the nightly planner's), if the rule asks
    for them: one INSERT … SELECT … ON CONFLICT DO NOTHING, whatever their number. Returns rows written."""
    if not rule.notify_guest:
        return 0
    now = now or timezone.now()
    property_id, due_at = _due_by_zone(rule.organization_id, now)
    delights = (
        Delight.objects.filter(rule=rule, created_at__gte=since, status=DelightStatus.SUGGESTED)
        .exclude(customer__email="")
        .alias(notice_property=property_id)
    )
    empty = {
        f"n_{name}": Value("")
        for name in ("reason", "subject", "body_text", "body_html", "message_id", "provider_message_id")
    }
    # Touch's columns as n_<column>; those left out are NULL (issue, claims, sent_at).
    annotations = {
        "n_organization_id": F("organization_id"),
        "n_customer_id": F("customer_id"),
        "n_property_id": F("notice_property"),
        "n_delight_id": F("pk"),
        "n_kind": Value(TouchKind.DELIGHT_NOTICE),
        "n_channel": Value(Channel.EMAIL),
        "n_due_at": due_at,
        "n_status": Value(TouchStatus.SCHEDULED),
        "n_idempotency_key": Concat(Value(KEY_PREFIX), Cast("pk", CharField()), output_field=CharField()),
        "n_attempts": Value(0),
        **empty,
        "n_created_at": Value(now, output_field=DateTimeField()),
        "n_updated_at": Value(now, output_field=DateTimeField()),
    }
    sql, params = delights.annotate(**annotations).order_by().values_list(*annotations).query.sql_with_params()
    columns = ", ".join(name.removeprefix("n_") for name in annotations)
    insert = (
        f"INSERT INTO {Touch._meta.db_table} ({columns}) {sql} "  # noqa: S608 - identifiers are ours
        "ON CONFLICT (idempotency_key) DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(insert, params)
        return max(cursor.rowcount, 0)
