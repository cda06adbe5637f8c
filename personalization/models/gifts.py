"""Small-gift rules (managers), the delights they suggest, and each rule's spending per month.

Seeds: "create surprises with small gifts or extras", "planned surprises", "true delight means an
unexpected extra". Invariants live in the database; the rules that need the customer (can it ever
fire, can its placeholders be filled) in personalization.gifts.rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from crm.models import Customer, Organization, PreferenceCategory, Property, Severity, TimeStamped
from crm.validators import single_line

MAX_WINDOW_DAYS = 60


class Trigger(models.TextChoices):
    BIRTHDAY = "birthday", _("Birthday")
    ANNIVERSARY = "anniversary", _("Anniversary")
    NTH_VISIT = "nth_visit", _("Nth visit")
    FIRST_VISIT = "first_visit", _("First visit")
    RETURN_AFTER_ABSENCE = "return_after_absence", _("Return after an absence")
    ISSUE_RESOLVED = "issue_resolved", _("After an issue is resolved")
    MANUAL = "manual", _("Manual")


# A year, for the yearly cap.
YEAR = timedelta(days=365)


class GiftRuleQuerySet(models.QuerySet):
    def live(self) -> GiftRuleQuerySet:
        """Rules not deleted (a deleted rule keeps its delights and its spending for the record)."""
        return self.filter(deleted_at__isnull=True)

    def live_on(self, day: date) -> GiftRuleQuerySet:
        """Rules that may fire on day: not deleted, active, and within their active dates. The brief, the
        engine, the nightly planner and the manager's lists all ask this question here."""
        return self.live().filter(
            Q(active=True),
            Q(starts_on__isnull=True) | Q(starts_on__lte=day),
            Q(ends_on__isnull=True) | Q(ends_on__gte=day),
        )

    def at_property(self, property_id: int | None) -> GiftRuleQuerySet:
        """Rules of every property (none listed), or listing this one."""
        listed = self.model.properties.through.objects.filter(giftrule_id=OuterRef("pk"))
        return self.filter(~Exists(listed) | Exists(listed.filter(property_id=property_id)))


