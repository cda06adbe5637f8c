"""Organization → Property → Staff: the tenancy chain. A chain recognizes its
guests at all of its properties; one organization never sees another's rows."""

from __future__ import annotations

import builtins

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.models.base import TimeStamped
from crm.validators import single_line

# Retention: at most a hundred years of silence (a typo such as 12000 would otherwise mean "keep forever").
MAX_RETENTION_MONTHS = 1200


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


class PropertyQuerySet(models.QuerySet):
    def default_of(self, organization_id: int) -> Property | None:
        """Where an organization's guests without a home property belong (their touches' time zone and
        sender, the nightly planner's property): its first property."""
        return self.filter(organization_id=organization_id).order_by("pk").first()


class Property(TimeStamped):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="properties")
    name = models.CharField(_("name"), max_length=200, validators=[single_line])
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC", validators=[single_line])
    sender_email = models.EmailField(_("sender email"), blank=True)

    objects = PropertyQuerySet.as_manager()

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

    @builtins.property
    def must_use_two_factor(self) -> bool:
        """Whether this member's organization requires a second factor of them (managers and admins)."""
        return self.is_manager and self.organization.require_two_factor
