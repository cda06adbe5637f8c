"""What a customer likes, what went wrong, and every contact with them."""

from __future__ import annotations

import builtins

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.models.base import TimeStamped
from crm.models.customers import Customer
from crm.models.tenancy import Property
from crm.validators import FREE_TEXT_MAX_LENGTH, free_text, single_line


class PreferenceCategory(models.TextChoices):
    ROOM = "room", _("Room")
    SEATING = "seating", _("Seating")
    FOOD = "food", _("Food")
    DRINK = "drink", _("Drink")
    AMENITY = "amenity", _("Amenity")
    COMMUNICATION = "communication", _("Communication")
    ACCESSIBILITY = "accessibility", _("Accessibility")
    DIETARY = "dietary", _("Dietary")
    ALLERGY = "allergy", _("Allergy")
    OTHER = "other", _("Other")


SAFETY_CATEGORIES = frozenset({PreferenceCategory.ALLERGY, PreferenceCategory.DIETARY})


class Polarity(models.TextChoices):
    LIKES = "likes", _("Likes")
    DISLIKES = "dislikes", _("Dislikes")
    AVOID = "avoid", _("Must avoid")


class Source(models.TextChoices):
    CUSTOMER = "customer", _("Customer said")
    STAFF = "staff", _("Staff observed")
    INFERRED = "inferred", _("Inferred")
    IMPORTED = "imported", _("Imported")


