"""The managers' figures, kept as counters per day as events happen (personalization.metrics).

A day row holds what happened on one local day (the property's time zone) at one place by one member of staff.
Each event adds to three rows: its place and staff, its place for all staff, and the whole organization for
all staff — so a property's year by week reads 365 rows and the organization's too, however many properties
and staff it has. The keys are plain integers, not foreign keys: a counter outlives what it counted (an erased
guest's contacts still count; a property or a member of staff removed keeps its history).

Counters only ever grow by an event; nothing here is recomputed from the raw rows once written, which is what
keeps an erased guest's contacts counted (the rows they came from are gone). ``metrics_rebuild`` builds them
from the raw rows once, for history logged before the counters existed.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.models import Contact, Organization

ALL = -1  # property_key or staff_key of the row that adds up every property / every member of staff
NONE = 0  # property_key of what happened at no property; staff_key of what no member of staff did

COUNTERS = (
    # contacts and what staff did with the brief
    "contacts",
    "greeted_by_name",
    "preference_honored",
    "delight_delivered",
    # guest-days: a guest with at least one contact that day there; returning: who had one before that day
    "guest_days",
    "returning_guest_days",
    # issues, each counted on the day it happened (opened, first answered, resolved, reopened)
    "issues_opened",
    "issues_opened_low",
    "issues_opened_medium",
    "issues_opened_high",
    "issues_first_responses",
    "issues_resolved",
    "issues_reopened",
    # satisfaction: surveys sent, answers (1–5) and their distribution, would-recommend answers (0–10)
    "surveys_sent",
    "csat_responses",
    "csat_score_sum",
    "csat_1",
    "csat_2",
    "csat_3",
    "csat_4",
    "csat_5",
    "nps_responses",
    "nps_promoters",
    "nps_detractors",
    # touches as the sender left them, and the desk's call-back tasks
    "touches_sent",
    "touches_skipped",
    "touches_skipped_consent",
    "touches_skipped_pressure_cap",
    "touches_skipped_open_complaint",
    "touches_postponed_quiet_hours",
    "touches_failed",
    "touches_cancelled",
    "tasks_done",
    # delights
    "delights_suggested",
    "delights_delivered",
    "delights_declined",
)


class MetricDay(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", db_index=False)
    property_key = models.BigIntegerField()  # a property's id, NONE or ALL
    staff_key = models.BigIntegerField()  # a user's id, NONE or ALL
    day = models.DateField()  # the local day, in the property's time zone
    contacts = models.PositiveIntegerField(default=0, db_default=0)
    greeted_by_name = models.PositiveIntegerField(default=0, db_default=0)
    preference_honored = models.PositiveIntegerField(default=0, db_default=0)
    delight_delivered = models.PositiveIntegerField(default=0, db_default=0)
    guest_days = models.IntegerField(default=0, db_default=0)  # a merge may take one back
    returning_guest_days = models.IntegerField(default=0, db_default=0)
    issues_opened = models.PositiveIntegerField(default=0, db_default=0)
    issues_opened_low = models.PositiveIntegerField(default=0, db_default=0)
    issues_opened_medium = models.PositiveIntegerField(default=0, db_default=0)
    issues_opened_high = models.PositiveIntegerField(default=0, db_default=0)
    issues_first_responses = models.PositiveIntegerField(default=0, db_default=0)
    issues_resolved = models.PositiveIntegerField(default=0, db_default=0)
    issues_reopened = models.PositiveIntegerField(default=0, db_default=0)
    surveys_sent = models.PositiveIntegerField(default=0, db_default=0)
    csat_responses = models.PositiveIntegerField(default=0, db_default=0)
    csat_score_sum = models.PositiveIntegerField(default=0, db_default=0)
    csat_1 = models.PositiveIntegerField(default=0, db_default=0)
    csat_2 = models.PositiveIntegerField(default=0, db_default=0)
    csat_3 = models.PositiveIntegerField(default=0, db_default=0)
    csat_4 = models.PositiveIntegerField(default=0, db_default=0)
    csat_5 = models.PositiveIntegerField(default=0, db_default=0)
    nps_responses = models.PositiveIntegerField(default=0, db_default=0)
    nps_promoters = models.PositiveIntegerField(default=0, db_default=0)
    nps_detractors = models.PositiveIntegerField(default=0, db_default=0)
    touches_sent = models.PositiveIntegerField(default=0, db_default=0)
    touches_skipped = models.PositiveIntegerField(default=0, db_default=0)
    touches_skipped_consent = models.PositiveIntegerField(default=0, db_default=0)
    touches_skipped_pressure_cap = models.PositiveIntegerField(default=0, db_default=0)
    touches_skipped_open_complaint = models.PositiveIntegerField(default=0, db_default=0)
    touches_postponed_quiet_hours = models.PositiveIntegerField(default=0, db_default=0)
    touches_failed = models.PositiveIntegerField(default=0, db_default=0)
    touches_cancelled = models.PositiveIntegerField(default=0, db_default=0)
    tasks_done = models.PositiveIntegerField(default=0, db_default=0)
    delights_suggested = models.PositiveIntegerField(default=0, db_default=0)
    delights_delivered = models.PositiveIntegerField(default=0, db_default=0)
    delights_declined = models.PositiveIntegerField(default=0, db_default=0)
    delight_cost = models.DecimalField(max_digits=14, decimal_places=2, default=0, db_default=0)

    class Meta:
        constraints = [
            # One row per place, staff and day: the counters' upsert targets it; the dashboard reads a range of
            # days of one (organization, place, staff) through it.
            models.UniqueConstraint(
                fields=["organization", "property_key", "staff_key", "day"], name="metricday_one_per_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.property_key}/{self.staff_key}"


class MetricsPendingContact(models.Model):
    """A contact logged but not yet in the day counters: its transaction writes this row (one short INSERT) instead
    of counting it, so logging a contact does not pay for the count (issue 14: ≤ 10 % of a contact's p95). The fold
    (personalization.metrics.services.contacts.metrics_contacts_count) counts it and deletes the row: every 10 s
    (beat) and before any read of the figures. Written in the contact's own transaction, so a committed contact is
    always either counted or here, never both, never neither."""

    contact = models.OneToOneField(Contact, on_delete=models.CASCADE, primary_key=True, related_name="+")
    # A plain number, not a foreign key: the row is written on the contact's path, where a second key check would
    # cost; an organization deleted takes its contacts, and with them these rows.
    organization_id = models.BigIntegerField()

    class Meta:
        indexes = [
            # The fold reads an organization's pending contacts in contact order; every read of the figures asks
            # whether the organization has any (EXISTS).
            models.Index(fields=["organization_id", "contact"], name="metricspending_organization"),
        ]

    def __str__(self) -> str:
        return f"contact {self.contact_id} of organization {self.organization_id}"

    @classmethod
    def counted(cls, contacts: models.QuerySet) -> models.QuerySet:
        """`contacts` less those still pending: the ones already in the day counters (the fold's SQL says the same
        in services.contacts._COUNTED)."""
        return contacts.exclude(models.Exists(cls.objects.filter(contact_id=models.OuterRef("pk"))))


class Measure(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response time")
    RESOLUTION = "resolution", _("Resolution time")


class Span(models.TextChoices):
    DAY = "day", _("Day")
    WEEK = "week", _("Week")
    MONTH = "month", _("Month")


class MetricDuration(models.Model):
    """How many durations of one kind ended in one span — a day, an ISO week (``day`` is its Monday) or a month
    (``day`` is its first) —, as a histogram: ``counts`` maps a bucket (personalization.metrics.figures.bucket_of:
    buckets grow by 4 %, so a median of any range is within 2 % of the exact value) to how many fell in it, the
    buckets grouped by coarse bucket (figures.grouped: ``{"coarse": {"bucket": n}}``, so a reader takes the 16
    buckets of one coarse bucket without unpacking the rest: bench/run metrics unpacked ~19,300 entries to keep
    2,043 when the buckets were one flat object). Each
    duration is counted in its day, its week and its month, so a year by week reads 52 weeks' rows and the previous
    year 12 months', not 365 days' each: one row per span and measure (a histogram of a few hundred buckets), merged
    by the reader (bench/run metrics: a row per bucket made a year's figures read ~38,000 rows).

    Beside the histogram, kept by every write (services.durations._histograms_add): its median and 90th percentile
    buckets (figures.quantile_buckets), so a period that is one span reads two numbers, and the histogram summed
    into coarse buckets (figures.coarse_counts), so a range of several spans finds each quantile's coarse bucket
    from ~20 numbers a span and then reads only the buckets inside it (bench/run metrics: a year by week with its
    totals and previous year read 29,297 bucket entries from the histograms alone)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", db_index=False)
    property_key = models.BigIntegerField()
    staff_key = models.BigIntegerField()
    span = models.CharField(max_length=5, choices=Span.choices)
    day = models.DateField()
    measure = models.CharField(max_length=16, choices=Measure.choices)
    counts = models.JSONField(default=dict)  # {"coarse bucket": {"bucket": count}}
    median_bucket = models.IntegerField(null=True)  # figures.quantile_buckets of counts
    p90_bucket = models.IntegerField(null=True)
    coarse = models.JSONField(default=dict)  # {"coarse bucket": count}: figures.coarse_counts of counts

    class Meta:
        constraints = [
            # The upsert's target; the dashboard reads the spans of one place and staff through it.
            models.UniqueConstraint(
                fields=["organization", "property_key", "staff_key", "span", "day", "measure"],
                name="metricduration_one_per_span",
            ),
            models.CheckConstraint(condition=models.Q(measure__in=Measure.values), name="metricduration_measure"),
            models.CheckConstraint(condition=models.Q(span__in=Span.values), name="metricduration_span"),
        ]

    def __str__(self) -> str:
        return f"{self.span} {self.day} {self.measure}: {sum(self.counts.values())}"
