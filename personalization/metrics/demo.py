"""The demo's history for the managers' dashboard: about two months — last month and this month so far — of
contacts, issues and survey answers at both demo properties, logged through the services at past moments, so the
dashboard shows "this month against the last" with something to see: recognition lower this month, a week of poor
survey scores last month, complaints whose words recur (in English and Chinese), one complaint resolved and never
followed up, low scores nobody answered.

Everything goes through the services that write the rows and their counters (contact_log, issue_open,
issue_update(now=…), feedback_record(now=…)); the demo's own shortcuts are the survey mails (written as sent, as the
demo does not wait for the outbox) and the follow-ups of past resolutions (marked sent or skipped when they would
have been), each counted through personalization.metrics.services.days.metrics_touches_finished on that day.
Idempotent: once the history is there, it is left as it is. Deterministic for a given day (a fixed seed).
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from crm import services
from crm.models import Customer, Organization
from crm.signals import demo_seeded
from personalization.metrics.services.days import metrics_touches_finished
from personalization.models import Touch, TouchKind, TouchStatus
from personalization.touches.services.manual import feedback_record

SURVEY_KEY = "demo-survey:"
STORIED = ("张伟", "張偉")
# (English, Chinese) complaints: their words recur, so the dashboard finds themes in both languages.
COMPLAINTS = [
    ("Air conditioning noisy at night", "high"),
    ("Breakfast arrived cold", "medium"),
    ("空调噪音太大，整晚睡不好", "high"),
    ("Air conditioning not cooling the room", "medium"),
    ("早餐送来时是冷的", "medium"),
    ("Slow check-in queue in the evening", "low"),
    ("空调不制冷", "medium"),
    ("Breakfast order wrong again", "low"),
    ("入住排队太久", "low"),
    ("Minibar charged twice", "medium"),
]
RESOLUTIONS = ["Engineer fixed it; apologized", "Replaced and apologized", "已处理并致歉"]
COMMENTS = {
    1: ["Nobody came back to me about the noise.", "空调一直很吵，没人处理。"],
    2: ["Breakfast was cold again.", "等了很久才入住。"],
    3: ["OK, but the room was noisy.", ""],
    4: ["Friendly staff.", "服务很好。"],
    5: ["They remembered my tea!", "记得我的喜好，谢谢！"],
}


def _at(day: date, hour: int, minute: int, zone) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


@receiver(demo_seeded, dispatch_uid="personalization.metrics.demo_history")
def add_demo_history(sender, organization: Organization, **kwargs) -> None:
    if Touch.objects.filter(organization=organization, idempotency_key__startswith=SURVEY_KEY).exists():
        return
    demo_history(organization=organization, now=timezone.now())


@transaction.atomic
def demo_history(*, organization: Organization, now: datetime) -> None:
    """Last month and this month so far at each property (see the module's docstring)."""
    rng = random.Random(20261202)
    users = {user.username: user for user in get_user_model().objects.filter(staff__organization=organization)}
    places = list(organization.properties.order_by("name"))
    for place in places:
        zone = place.zone()
        today = now.astimezone(zone).date()
        first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)  # the first day of last month
        desk = users.get("frontdesk.ny" if "New York" in place.name else "frontdesk")
        manager = users.get("manager")
        # The guests whose story the demo tells by hand keep it: the namesakes 张伟 / 張偉 (his visit count, the
        # lookup's order), today's arrivals, and the guests without an email (the desk's call-back task).
        guests = list(
            Customer.objects.filter(organization=organization, home_property=place, merged_into__isnull=True)
            .exclude(email="")
            .exclude(native_name__in=STORIED)
            .exclude(stays__isnull=False)
            .order_by("pk")
        )
        if not guests:
            continue
        bad_week = first + timedelta(days=7 + (7 - (first + timedelta(days=7)).weekday()) % 7)  # a Monday
        day, n = first, 0
        while day <= today:
            this_month = day.month == today.month
            # About one contact every other day per property, a survey after most, a complaint a week: enough to
            # read, few enough that seeding stays quick (every row goes through its service).
            for visit in range(rng.choice((0, 0, 1, 1, 1, 2))):
                occurred = _at(day, 9 + 4 * visit + rng.randint(0, 3), rng.randint(0, 59), zone)
                if occurred >= now:
                    continue
                guest = guests[rng.randrange(len(guests))]
                greeted = rng.random() < (0.55 if this_month else 0.85)
                services.contact_log(
                    customer=guest,
                    kind=rng.choice(("arrival", "visit", "departure")),
                    actor=desk if rng.random() < 0.8 else manager,
                    property=place,
                    occurred_at=occurred,
                    greeted_by_name=greeted,
                    preference_honored=greeted and rng.random() < 0.7,
                    delight_delivered=rng.random() < 0.1,
                )
                if rng.random() < 0.7:
                    in_bad_week = bad_week <= day < bad_week + timedelta(days=7)
                    _survey(guest, place, occurred, now, rng, poor=in_bad_week, number=n)
                n += 1
            if rng.random() < 0.15:
                _complaint(guests[rng.randrange(len(guests))], place, _at(day, 20, 15, zone), now, rng, desk, manager)
            day += timedelta(days=1)


