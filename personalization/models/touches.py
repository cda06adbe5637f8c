"""Touches: the transactional outbox of follow-ups, greetings and staff tasks; and the feedback
a survey link records. A touch is a row before it is a Celery message (personalization.touches).

A staff task (channel ``staff_task``: "call them back") is a row of the same outbox — written in the event's
transaction and cancelled by the same rules (the issue reopens, consent is withdrawn, the guest is erased, a
merge makes a twin) — but it is the desk's, never the dispatcher's: it stays ``scheduled`` (open, shown on the
desk's task list from when it is created) until someone at the desk finishes it with an outcome (``done``).
"""

from __future__ import annotations

import builtins
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import Contact, Customer, Issue, Organization, Property, Stay, TimeStamped
from crm.validators import FREE_TEXT_MAX_LENGTH, free_text
from personalization.models.gifts import Delight


class TouchKind(models.TextChoices):
    ISSUE_FOLLOW_UP = "issue_follow_up", _("Issue follow-up")
    THANK_YOU = "thank_you", _("Thank-you")
    BIRTHDAY = "birthday", _("Birthday greeting")
    ANNIVERSARY = "anniversary", _("Anniversary greeting")
    WIN_BACK = "win_back", _("Win-back")
    CSAT_SURVEY = "csat_survey", _("Satisfaction survey")
    DELIGHT_NOTICE = "delight_notice", _("Delight notice")
    PRE_ARRIVAL = "pre_arrival", _("Pre-arrival note")
    STAFF_TASK = "staff_task", _("Call them back")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    STAFF_TASK = "staff_task", _("Staff task")


class TouchStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Skipped")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")
    DONE = "done", _("Done")  # a staff task finished by the desk (never an email's)


PENDING_STATUSES = (TouchStatus.SCHEDULED, TouchStatus.SENDING)


class TaskOutcome(models.TextChoices):
    """How a staff task ended (the call-back: did we reach the guest?)."""

    REACHED = "reached", _("Reached")
    NO_ANSWER = "no_answer", _("No answer")
    LEFT_MESSAGE = "left_message", _("Left a message")


