"""Insider tips (seed: "share exclusive information"): a small library per property, by interest."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.models import Organization, Property, TimeStamped
from crm.validators import single_line


class Tip(TimeStamped):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    # Empty: good at every property of the organization.
    property = models.ForeignKey(Property, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    text = models.CharField(_("tip"), max_length=300, validators=[single_line])
    # Interests it fits: guest tags ("runner") and preference categories ("drink", "seating").
    tags = models.JSONField(_("interests"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("insider tip")
        verbose_name_plural = _("insider tips")
        indexes = [
            # The brief: WHERE organization_id = %s AND active AND (property_id IS NULL OR property_id = %s).
            models.Index(fields=["organization", "active", "property"], name="tip_org_active_property"),
        ]
        constraints = [models.CheckConstraint(condition=~models.Q(text=""), name="tip_text_required")]

    def __str__(self) -> str:
        return self.text