class Preference(TimeStamped):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="preferences")
    category = models.CharField(_("category"), max_length=16, choices=PreferenceCategory.choices)
    text = models.CharField(_("what"), max_length=500, validators=[single_line])
    key = models.CharField(_("key"), max_length=100, blank=True, validators=[single_line])
    value = models.CharField(_("value"), max_length=200, blank=True, validators=[single_line])
    polarity = models.CharField(_("polarity"), max_length=16, choices=Polarity.choices, default=Polarity.LIKES)
    source = models.CharField(_("source"), max_length=16, choices=Source.choices, default=Source.CUSTOMER)
    safety_critical = models.BooleanField(_("safety-critical"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at_property = models.ForeignKey(
        Property, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_confirmed_at = models.DateTimeField(_("last confirmed"))
    times_confirmed = models.PositiveIntegerField(_("times confirmed"), default=0)

    class Meta:
        verbose_name = _("preference")
        verbose_name_plural = _("preferences")
        ordering = ["-safety_critical", "-last_confirmed_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(category__in=PreferenceCategory.values), name="preference_category"),
            models.CheckConstraint(condition=Q(polarity__in=Polarity.values), name="preference_polarity"),
            models.CheckConstraint(condition=Q(source__in=Source.values), name="preference_source"),
            models.CheckConstraint(condition=~Q(text=""), name="preference_text_required"),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()}: {self.text}"

    def clean(self) -> None:
        # An allergy is something to keep away from the guest: "Penicillin · Likes" would tell the desk the
        # opposite of the truth in the safety box. Checked here, so the services, the API and the admin refuse it.
        if self.category == PreferenceCategory.ALLERGY and self.polarity == Polarity.LIKES:
            raise ValidationError(
                {"polarity": _("An allergy cannot be a liking: choose “Must avoid” (or “Dislikes”).")},
                code="allergy_liked",
            )


class IssueStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class RecoveryStep(models.TextChoices):
    """The L.E.A.S.T. / H.E.A.R.T. service-recovery sequence from the seeds."""

    LISTEN = "listen", _("Listen")
    EMPATHIZE = "empathize", _("Empathize")
    APOLOGIZE = "apologize", _("Apologize")
    SOLVE = "solve", _("Solve")
    THANK = "thank", _("Thank")


class Issue(TimeStamped):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="issues")
    property = models.ForeignKey(Property, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    summary = models.CharField(_("what went wrong"), max_length=500, validators=[single_line])
    detail = models.TextField(_("detail"), blank=True, max_length=FREE_TEXT_MAX_LENGTH, validators=[free_text])
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices, default=Severity.MEDIUM)
    status = models.CharField(_("status"), max_length=16, choices=IssueStatus.choices, default=IssueStatus.OPEN)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    opened_at = models.DateTimeField(_("opened at"))
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True, max_length=FREE_TEXT_MAX_LENGTH, validators=[free_text])
    compensation = models.CharField(_("compensation"), max_length=500, blank=True, validators=[single_line])
    # The L.E.A.S.T. steps done, in the sequence's order, each with who ticked it and when:
    # [{"step": "listen", "by": <user id or null>, "at": "<ISO 8601>"}]. Written by crm.services.issue_update
    # (steps_done=[...]); read as Issue.steps_done.
    recovery_steps = models.JSONField(_("recovery steps done"), default=list, blank=True)
    # What the guest may read about it (follow-up mails, the survey page); never the internal summary.
    guest_summary = models.CharField(_("what the guest may read"), max_length=500, blank=True, validators=[single_line])
    follow_up = models.CharField(_("follow-up needed"), max_length=500, blank=True, validators=[single_line])

    class Meta:
        verbose_name = _("issue")
        verbose_name_plural = _("issues")
        ordering = ["-opened_at", "-id"]
        indexes = [
            # The brief's repair section: open issues and recently resolved ones of one customer.
            models.Index(fields=["customer", "status", "-opened_at"], name="issue_customer_status"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=IssueStatus.values), name="issue_status"),
            models.CheckConstraint(condition=Q(severity__in=Severity.values), name="issue_severity"),
            models.CheckConstraint(condition=~Q(summary=""), name="issue_summary_required"),
            models.CheckConstraint(
                condition=~Q(status=IssueStatus.RESOLVED) | (~Q(resolution="") & Q(resolved_at__isnull=False)),
                name="issue_resolved_has_resolution",
            ),
        ]

    def __str__(self) -> str:
        return self.summary

    @builtins.property  # "property" is a field of this model
    def steps_done(self) -> list[str]:
        """The recovery steps done, in the sequence's order (also read from rows written before who and when
        were kept: a plain list of step names)."""
        done = {entry["step"] if isinstance(entry, dict) else entry for entry in self.recovery_steps or ()}
        return [step for step in RecoveryStep.values if step in done]

    def step_entries(self) -> list[dict]:
        """Each step done as {"step", "by" (user id or None), "at" (ISO 8601 or None)}, in the sequence's order."""
        entries = {}
        for entry in self.recovery_steps or ():
            if isinstance(entry, dict):
                entries[entry["step"]] = {"step": entry["step"], "by": entry.get("by"), "at": entry.get("at")}
            else:
                entries[entry] = {"step": entry, "by": None, "at": None}
        return [entries[step] for step in RecoveryStep.values if step in entries]

    @builtins.property
    def guest_words(self) -> str:
        """What a guest may read about this issue: its guest summary, or "" (the caller says something neutral).
        Never the internal summary: staff write it for each other ("Charged twice for the minibar")."""
        return self.guest_summary.strip()


class ContactKind(models.TextChoices):
    ARRIVAL = "arrival", _("Arrival")
    VISIT = "visit", _("Visit")
    CALL = "call", _("Call")
    EMAIL = "email", _("Email")
    CHAT = "chat", _("Chat")
    DEPARTURE = "departure", _("Departure")


VISIT_KINDS = frozenset({ContactKind.ARRIVAL, ContactKind.VISIT})


class Contact(TimeStamped):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    property = models.ForeignKey(Property, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ContactKind.choices)
    occurred_at = models.DateTimeField(_("occurred at"))
    note = models.TextField(_("note"), blank=True, max_length=FREE_TEXT_MAX_LENGTH, validators=[free_text])
    greeted_by_name = models.BooleanField(_("greeted by name"), default=False)
    preference_honored = models.BooleanField(_("preference honoured"), default=False)
    delight_delivered = models.BooleanField(_("delight delivered"), default=False)
    brief_shown = models.JSONField(_("brief shown"), null=True, blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            # A customer's contact history, newest first.
            models.Index(fields=["customer", "-occurred_at"], name="contact_customer_recent"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ContactKind.values), name="contact_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.occurred_at:%Y-%m-%d}"
