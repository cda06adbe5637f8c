"""Organization → Property → Staff: the tenancy chain. A chain recognizes its
guests at all of its properties; one organization never sees another's rows."""

from __future__ import annotations

import builtins
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from crm import brand
from crm.models.base import TimeStamped
from crm.validators import hex_colour, multi_line, single_line

# A postal address: a few lines, not a letter.
POSTAL_ADDRESS_MAX_LENGTH = 300
SIGNATURE_MAX_LENGTH = 100

# Retention: at most a hundred years of silence (a typo such as 12000 would otherwise mean "keep forever").
MAX_RETENTION_MONTHS = 1200
MAX_PRE_ARRIVAL_DAYS = 14


class Organization(TimeStamped):
    name = models.CharField(_("name"), max_length=200, unique=True, validators=[single_line])
    require_two_factor = models.BooleanField(
        _("require two-factor sign-in of managers and admins"),
        default=False,
        help_text=_("Managers and admins without an authenticator app are asked to set one up when they log in."),
    )
    # Retention (crm.services.retention): a guest without a contact for this many months is anonymized (erased)
    # by the nightly job. Empty: kept until erased by hand.
    anonymize_after_months = models.PositiveSmallIntegerField(
        _("anonymize guests after (months without a contact)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_RETENTION_MONTHS)],
        help_text=_("Empty: keep guests until they are erased by hand."),
    )

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        constraints = [
            models.CheckConstraint(
                condition=Q(anonymize_after_months__isnull=True)
                | Q(anonymize_after_months__range=(1, MAX_RETENTION_MONTHS)),
                name="organization_retention_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


def validate_time_zone(value: str) -> None:
    """An IANA time zone name ("Asia/Shanghai", "America/New_York", "UTC")."""
    if value not in available_timezones() and value != "UTC":
        raise ValidationError(
            _("“%(value)s” is not a time zone: use an IANA name such as Asia/Shanghai or America/New_York."),
            code="invalid",
            params={"value": value},
        )


def validate_country(value: str) -> None:
    """A two-letter country code that phone numbers know (CN, US, TW, HK, …)."""
    if value and value.upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError(
            _("“%(value)s” is not a country code: use two letters such as CN, US or TW."),
            code="invalid",
            params={"value": value},
        )


class PropertyQuerySet(models.QuerySet):
    def default_of(self, organization_id: int) -> Property | None:
        """Where an organization's guests without a home property belong (their touches' time zone and
        sender, the nightly planner's property): its first property."""
        return self.filter(organization_id=organization_id).order_by("pk").first()

    def clock_of(
        self, *, organization_id: int, property_id: int | None = None, home_property_id: int | None = None
    ) -> Property | None:
        """Whose clock tells a guest's day: the property they are at (of their organization), else their home
        property, else their organization's first property (default_of); None for an organization without
        properties (then UTC). The one rule for "today" of a guest: the gift rules (which are live, the
        occasion, the budget's month), the brief (personalization.brief.inputs reads the same three in its SQL)
        and the nightly planner (each property's guests on its day, those without a home on the first's)."""
        for pk in (property_id, home_property_id):
            if pk is not None and (place := self.filter(organization_id=organization_id, pk=pk).first()):
                return place
        return self.default_of(organization_id)


class Property(TimeStamped):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="properties")
    name = models.CharField(_("name"), max_length=200, validators=[single_line])
    timezone = models.CharField(
        _("time zone"),
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text=_("Where the property is, e.g. Asia/Shanghai: birthdays, quiet hours and mails follow it."),
    )
    country = models.CharField(
        _("country"),
        max_length=2,
        blank=True,
        validators=[validate_country],
        help_text=_("Two letters, e.g. CN: phone numbers typed without +country are read in it."),
    )
    sender_email = models.EmailField(_("sender email"), blank=True)
    # The brand of its guests' mails and pages (crm.services.properties.property_brand_update writes them).
    # The logo: a PNG or JPEG that Pillow re-encoded, stored under a random name; public (it is in every mail).
    logo = models.FileField(_("logo"), upload_to="brand/", blank=True)
    accent_color = models.CharField(
        _("accent colour"),
        max_length=7,
        default=brand.DEFAULT_ACCENT,
        validators=[hex_colour],
        help_text=_(
            "The colour of the mails' header and buttons, e.g. #1d3b5a; the text on it is white or dark, "
            "whichever reads better."
        ),
    )
    postal_address = models.TextField(
        _("postal address"),
        blank=True,
        max_length=POSTAL_ADDRESS_MAX_LENGTH,
        validators=[MaxLengthValidator(POSTAL_ADDRESS_MAX_LENGTH), multi_line],
        help_text=_("A few lines, shown at the foot of every mail."),
    )
    signature = models.CharField(
        _("signature"),
        max_length=SIGNATURE_MAX_LENGTH,
        blank=True,
        validators=[single_line],
        help_text=_("How the mails are signed, e.g. “Ana and the front desk team”."),
    )
    # Off when empty: a manager turns the pre-arrival mail on (personalization's nightly planner reads it).
    pre_arrival_days = models.PositiveSmallIntegerField(
        _("pre-arrival mail, days before arrival"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_PRE_ARRIVAL_DAYS)],
        help_text=_(
            "Empty: no pre-arrival mail. 1 to 14: “Anything we can prepare for your stay?” that many days "
            "before a stay a PMS told us of."
        ),
    )

    objects = PropertyQuerySet.as_manager()

    class Meta:
        verbose_name = _("property")
        verbose_name_plural = _("properties")
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="property_unique_name_per_org"),
            # Mails and guest pages put the colour into their styles: nothing but "#" and six characters.
            models.CheckConstraint(
                condition=Q(accent_color__startswith="#") & Exact(Length("accent_color"), 7),
                name="property_accent_color_shape",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.country = (self.country or "").upper()
        super().save(*args, **kwargs)

    def zone(self) -> ZoneInfo:
        """The property's time zone (UTC when the stored name is unknown): the one definition of the place's
        clock, for birthdays, quiet hours, the nightly planners and the greeting."""
        return zone_named(self.timezone)

    def palette(self) -> brand.Palette:
        """The colours of this property's mails and guest pages (crm.brand: the text on the accent, the links)."""
        return brand.palette(self.accent_color)

    @property
    def phone_region(self) -> str:
        """The country phone numbers typed without +country are read in: the property's, else
        PHONE_DEFAULT_REGION."""
        return self.country or settings.PHONE_DEFAULT_REGION


def zone_named(name: str | None) -> ZoneInfo:
    """ZoneInfo of name, UTC when empty or unknown."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def phone_region_of(property_: Property | None) -> str:
    """Property.phone_region, or PHONE_DEFAULT_REGION without a property."""
    return property_.phone_region if property_ is not None else settings.PHONE_DEFAULT_REGION


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

    def zone(self) -> ZoneInfo | None:
        """The time zone of the staff member's property, None without one: the day a brief is read for."""
        return self.property.zone() if self.property_id is not None else None

    @builtins.property
    def must_use_two_factor(self) -> bool:
        """Whether this member's organization requires a second factor of them (managers and admins)."""
        return self.is_manager and self.organization.require_two_factor