class GiftRule(TimeStamped):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    # Empty: every property of the organization.
    properties = models.ManyToManyField(
        Property, blank=True, related_name="+", verbose_name=_("properties"), help_text=_("Empty: every property.")
    )
    name = models.CharField(_("name"), max_length=120, validators=[single_line])
    trigger = models.CharField(_("trigger"), max_length=24, choices=Trigger.choices)
    window_days = models.PositiveSmallIntegerField(
        _("days before the date"), default=7, help_text=_("Birthday and anniversary: how many days before (0–60).")
    )
    visit_number = models.PositiveIntegerField(_("visit number"), null=True, blank=True)
    absence_days = models.PositiveIntegerField(_("days away"), null=True, blank=True)

    # Conditions: all must hold.
    tags = models.JSONField(_("customer tags (any of)"), default=list, blank=True)
    preference_category = models.CharField(
        _("has a preference of category"), max_length=16, choices=PreferenceCategory.choices, blank=True
    )
    min_visits = models.PositiveIntegerField(_("minimum visits"), default=0)
    min_severity = models.CharField(_("minimum issue severity"), max_length=8, choices=Severity.choices, blank=True)

    gift = models.CharField(_("gift"), max_length=300, validators=[single_line])
    cost = models.DecimalField(_("cost"), max_digits=10, decimal_places=2, default=0)
    monthly_budget = models.DecimalField(
        _("monthly budget"), max_digits=10, decimal_places=2, null=True, blank=True, help_text=_("Empty: no cap.")
    )
    # True: monthly_budget caps each property separately (GiftSpend rows keyed by property).
    budget_per_property = models.BooleanField(
        _("budget per property"), default=False, help_text=_("The monthly budget applies to each property separately.")
    )
    cooldown_days = models.PositiveIntegerField(_("cooldown (days)"), default=365)
    yearly_cap = models.PositiveSmallIntegerField(_("at most per customer per year"), null=True, blank=True)
    approval_above = models.DecimalField(
        _("manager approval above"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    starts_on = models.DateField(_("active from"), null=True, blank=True)
    ends_on = models.DateField(_("active until"), null=True, blank=True)
    priority = models.SmallIntegerField(_("priority"), default=0, help_text=_("Higher first."))
    active = models.BooleanField(_("active"), default=True)
    # A delight_notice touch per planned (or nightly suggested) delight: personalization.touches.notices.
    notify_guest = models.BooleanField(
        _("tell the guest ahead"),
        default=False,
        help_text=_("Send the guest a short message (a delight notice) before the occasion, naming the gift."),
    )
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = GiftRuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("gift rule")
        verbose_name_plural = _("gift rules")
        ordering = ["-priority", "name", "id"]
        indexes = [
            # The brief and the planner: WHERE organization_id = %s AND active AND deleted_at IS NULL.
            models.Index(fields=["organization", "active"], name="giftrule_org_active"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(trigger__in=Trigger.values), name="giftrule_trigger"),
            models.CheckConstraint(condition=~Q(name=""), name="giftrule_name_required"),
            models.CheckConstraint(condition=~Q(gift=""), name="giftrule_gift_required"),
            models.CheckConstraint(condition=Q(window_days__lte=MAX_WINDOW_DAYS), name="giftrule_window_days"),
            models.CheckConstraint(condition=Q(cost__gte=0), name="giftrule_cost_not_negative"),
            models.CheckConstraint(
                condition=Q(monthly_budget__isnull=True) | Q(monthly_budget__gte=0), name="giftrule_budget"
            ),
            models.CheckConstraint(
                condition=Q(approval_above__isnull=True) | Q(approval_above__gte=0), name="giftrule_approval"
            ),
            models.CheckConstraint(
                condition=~Q(trigger="nth_visit") | Q(visit_number__gte=1), name="giftrule_nth_visit_number"
            ),
            models.CheckConstraint(
                condition=~Q(trigger="return_after_absence") | Q(absence_days__gte=1), name="giftrule_absence_days"
            ),
            models.CheckConstraint(condition=Q(yearly_cap__isnull=True) | Q(yearly_cap__gte=1), name="giftrule_cap"),
            models.CheckConstraint(
                condition=Q(starts_on__isnull=True) | Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="giftrule_dates_in_order",
            ),
            models.CheckConstraint(
                condition=Q(min_severity="") | Q(min_severity__in=Severity.values), name="giftrule_severity"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def spend_property_id(self, property_id: int | None) -> int | None:
        """The property of the GiftSpend row a delight at this property charges: none for a rule-wide budget."""
        return property_id if self.budget_per_property else None

    # --- cooldown and yearly cap: one definition for the brief, the engine, staff offers and the planner ---
    # A gift counts against them from when it was given (Delight.given_at), while it is planned or delivered.
    # Python (allows_again, over a customer's PastDelights) and SQL (gifts_blocking, a Delight queryset) read
    # the same two limits below; tests hold them to the same answer on the boundary day.

    def cooldown_limit(self, now: datetime) -> datetime:
        """A gift given after this moment is within the cooldown (given exactly cooldown_days ago: free again)."""
        return now - timedelta(days=self.cooldown_days)

    @staticmethod
    def cap_limit(now: datetime) -> datetime:
        """Gifts given after this moment count towards the yearly cap."""
        return now - YEAR

    def allows_again(self, past: Iterable[PastDelight], now: datetime) -> bool:
        """May this customer, whose delights of this rule are past, get its gift again now?"""
        return self.allows_after([d.given_at for d in past if d.status in GIVEN_STATUSES], now)

    def allows_after(self, given: list[datetime], now: datetime) -> bool:
        """allows_again() for a customer given this rule's gift at these moments."""
        if self.cooldown_days and any(when > self.cooldown_limit(now) for when in given):
            return False
        return self.yearly_cap is None or sum(1 for when in given if when > self.cap_limit(now)) < self.yearly_cap

    def gifts_blocking(self, now: datetime) -> tuple[Q | None, Q | None]:
        """allows_again() as SQL: (cooldown, cap) conditions on this rule's given delights of one customer
        (Delight.objects.given()); the customer may not have it again when a delight matches the cooldown
        one, or yearly_cap delights match the cap one. None where the rule sets no limit."""
        cooldown = Q(given_at__gt=self.cooldown_limit(now)) if self.cooldown_days else None
        cap = Q(given_at__gt=self.cap_limit(now)) if self.yearly_cap else None
        return cooldown, cap


class DelightStatus(models.TextChoices):
    SUGGESTED = "suggested", _("Suggested")
    PLANNED = "planned", _("Planned")
    DELIVERED = "delivered", _("Delivered")
    DECLINED = "declined", _("Declined")
    EXPIRED = "expired", _("Expired")


# A delight counts as given (cooldown, yearly cap) once planned, and stays so when delivered.
GIVEN_STATUSES = frozenset({DelightStatus.PLANNED, DelightStatus.DELIVERED})
# Still to happen: the brief may show it, staff may deliver it.
OPEN_STATUSES = frozenset({DelightStatus.SUGGESTED, DelightStatus.PLANNED})


class DelightQuerySet(models.QuerySet):
    def given(self) -> DelightQuerySet:
        """Planned or delivered delights, with given_at: when delivered, else when planned."""
        return self.filter(status__in=GIVEN_STATUSES).alias(given_at=Coalesce("delivered_at", "planned_at"))


class Delight(TimeStamped):
    """One gift for one customer on one occasion; its occasion key makes it happen once.

    The nightly planner inserts these by the hundred thousand: only the indexes a query needs (Meta), no
    automatic one per foreign key. Those left without (property, the staff columns) are only looked up when
    a property or a user is deleted, which is rare."""

    # Organization-wide lists: delight_org_newest.
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", db_index=False)
    # Not hidden: merging two profiles moves the duplicate's delights (crm.services.merges finds every relation).
    # Indexed by delight_customer_rule.
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="delights", db_index=False)
    # RESTRICT: a rule with delights is never deleted alone (it is archived), but its organization may be.
    # Indexed by delight_once_per_occasion (rule first).
    rule = models.ForeignKey(GiftRule, on_delete=models.RESTRICT, related_name="delights", db_index=False)
    property = models.ForeignKey(
        Property, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    # "birthday:2026", "visit:10", "first_visit", "return:2026-03-14", "issue:42": one per rule and customer.
    occasion_key = models.CharField(max_length=64)
    gift = models.CharField(_("gift"), max_length=500, validators=[single_line])
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    cost = models.DecimalField(_("cost"), max_digits=10, decimal_places=2)
    status = models.CharField(
        _("status"), max_length=16, choices=DelightStatus.choices, default=DelightStatus.SUGGESTED
    )
    occasion_on = models.DateField(_("occasion"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    planned_at = models.DateTimeField(null=True, blank=True)
    planned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    delivered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    # The first day of the month its cost was charged to (GiftSpend.month).
    charged_month = models.DateField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    declined_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )

    objects = DelightQuerySet.as_manager()

    class Meta:
        verbose_name = _("delight")
        verbose_name_plural = _("delights")
        ordering = ["-created_at", "-id"]
        indexes = [
            # GET /delights/?customer= and the cooldown / yearly cap of one customer.
            models.Index(fields=["customer", "rule", "-created_at"], name="delight_customer_rule"),
            # GET /delights/: an organization's delights, newest first.
            models.Index(fields=["organization", "-created_at", "-id"], name="delight_org_newest"),
            # Delights delivered by staff, newest first (manager screen).
            models.Index(
                fields=["organization", "-delivered_at"],
                name="delight_org_delivered",
                condition=Q(status="delivered"),
            ),
        ]
        constraints = [
            # Whatever runs twice (two briefs, the planner and a brief), one gift per occasion.
            models.UniqueConstraint(fields=["rule", "customer", "occasion_key"], name="delight_once_per_occasion"),
            models.CheckConstraint(condition=Q(status__in=DelightStatus.values), name="delight_status"),
            models.CheckConstraint(condition=Q(cost__gte=0), name="delight_cost_not_negative"),
            models.CheckConstraint(
                condition=~Q(status="delivered") | (Q(delivered_at__isnull=False) & Q(charged_month__isnull=False)),
                name="delight_delivered_is_charged",
            ),
            models.CheckConstraint(
                condition=~Q(status="planned") | Q(planned_at__isnull=False), name="delight_planned_has_time"
            ),
            models.CheckConstraint(
                condition=~Q(status="declined") | Q(declined_at__isnull=False), name="delight_declined_has_time"
            ),
        ]

    def __str__(self) -> str:
        return self.gift


@dataclass(frozen=True, slots=True)
class PastDelight:
    """What the engine needs of a customer's earlier delight of a rule (cheaper than a model instance)."""

    id: int
    occasion_key: str
    status: str
    gift: str
    cost: Decimal
    created_at: datetime
    planned_at: datetime | None
    delivered_at: datetime | None
    expires_at: datetime | None

    @classmethod
    def of(cls, delight: Delight) -> PastDelight:
        return cls(
            delight.pk,
            delight.occasion_key,
            delight.status,
            delight.gift,
            delight.cost,
            delight.created_at,
            delight.planned_at,
            delight.delivered_at,
            delight.expires_at,
        )

    @property
    def given_at(self) -> datetime | None:
        """When it was given (DelightQuerySet.given): delivered, else planned."""
        return self.delivered_at or self.planned_at

    def is_open(self, now: datetime) -> bool:
        """Suggested or planned, and its occasion not over yet."""
        return self.status in OPEN_STATUSES and (self.expires_at is None or self.expires_at > now)


class GiftSpendQuerySet(models.QuerySet):
    def charged_at(self, property_id: int | None) -> GiftSpendQuerySet:
        """The rows a delight at this property charges, for rules referred to through the rule relation:
        the property's row of a rule whose budget is per property, the rule-wide row otherwise (the SQL of
        GiftRule.spend_property_id)."""
        return self.filter(
            Q(rule__budget_per_property=False, property__isnull=True)
            | Q(rule__budget_per_property=True, property_id=property_id)
        )


class GiftSpend(models.Model):
    """What one rule spent in one month (at one property when its budget is per property): the row
    delivering locks-and-charges (behind the rule's lock)."""

    rule = models.ForeignKey(GiftRule, on_delete=models.CASCADE, related_name="spending")
    month = models.DateField()  # the first day of the month
    # Null: the rule-wide budget. Indexed by giftspend_one_row_per_property_month.
    property = models.ForeignKey(
        Property, on_delete=models.CASCADE, null=True, blank=True, related_name="+", db_index=False
    )
    spent = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    deliveries = models.PositiveIntegerField(default=0)

    objects = GiftSpendQuerySet.as_manager()

    class Meta:
        verbose_name = _("monthly gift spending")
        verbose_name_plural = _("monthly gift spending")
        constraints = [
            # NULLs are distinct in a unique index (both vendors): one constraint per kind of row.
            models.UniqueConstraint(
                fields=["rule", "month"], condition=Q(property__isnull=True), name="giftspend_one_row_per_month"
            ),
            models.UniqueConstraint(
                fields=["rule", "month", "property"],
                condition=Q(property__isnull=False),
                name="giftspend_one_row_per_property_month",
            ),
            models.CheckConstraint(condition=Q(spent__gte=0), name="giftspend_not_negative"),
            models.CheckConstraint(condition=Q(month__day=1), name="giftspend_first_of_month"),
        ]

    def __str__(self) -> str:
        return f"{self.rule} {self.month:%Y-%m}: {self.spent}"

    @staticmethod
    def month_of(day: date) -> date:
        """The month a gift given on day is charged to (its first day)."""
        return day.replace(day=1)
