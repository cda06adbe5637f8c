"""The organization's counters counted again from the raw rows on file (`manage.py metrics_rebuild`)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime

from django.db import transaction

from crm.models import Contact, Issue, IssueStatus
from personalization.metrics import events
from personalization.metrics.figures import bucket_of, grouped
from personalization.metrics.services.contacts import fold_lock, metrics_contacts_count
from personalization.metrics.services.days import DAY_COLUMNS, Zones, guest_days, places, upsert
from personalization.metrics.services.durations import DURATION_KEYS, spans_of, summary
from personalization.models import Delight, Feedback, Touch
from personalization.models.metrics import ALL, Measure, MetricDay, MetricDuration, MetricsPendingContact

REBUILD_BATCH = 5000  # raw rows read per round trip by the rebuild


@transaction.atomic
def metrics_rebuild(*, organization_id: int) -> dict[str, int]:
    """The organization's counters counted again from the raw rows still on file: contacts (and guest-days),
    issues (opened, first answered, resolved: by their owner, as who answered or resolved them is not on the
    row), survey answers, touches as they stand, delights. For history logged before the counters existed (the
    migration's backfill, a benchmark's generated data). Never run by the service itself: what was erased is no
    longer on file, and reopenings are not on the issue row, so a rebuild forgets them. Returns how many rows of
    each kind it counted. Under the fold lock (a read of the figures waits for the rebuild): the contacts counted
    are those not pending when read, then the pending ones are folded against them — what a contact committed
    meanwhile is (pending) is then exact too, and no pending row is left."""
    fold_lock(organization_id)
    zones = Zones(organization_id)
    days: dict[tuple[int, int, date], Counter] = {}
    durations: defaultdict[tuple, Counter] = defaultdict(Counter)

    def add(property_id: int | None, staff_id: int | None, at: datetime, counters: dict) -> None:
        day = at.astimezone(zones.of(property_id)).date()
        for key in places(property_id, staff_id):
            days.setdefault((*key, day), Counter()).update(counters)

    counted: Counter = Counter()
    contacts = (
        MetricsPendingContact.counted(Contact.objects.filter(customer__organization_id=organization_id))
        .order_by("customer_id", "occurred_at")
        .values_list(
            "customer_id",
            "property_id",
            "staff_id",
            "occurred_at",
            "greeted_by_name",
            "preference_honored",
            "delight_delivered",
        )
    )
    guest, visits = None, []

    def guest_done() -> None:
        for (place, day, counter), n in guest_days(visits, zones).items():
            days.setdefault((place, ALL, day), Counter())[counter] += n

    for customer_id, property_id, staff_id, at, greeted, honored, delighted in contacts.iterator(REBUILD_BATCH):
        if customer_id != guest:
            guest_done()
            guest, visits = customer_id, []
        visits.append((property_id, at))
        add(
            property_id,
            staff_id,
            at,
            events.contact_counters(greeted_by_name=greeted, preference_honored=honored, delight_delivered=delighted),
        )
        counted["contacts"] += 1
    guest_done()

    issues = Issue.objects.filter(customer__organization_id=organization_id).values_list(
        "property_id", "owner_id", "severity", "status", "opened_at", "first_response_at", "resolved_at"
    )
    for property_id, owner_id, severity, status, opened, answered, resolved in issues.iterator(REBUILD_BATCH):
        add(property_id, owner_id, opened, events.issue_opened_counters(severity=severity))
        for measure, ended, counter in (
            (Measure.FIRST_RESPONSE, answered, "issues_first_responses"),
            (
                Measure.RESOLUTION,
                resolved if status in (IssueStatus.RESOLVED, IssueStatus.CLOSED) else None,
                "issues_resolved",
            ),
        ):
            if ended is not None:
                add(property_id, owner_id, ended, {counter: 1})
                day = ended.astimezone(zones.of(property_id)).date()
                bucket = str(bucket_of((ended - opened).total_seconds()))
                for place, staff in places(property_id, owner_id):
                    for span, start in spans_of(day):
                        durations[(place, staff, span, start, str(measure))][bucket] += 1
        counted["issues"] += 1

    answers = Feedback.objects.filter(customer__organization_id=organization_id).values_list(
        "touch__property_id", "created_at", "score", "recommend"
    )
    for property_id, at, score, recommend in answers.iterator(REBUILD_BATCH):
        add(property_id, None, at, events.feedback_counters(score=score, recommend=recommend))
        counted["feedback"] += 1

    touches = Touch.objects.filter(organization_id=organization_id, status__in=list(events.FINISHED_COUNTERS))
    for property_id, kind, status, reason, sent_at, done_at, done_by, updated_at in touches.values_list(
        "property_id", "kind", "status", "reason", "sent_at", "done_at", "done_by_id", "updated_at"
    ).iterator(REBUILD_BATCH):
        at = sent_at if status == "sent" else done_at if status == "done" else updated_at
        add(
            property_id,
            done_by if status == "done" else None,
            at or updated_at,
            events.touch_counters(status=status, kind=kind, reason=reason),
        )
        counted["touches"] += 1

    delights = Delight.objects.filter(organization_id=organization_id).values_list(
        "property_id",
        "created_at",
        "status",
        "cost",
        "delivered_at",
        "delivered_by_id",
        "declined_at",
        "declined_by_id",
    )
    for property_id, created, status, cost, delivered, delivered_by, declined, declined_by in delights.iterator(
        REBUILD_BATCH
    ):
        add(property_id, None, created, {"delights_suggested": 1})
        if status == "delivered" and delivered is not None:
            add(property_id, delivered_by, delivered, {"delights_delivered": 1, "delight_cost": cost})
        if status == "declined" and declined is not None:
            add(property_id, declined_by, declined, {"delights_declined": 1})
        counted["delights"] += 1

    MetricDay.objects.filter(organization_id=organization_id).delete()
    MetricDuration.objects.filter(organization_id=organization_id).delete()
    columns = sorted(DAY_COLUMNS)
    rows = [(organization_id, *key, *(counts[c] for c in columns)) for key, counts in days.items()]
    upsert(MetricDay._meta.db_table, ["organization_id", "property_key", "staff_key", "day"], rows, columns)
    MetricDuration.objects.bulk_create(
        (_duration_row(organization_id, key, counts) for key, counts in sorted(durations.items())),
        batch_size=REBUILD_BATCH,
    )
    counted["contacts"] += metrics_contacts_count(organization_id=organization_id)
    return dict(counted)


def _duration_row(organization_id: int, key: tuple, counts: Counter) -> MetricDuration:
    """A histogram as the rebuild writes it, with its summaries (summary)."""
    stored = grouped(counts)
    _pk, median, p90, coarse = summary(0, stored)
    return MetricDuration(
        **dict(zip(DURATION_KEYS, (organization_id, *key), strict=True)),
        counts=stored,
        median_bucket=median,
        p90_bucket=p90,
        coarse=coarse,
    )