def _survey(guest: Customer, place, contacted: datetime, now: datetime, rng, *, poor: bool, number: int) -> None:
    sent_at = contacted + timedelta(hours=rng.randint(2, 20))
    if sent_at >= now:
        return
    touch = Touch.objects.create(
        organization_id=guest.organization_id,
        customer=guest,
        property=place,
        kind=TouchKind.CSAT_SURVEY,
        due_at=sent_at,
        status=TouchStatus.SENT,
        sent_at=sent_at,
        idempotency_key=f"{SURVEY_KEY}{place.pk}:{number}",
    )
    metrics_touches_finished([touch], status="sent", at=sent_at)
    answered_at = sent_at + timedelta(hours=rng.randint(1, 30))
    if rng.random() < 0.3 or answered_at >= now:
        return
    score = rng.choice((1, 2, 2, 3, 3, 4) if poor else (3, 4, 4, 5, 5, 5))
    recommend = max(0, min(10, score * 2 + rng.randint(-1, 1))) if rng.random() < 0.8 else None
    feedback_record(touch=touch, score=score, comment=rng.choice(COMMENTS[score]), recommend=recommend, now=answered_at)


def _complaint(guest: Customer, place, opened: datetime, now: datetime, rng, desk, manager) -> None:
    if opened >= now:
        return
    summary, severity = COMPLAINTS[rng.randrange(len(COMPLAINTS))]
    issue = services.issue_open(
        customer=guest, summary=summary, severity=severity, property=place, actor=desk, opened_at=opened
    )
    answered = opened + timedelta(minutes=rng.randint(5, 180))
    if answered >= now:
        return
    services.issue_update(issue=issue, status="in_progress", actor=desk, now=answered)
    resolved = answered + timedelta(hours=rng.randint(1, 40))
    if resolved >= now or rng.random() < 0.15:
        return
    services.issue_update(
        issue=issue, status="resolved", resolution=rng.choice(RESOLUTIONS), actor=manager, now=resolved
    )
    # The follow-up the resolution scheduled, as the outbox would have left it by now.
    follow_up = Touch.objects.filter(issue=issue, status=TouchStatus.SCHEDULED).first()
    due = resolved + timedelta(hours=settings.RAPPORT_FOLLOW_UP_DELAY_HOURS)
    if follow_up is None or due >= now:
        return
    if rng.random() < 0.85:
        Touch.objects.filter(pk=follow_up.pk).update(status=TouchStatus.SENT, sent_at=due, due_at=due)
        metrics_touches_finished([follow_up], status="sent", at=due)
    else:
        reason = "no consent for service messages"
        Touch.objects.filter(pk=follow_up.pk).update(status=TouchStatus.SKIPPED, reason=reason, due_at=due)
        metrics_touches_finished([follow_up], status="skipped", at=due, reason=reason)
