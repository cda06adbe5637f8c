"""Where a guest is known in other systems (a PMS's profile id) and their stays: who arrives today (issue 13)."""

from __future__ import annotations

import builtins

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from crm.models.base import TimeStamped
from crm.models.customers import Customer
from crm.models.history import Contact
from crm.models.tenancy import Organization, Property
from crm.validators import FREE_TEXT_MAX_LENGTH, free_text, single_line

# A system's short name as integrators write it ("opera", "mews", "cloudbeds", "pms-2"): lower case, no colon,
# since `?external_id=SYSTEM:ID` splits on the first one.
SYSTEM_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,39}\Z"
validate_system = RegexValidator(
    SYSTEM_PATTERN,
    _("A system is named in lower-case letters, digits, “-”, “_” or “.” (at most 40), e.g. opera."),
    code="invalid",
)
MAX_PARTY_SIZE = 99


class ExternalId(TimeStamped):
    """One id of the guest in another system; an id names one guest of the organization per system."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="external_ids")
    system = models.CharField(_("system"), max_length=40, validators=[validate_system])
    value = models.CharField(_("id"), max_length=100, validators=[single_line])

    class Meta:
        verbose_name = _("external id")
        verbose_name_plural = _("external ids")
        ordering = ["system", "value"]
        constraints = [
            # Also the index of `?external_id=SYSTEM:ID` and of a PMS push naming its guest.
            models.UniqueConstraint(fields=["organization", "system", "value"], name="external_id_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.system}:{self.value}"


class StayStatus(models.TextChoices):
    EXPECTED = "expected", _("Expected")
    IN_HOUSE = "in_house", _("In house")
    DEPARTED = "departed", _("Departed")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("No-show")


class Stay(TimeStamped):
    """A reservation at a property, from arrival to departure (dates at the property), as a PMS knows it."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", db_index=False)
    property = models.ForeignKey(Property, on_delete=models.CASCADE, related_name="stays", db_index=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="stays")
    arrival = models.DateField(_("arrival"))
    departure = models.DateField(_("departure"))
    room = models.CharField(_("room"), max_length=20, blank=True, validators=[single_line])
    party_size = models.PositiveSmallIntegerField(
        _("party size"), default=1, validators=[MinValueValidator(1), MaxValueValidator(MAX_PARTY_SIZE)]
    )
    status = models.CharField(_("status"), max_length=16, choices=StayStatus.choices, default=StayStatus.EXPECTED)
    note = models.TextField(_("note"), blank=True, max_length=FREE_TEXT_MAX_LENGTH, validators=[free_text])
    external_system = models.CharField(_("system"), max_length=40, blank=True, validators=[validate_system])
    external_id = models.CharField(_("id in that system"), max_length=100, blank=True, validators=[single_line])
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    # The arrival contact of the check-in: the visit it counted, once, whoever said it first.
    arrival_contact = models.OneToOneField(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="stay", editable=False
    )

    class Meta:
        verbose_name = _("stay")
        verbose_name_plural = _("stays")
        ordering = ["-arrival", "-id"]
        indexes = [
            # Today's arrivals: WHERE property_id = %s AND arrival = %s.
            models.Index(fields=["property", "arrival"], name="stay_property_arrival"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(departure__gte=F("arrival")), name="stay_departs_after_arrival"),
            models.CheckConstraint(condition=Q(status__in=StayStatus.values), name="stay_status_known"),
            models.CheckConstraint(condition=Q(party_size__range=(1, MAX_PARTY_SIZE)), name="stay_party_size"),
            # A PMS push is idempotent: one stay per reservation id of a system.
            models.UniqueConstraint(
                fields=["organization", "external_system", "external_id"],
                condition=~Q(external_id=""),
                name="stay_external_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.arrival:%Y-%m-%d}–{self.departure:%Y-%m-%d}"

    @builtins.property  # the name "property" is a field here
    def nights(self) -> int:
        return (self.departure - self.arrival).days
