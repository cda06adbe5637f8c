"""The memory: who the customers are, what they like, what went wrong, every contact.

Organization → Property → Staff is the tenancy chain: a chain recognizes its
guests at all of its properties, and one organization never sees another's
rows (scoping happens once, in selectors.py).
"""

from __future__ import annotations

import builtins

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.partial_dates import PartialDate


class TimeStamped(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class Organization(TimeStamped):
    name = models.CharField(_("name"), max_length=200, unique=True)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")

    def __str__(self) -> str:
        return self.name


class Property(TimeStamped):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="properties")
    name = models.CharField(_("name"), max_length=200)
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC")
    sender_email = models.EmailField(_("sender email"), blank=True)

    class Meta:
        verbose_name = _("property")
        verbose_name_plural = _("properties")
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="property_unique_name_per_org"),
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    FRONTDESK = "frontdesk", _("Front desk")
    MANAGER = "manager", _("Manager")
    ADMIN = "admin", _("Admin")


class Staff(TimeStamped):
    """A user's place in one organization: its role and home property."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="staff")
    property = models.ForeignKey(Property, on_delete=models.SET_NULL, null=True, blank=True, related_name="staff")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.FRONTDESK)
    language = models.CharField(_("screen language"), max_length=16, blank=True, choices=settings.LANGUAGES)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        constraints = [
            models.CheckConstraint(condition=Q(role__in=Role.values), name="staff_role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    @builtins.property  # the name "property" is a field here
    def is_manager(self) -> bool:
        return self.role in (Role.MANAGER, Role.ADMIN)


class NameOrder(models.TextChoices):
    GIVEN_FIRST = "given_first", _("Given name first")
    FAMILY_FIRST = "family_first", _("Family name first")


def _partial_date_constraint(prefix: str) -> models.CheckConstraint:
    """Month and day both set and in range, or the whole date (year included) empty."""
    month, day, year = f"{prefix}_month", f"{prefix}_day", f"{prefix}_year"
    return models.CheckConstraint(
        condition=Q(**{f"{month}__isnull": True, f"{day}__isnull": True, f"{year}__isnull": True})
        | Q(
            **{f"{month}__isnull": False, f"{day}__isnull": False, f"{month}__range": (1, 12), f"{day}__range": (1, 31)}
        ),
        name=f"customer_{prefix}_valid",
    )


NAME_REQUIRED_MESSAGE = _("At least one name is required (given, family, native or preferred name).")


class Customer(TimeStamped):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="customers")
    home_property = models.ForeignKey(
        Property, on_delete=models.SET_NULL, null=True, blank=True, related_name="customers"
    )

    given_name = models.CharField(_("given name"), max_length=150, blank=True)
    family_name = models.CharField(_("family name"), max_length=150, blank=True)
    name_order = models.CharField(
        _("name order"), max_length=16, choices=NameOrder.choices, default=NameOrder.GIVEN_FIRST
    )
    native_name = models.CharField(_("name in its own script"), max_length=200, blank=True)
    latin_name = models.CharField(_("name in Latin letters"), max_length=200, blank=True)
    preferred_name = models.CharField(_("preferred name"), max_length=150, blank=True)
    salutation = models.CharField(_("salutation"), max_length=50, blank=True)

    pronunciation = models.CharField(_("pronunciation (respelling)"), max_length=200, blank=True)
    pronunciation_ipa = models.CharField(_("pronunciation (IPA)"), max_length=200, blank=True)
    pronunciation_audio = models.FileField(_("pronunciation audio"), upload_to="pronunciations/", blank=True)
    pronunciation_note = models.CharField(_("pronunciation note"), max_length=500, blank=True)

    language = models.CharField(_("preferred language"), max_length=35, default="en")
    email = models.EmailField(_("email"), max_length=254, blank=True)
    phone = models.CharField(_("phone (E.164)"), max_length=16, blank=True)

    # Month and day are required for a date; the year is optional ("MM-DD").
    birthday_year = models.PositiveSmallIntegerField(null=True, blank=True)
    birthday_month = models.PositiveSmallIntegerField(null=True, blank=True)
    birthday_day = models.PositiveSmallIntegerField(null=True, blank=True)
    anniversary_year = models.PositiveSmallIntegerField(null=True, blank=True)
    anniversary_month = models.PositiveSmallIntegerField(null=True, blank=True)
    anniversary_day = models.PositiveSmallIntegerField(null=True, blank=True)

    first_seen = models.DateTimeField(_("first seen"), null=True, blank=True)
    last_seen = models.DateTimeField(_("last seen"), null=True, blank=True)
    visit_count = models.PositiveIntegerField(_("visits"), default=0)

    tags = models.JSONField(_("tags"), default=list, blank=True)
    consent_service = models.BooleanField(_("service messages allowed"), default=True)
    consent_marketing = models.BooleanField(_("marketing messages allowed"), default=False)
    consent_surprises = models.BooleanField(_("surprises allowed"), default=True)
    do_not_contact = models.BooleanField(_("do not contact"), default=False)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The customer list: WHERE organization_id = %s ORDER BY created_at DESC, id DESC.
            models.Index(fields=["organization", "-created_at", "-id"], name="customer_org_newest"),
            # Lookup by email within an organization.
            models.Index(fields=["organization", "email"], name="customer_org_email"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(given_name="") | ~Q(family_name="") | ~Q(native_name="") | ~Q(preferred_name=""),
                name="customer_has_a_name",
                violation_error_message=NAME_REQUIRED_MESSAGE,
            ),
            _partial_date_constraint("birthday"),
            _partial_date_constraint("anniversary"),
            models.CheckConstraint(
                condition=Q(first_seen__isnull=True) | Q(last_seen__gte=models.F("first_seen")),
                name="customer_seen_in_order",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    def clean(self) -> None:
        if not any(
            (self.given_name.strip(), self.family_name.strip(), self.native_name.strip(), self.preferred_name.strip())
        ):
            raise ValidationError({"given_name": NAME_REQUIRED_MESSAGE}, code="required")

    @property
    def display_name(self) -> str:
        """The name staff read on screen: native script first, else given/family in their order."""
        if self.native_name:
            return self.native_name
        parts = [self.given_name, self.family_name]
        if self.name_order == NameOrder.FAMILY_FIRST:
            parts.reverse()
        return " ".join(p for p in parts if p) or self.preferred_name

    @property
    def birthday(self) -> PartialDate | None:
        return _partial(self.birthday_year, self.birthday_month, self.birthday_day)

    @birthday.setter
    def birthday(self, value: PartialDate | None) -> None:
        self.birthday_year, self.birthday_month, self.birthday_day = _parts(value)

    @property
    def anniversary(self) -> PartialDate | None:
        return _partial(self.anniversary_year, self.anniversary_month, self.anniversary_day)

    @anniversary.setter
    def anniversary(self, value: PartialDate | None) -> None:
        self.anniversary_year, self.anniversary_month, self.anniversary_day = _parts(value)


def _partial(year: int | None, month: int | None, day: int | None) -> PartialDate | None:
    return PartialDate(month=month, day=day, year=year) if month and day else None


def _parts(value: PartialDate | None) -> tuple[int | None, int | None, int | None]:
    return (value.year, value.month, value.day) if value else (None, None, None)


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
    text = models.CharField(_("what"), max_length=500)
    key = models.CharField(_("key"), max_length=100, blank=True)
    value = models.CharField(_("value"), max_length=200, blank=True)
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
    summary = models.CharField(_("what went wrong"), max_length=500)
    detail = models.TextField(_("detail"), blank=True)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices, default=Severity.MEDIUM)
    status = models.CharField(_("status"), max_length=16, choices=IssueStatus.choices, default=IssueStatus.OPEN)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    opened_at = models.DateTimeField(_("opened at"))
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)
    compensation = models.CharField(_("compensation"), max_length=500, blank=True)
    recovery_steps = models.JSONField(_("recovery steps done"), default=list, blank=True)
    follow_up = models.CharField(_("follow-up needed"), max_length=500, blank=True)

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
    note = models.TextField(_("note"), blank=True)
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


class ChangeRecord(models.Model):
    """Append-only history: who changed what in the memory, and when."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=64)
    target_type = models.CharField(max_length=32)
    target_id = models.BigIntegerField()
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("change record")
        verbose_name_plural = _("change records")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The history of one object, newest first.
            models.Index(fields=["target_type", "target_id", "-created_at"], name="change_target"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type}#{self.target_id}"