class Touch(TimeStamped):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="touches", db_index=False)
    # Whose local time (quiet hours) and whose sender address.
    property = models.ForeignKey(Property, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    issue = models.ForeignKey(Issue, on_delete=models.SET_NULL, null=True, blank=True, related_name="touches")
    # A delight_notice names its gift. Indexed by touch_delight (only the few rows that have one).
    delight = models.ForeignKey(
        Delight, on_delete=models.SET_NULL, null=True, blank=True, related_name="notices", db_index=False
    )
    # A pre_arrival note names its stay (the arrival date it speaks of). Few rows have one: no index.
    stay = models.ForeignKey(Stay, on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_index=False)
    kind = models.CharField(_("kind"), max_length=20, choices=TouchKind.choices)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices, default=Channel.EMAIL)
    due_at = models.DateTimeField(_("due at"))
    status = models.CharField(_("status"), max_length=16, choices=TouchStatus.choices, default=TouchStatus.SCHEDULED)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # One greeting per customer per year, one follow-up per issue...: see touches.triggers and touches.planner.
    # The original customer's id is part of the key, so a merge moving rows never collides.
    idempotency_key = models.CharField(max_length=200, unique=True, editable=False)
    # Handed to a worker by the dispatcher (status sending); a stale claim is handed out again.
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # A worker started talking to the mail server; see touches.send for the exactly-once design.
    attempt_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body_text = models.TextField(_("text body"), blank=True)
    body_html = models.TextField(_("HTML body"), blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=300, blank=True)
    provider_message_id = models.CharField(_("provider message id"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # A staff task: who at the desk took it, and how it ended (the call logged as a contact).
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("taken by"),
    )
    # Defaults in the database too: the set-based planners insert touches with INSERT … SELECT.
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=TaskOutcome.choices, blank=True, default="", db_default=""
    )
    note = models.TextField(
        _("note"), blank=True, max_length=FREE_TEXT_MAX_LENGTH, validators=[free_text], default="", db_default=""
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("touch")
        verbose_name_plural = _("touches")
        ordering = ["-due_at", "-id"]
        indexes = [
            # The dispatcher: WHERE status = 'scheduled' AND channel = 'email' AND due_at <= now ORDER BY due_at, id.
            models.Index(
                fields=["due_at", "id"], name="touch_due_email", condition=Q(status="scheduled", channel="email")
            ),
            # The desk's open tasks: WHERE organization_id = %s AND channel = 'staff_task' AND status = 'scheduled'
            # ORDER BY due_at (and their count in the navigation).
            models.Index(
                fields=["organization", "due_at"],
                name="touch_open_tasks",
                condition=Q(status="scheduled", channel="staff_task"),
            ),
            # Stale claims: WHERE status = 'sending' AND claimed_at < now - timeout.
            models.Index(fields=["claimed_at"], name="touch_claimed", condition=Q(status="sending")),
            # A customer's touches (card, API, pressure cap): WHERE customer_id = %s ORDER BY due_at DESC.
            models.Index(fields=["customer", "-due_at"], name="touch_customer_recent"),
            # The managers' queue: WHERE organization_id = %s [AND status = %s] ORDER BY due_at DESC.
            models.Index(fields=["organization", "status", "-due_at"], name="touch_org_queue"),
            # A declined or expired gift cancels its notice: WHERE delight_id = %s / IN (...).
            models.Index(fields=["delight"], name="touch_delight", condition=Q(delight__isnull=False)),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=TouchKind.values), name="touch_kind_valid"),
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="touch_channel_valid"),
            models.CheckConstraint(condition=Q(status__in=TouchStatus.values), name="touch_status_valid"),
            models.CheckConstraint(
                condition=~Q(status=TouchStatus.SENT) | Q(sent_at__isnull=False), name="touch_sent_has_sent_at"
            ),
            models.CheckConstraint(
                condition=~Q(status=TouchStatus.SENDING) | Q(claimed_at__isnull=False),
                name="touch_sending_is_claimed",
            ),
            models.CheckConstraint(
                condition=(Q(channel=Channel.STAFF_TASK) & Q(kind=TouchKind.STAFF_TASK))
                | (Q(channel=Channel.EMAIL) & ~Q(kind=TouchKind.STAFF_TASK)),
                name="touch_staff_task_channel",
            ),
            models.CheckConstraint(condition=~Q(idempotency_key=""), name="touch_key_required"),
            models.CheckConstraint(
                condition=~Q(status="done")
                | Q(channel="staff_task", done_at__isnull=False, outcome__in=["reached", "no_answer", "left_message"]),
                name="touch_done_is_a_finished_task",
            ),
            models.CheckConstraint(
                condition=~Q(channel="staff_task") | ~Q(status__in=["sending", "sent"]),
                name="touch_task_never_sent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.customer_id} ({self.status})"

    # What staff may do to a touch (the screen's buttons, the API and the services ask these; issue 11,
    # finding 8: a touch stuck in "sending" or failed for its data must not be beyond a manager's reach).

    def in_flight(self, now=None) -> bool:
        """A worker is talking to the mail server about it right now (its attempt is younger than the claim
        timeout, after which the dispatcher would hand it out again anyway)."""
        now = now or timezone.now()
        timeout = timedelta(seconds=settings.RAPPORT_TOUCH_CLAIM_TIMEOUT_SECONDS)
        return (
            self.status == TouchStatus.SENDING
            and bool(self.attempt_started_at)
            and now - self.attempt_started_at < timeout
        )

    def stuck(self, now=None) -> bool:
        """Claimed longer ago than the claim timeout and not being sent: a worker died or the broker lost it."""
        now = now or timezone.now()
        timeout = timedelta(seconds=settings.RAPPORT_TOUCH_CLAIM_TIMEOUT_SECONDS)
        return (
            self.status == TouchStatus.SENDING
            and not self.in_flight(now)
            and self.claimed_at is not None
            and now - self.claimed_at >= timeout
        )

    # Methods, not properties: this model has a field named "property". Templates call them the same way.
    def cancellable(self) -> bool:
        """Scheduled, failed, or sending but not with the mail server right now."""
        if self.status in (TouchStatus.SCHEDULED, TouchStatus.FAILED):
            return True
        return self.status == TouchStatus.SENDING and not self.in_flight()

    def sendable_now(self) -> bool:
        """Scheduled (send it now), failed (send it again, rendered from today's data) or stuck."""
        return self.status in (TouchStatus.SCHEDULED, TouchStatus.FAILED) or self.stuck()

    @builtins.property  # "property" is a field of this model
    def is_task(self) -> bool:
        return self.channel == Channel.STAFF_TASK

    @builtins.property
    def outcome_or_none(self) -> str | None:
        return self.outcome or None

    @builtins.property
    def task_status(self) -> str:
        """A task as the desk sees it: open (scheduled, due or not yet), done, or cancelled (anything else)."""
        if self.status == TouchStatus.SCHEDULED:
            return "open"
        return "done" if self.status == TouchStatus.DONE else "cancelled"


class Feedback(TimeStamped):
    """A 1–5 satisfaction score and a comment left through a survey link."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="feedback")
    touch = models.OneToOneField(Touch, on_delete=models.SET_NULL, null=True, blank=True, related_name="feedback")
    issue = models.ForeignKey(Issue, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    score = models.PositiveSmallIntegerField(_("score"))
    # "How likely are you to recommend us?" 0–10 (the survey page asks it since issue 14): promoters answer
    # 9–10, detractors 0–6; empty when the guest skipped it or answered before it was asked.
    recommend = models.PositiveSmallIntegerField(_("would recommend (0–10)"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True, max_length=FREE_TEXT_MAX_LENGTH, validators=[free_text])

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="feedback_score_1_to_5"),
            models.CheckConstraint(
                condition=Q(recommend__isnull=True) | Q(recommend__lte=10), name="feedback_recommend_0_to_10"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.score}/5"


class PlanningRun(models.Model):
    """How far ahead the nightly planner has planned one property's greetings (local dates)."""

    property = models.OneToOneField(Property, on_delete=models.CASCADE, related_name="+")
    planned_through = models.DateField()
    ran_at = models.DateTimeField()

    class Meta:
        verbose_name = _("planning run")
        verbose_name_plural = _("planning runs")

    def __str__(self) -> str:
        return f"{self.property_id} → {self.planned_through}"
