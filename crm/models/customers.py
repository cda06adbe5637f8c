"""The customer: names in several scripts, how to say them, dates, consent."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from crm import languages
from crm.lookup.normalize import HAN_RUN, han_family_name
from crm.models.base import TimeStamped
from crm.models.tenancy import Organization, Property
from crm.partial_dates import PartialDate
from crm.validators import single_line


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


def _partial_date(prefix: str) -> property:
    """A PartialDate kept in <prefix>_year, _month and _day; None when month or day is empty."""
    columns = (f"{prefix}_year", f"{prefix}_month", f"{prefix}_day")

    def get(customer: Customer) -> PartialDate | None:
        year, month, day = (getattr(customer, column) for column in columns)
        return PartialDate(month=month, day=day, year=year) if month and day else None

    def set_(customer: Customer, value: PartialDate | None) -> None:
        parts = (value.year, value.month, value.day) if value else (None, None, None)
        for column, part in zip(columns, parts, strict=True):
            setattr(customer, column, part)

    return property(get, set_)


# Salutations said after a Chinese family name (王女士), in both scripts.
CHINESE_SALUTATIONS = frozenset({"先生", "女士", "小姐", "太太", "老师", "老師", "博士", "医生", "醫生"})

NAME_REQUIRED_MESSAGE = _("At least one name is required (given, family, native or preferred name).")


class Customer(TimeStamped):
    # No index of its own: customer_org_newest leads with it.
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="customers", db_index=False)
    home_property = models.ForeignKey(
        Property, on_delete=models.SET_NULL, null=True, blank=True, related_name="customers"
    )

    given_name = models.CharField(_("given name"), max_length=150, blank=True, validators=[single_line])
    family_name = models.CharField(_("family name"), max_length=150, blank=True, validators=[single_line])
    name_order = models.CharField(
        _("name order"), max_length=16, choices=NameOrder.choices, default=NameOrder.GIVEN_FIRST
    )
    native_name = models.CharField(_("name in its own script"), max_length=200, blank=True, validators=[single_line])
    latin_name = models.CharField(_("name in Latin letters"), max_length=200, blank=True, validators=[single_line])
    preferred_name = models.CharField(_("preferred name"), max_length=150, blank=True, validators=[single_line])
    salutation = models.CharField(_("salutation"), max_length=50, blank=True, validators=[single_line])

    pronunciation = models.CharField(
        _("pronunciation (respelling)"), max_length=200, blank=True, validators=[single_line]
    )
    pronunciation_ipa = models.CharField(_("pronunciation (IPA)"), max_length=200, blank=True, validators=[single_line])
    pronunciation_audio = models.FileField(_("pronunciation audio"), upload_to="pronunciations/", blank=True)
    pronunciation_note = models.CharField(_("pronunciation note"), max_length=500, blank=True, validators=[single_line])

    language = models.CharField(_("preferred language"), max_length=35, default="en", validators=[single_line])
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

    # Derived at write time by the lookup (crm.lookup.terms), never typed by staff.
    pinyin = models.CharField(_("pinyin"), max_length=200, blank=True, editable=False)
    # address_name() in the guest's own language, for SQL that fills gift texts ({preferred_name}).
    addressed_as = models.CharField(_("addressed as"), max_length=200, blank=True, editable=False)
    search_name = models.CharField(max_length=500, blank=True, editable=False)
    # Set when this profile was merged into another; such a profile is hidden everywhere until undone.
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False, db_index=False
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The customer list: WHERE organization_id = %s ORDER BY created_at DESC, id DESC.
            models.Index(fields=["organization", "-created_at", "-id"], name="customer_org_newest"),
            # Likely duplicates: the same email or phone within an organization.
            models.Index(fields=["organization", "email"], name="customer_org_email"),
            models.Index(fields=["organization", "phone"], name="customer_org_phone"),
            # The lookup's walk through an organization's guests, most recent first, for a prefix that too many
            # terms start with (crm.lookup.search.statements.walk_sql):
            # ORDER BY last_seen DESC NULLS LAST, id DESC LIMIT n.
            # NULLS LAST on PostgreSQL (migration 0019; SQLite refuses it in an index, and sorts NULLs last anyway).
            models.Index(F("organization"), F("last_seen").desc(), F("id").desc(), name="customer_org_recent"),
            # The few merged-away profiles (a full index on a mostly-NULL column only misleads the planner).
            models.Index(fields=["merged_into"], name="customer_merged", condition=Q(merged_into__isnull=False)),
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
        return display_name(self)

    def surviving_profile(self) -> Customer:
        """The profile this one lives on as: itself, or, after merges (perhaps several, one into the next),
        the one it was folded into. What a guest's older links (unsubscribe) act on."""
        customer, seen = self, {self.pk}
        while customer.merged_into_id is not None and customer.merged_into_id not in seen:
            seen.add(customer.merged_into_id)
            customer = Customer.objects.get(pk=customer.merged_into_id)
        return customer

    def message_language(self) -> str:
        """The language texts to the guest are written in: en, zh-hans or zh-hant (crm.languages)."""
        return languages.message_language(self.language)

    def speech_voice(self) -> str:
        """The browser voice (BCP 47) that says their name: a Han name in Mandarin, others in their language."""
        return languages.speech_voice(self.language, han_name=bool(self.pinyin))

    def address_name(self, language: str | None = None) -> str:
        """How to address them in language (default: message_language()): see address_name()."""
        return address_name(self, language or self.message_language())

    birthday = _partial_date("birthday")
    anniversary = _partial_date("anniversary")


def han_full_name(customer: Customer) -> str:
    """A Han name typed into the family and given name fields (陳 + 靜), as it is written: family name first,
    no space (陳靜), whatever name_order says; "" unless both parts are Han characters only."""
    family, given = customer.family_name.strip(), customer.given_name.strip()
    if family and given and HAN_RUN.fullmatch(family) and HAN_RUN.fullmatch(given):
        return family + given
    return ""


def display_name(customer: Customer) -> str:
    """Customer.display_name, for historical models in migrations too."""
    if customer.native_name:
        return customer.native_name
    if han := han_full_name(customer):
        return han
    parts = [customer.given_name, customer.family_name]
    if customer.name_order == NameOrder.FAMILY_FIRST:
        parts.reverse()
    return " ".join(p for p in parts if p) or customer.preferred_name


def address_name(customer: Customer, language: str) -> str:
    """How to address a guest in language, on every screen, brief, gift text and email: the name they asked
    to be called; else salutation and family name (王女士 in Chinese with a Chinese salutation, "Ms O'Connor"
    otherwise); else their native name in Chinese, their given name, or the name on screen. Names are shown
    exactly as entered, never converted between scripts. Reads fields only (historical models too)."""
    if customer.preferred_name:
        return customer.preferred_name
    salutation = customer.salutation.strip()
    if language != languages.ENGLISH:
        family = han_family_name(customer.family_name, "family") or han_family_name(customer.native_name)
        if family and salutation in CHINESE_SALUTATIONS:
            return family + salutation
        if customer.native_name:
            return customer.native_name
    if salutation and customer.family_name and salutation not in CHINESE_SALUTATIONS:
        return f"{salutation} {customer.family_name}"
    # 靜 alone is not how anyone addresses 陳靜: a Han name is said whole.
    return han_full_name(customer) or customer.given_name or display_name(customer)
