"""The access audit: who looked at which guest, when, where and how. Append-only."""

from __future__ import annotations

import builtins

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models.tenancy import Organization, Property


class AccessAction(models.TextChoices):
    """What was seen. A view of the brief, the card, the preferences or the export shows the guest's safety
    needs (allergies, diets): AccessAction.SAFETY lists those, and ``?safety=true`` filters on them."""

    PROFILE = "profile", _("profile viewed")
    BRIEF = "brief", _("brief viewed")
    CARD = "card", _("guest card viewed")
    PREFERENCES = "preferences", _("preferences viewed")
    TIMELINE = "timeline", _("history viewed")
    EXPORT = "export", _("data exported")
    ERASE = "erase", _("guest erased")
    ARRIVALS = "arrivals", _("arrivals board viewed")
    LIST_EXPORT = "list_export", _("guest list exported")


# The views that show a guest's allergies and diets.
SAFETY_ACTIONS = frozenset(
    {AccessAction.BRIEF, AccessAction.CARD, AccessAction.PREFERENCES, AccessAction.EXPORT, AccessAction.ARRIVALS}
)


class AccessChannel(models.TextChoices):
    API = "api", _("API")
    SCREEN = "screen", _("screen")
    SYSTEM = "system", _("system")


class AccessRecord(models.Model):
    """One view of one guest. Written in the request that showed the guest (crm.services.access_record: one
    INSERT); never changed or deleted through the app (the admin is read-only, even for superusers). Only the
    retention job drops entries older than RAPPORT_ACCESS_LOG_KEEP_DAYS, in bulk.

    ``customer_id`` is a plain integer, not a foreign key: the record outlives an erased guest, and holds
    nothing about them but that id."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", db_index=False)
    customer_id = models.BigIntegerField(_("customer id"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("who"),
    )
    action = models.CharField(_("what"), max_length=16, choices=AccessAction.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=AccessChannel.choices)
    property = models.ForeignKey(
        Property,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        verbose_name=_("property"),
    )
    at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("access record")
        verbose_name_plural = _("access records")
        ordering = ["-at", "-id"]
        indexes = [
            # One guest's access log, newest first (the card, /access-log/, the export): WHERE customer_id = %s
            # [AND at >= %s] ORDER BY at DESC.
            models.Index(fields=["customer_id", "-at"], name="access_customer_at"),
            # The organization's log and the retention job's bulk DELETE ... WHERE at < %s.
            models.Index(fields=["organization", "-at"], name="access_org_at"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(action__in=AccessAction.values), name="access_action_known"),
            models.CheckConstraint(condition=Q(channel__in=AccessChannel.values), name="access_channel_known"),
        ]

    def __str__(self) -> str:
        return f"{self.action} #{self.customer_id} {self.at:%Y-%m-%d %H:%M}"

    @builtins.property  # the name "property" is a field here
    def shows_safety(self) -> bool:
        return self.action in SAFETY_ACTIONS
