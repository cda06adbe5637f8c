from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.models.tenancy import Organization


class ChangeAction(models.TextChoices):
    """Every kind of change the history records. personalization's actions are listed here too (they are
    only names): one list, one database constraint, and crm still imports nothing of personalization."""

    CUSTOMER_CREATE = "customer.create", _("customer created")
    CUSTOMER_UPDATE = "customer.update", _("customer changed")
    CUSTOMER_ERASE = "customer.erase", _("customer erased")
    CUSTOMER_MERGE = "customer.merge", _("customers merged")
    CUSTOMER_MERGE_UNDO = "customer.merge_undo", _("merge undone")
    CUSTOMER_IMPORT = "customer.import", _("customer imported")
    CUSTOMER_IMPORT_UPDATE = "customer.import_update", _("customer changed by an import")
    IMPORT_APPLY = "import.apply", _("import applied")
    IMPORT_UNDO = "import.undo", _("import undone")
    PREFERENCE_RECORD = "preference.record", _("preference recorded")
    PREFERENCE_UPDATE = "preference.update", _("preference changed")
    PREFERENCE_CONFIRM = "preference.confirm", _("preference confirmed")
    PREFERENCE_DELETE = "preference.delete", _("preference deleted")
    ISSUE_OPEN = "issue.open", _("issue opened")
    ISSUE_UPDATE = "issue.update", _("issue changed")
    CONTACT_LOG = "contact.log", _("contact logged")
    STAY_CREATE = "stay.create", _("stay added")
    STAY_UPDATE = "stay.update", _("stay changed")
    STAY_CHECK_IN = "stay.check_in", _("guest checked in")
    PROPERTY_BRAND = "property.brand", _("property's mails restyled")
    GIFT_RULE_CREATE = "gift_rule.create", _("rule created")
    GIFT_RULE_UPDATE = "gift_rule.update", _("rule changed")
    GIFT_RULE_DELETE = "gift_rule.delete", _("rule deleted")
    DELIGHT_OFFER = "delight.offer", _("gift offered")
    DELIGHT_PLAN = "delight.plan", _("gift planned")
    DELIGHT_DELIVER = "delight.deliver", _("gift delivered")
    DELIGHT_DECLINE = "delight.decline", _("gift declined")
    TOUCH_CANCEL = "touch.cancel", _("touch cancelled")
    TOUCH_SEND_NOW = "touch.send_now", _("touch sent now")
    TASK_CLAIM = "task.claim", _("task taken")
    TASK_DONE = "task.done", _("task done")
    WEBHOOK_CREATE = "webhook.create", _("webhook added")
    WEBHOOK_UPDATE = "webhook.update", _("webhook changed")
    WEBHOOK_DELETE = "webhook.delete", _("webhook deleted")
    WEBHOOK_ROTATE = "webhook.rotate", _("webhook secret rotated")
    WEBHOOK_RETRY = "webhook.retry", _("webhook delivery retried")


def _is_change(entry: Any) -> bool:
    return isinstance(entry, dict) and bool(entry) and set(entry) <= {"old", "new"}


def _shown(value: Any) -> str:
    return "—" if value in (None, "", [], {}) else str(value)


class ChangeRecord(models.Model):
    """Append-only history: who changed what in the memory, and when.

    ``changes`` maps a field to ``{"old": …, "new": …}``: an update has both, a creation only "new", a
    deletion only "old". A plain value is a fact of the event (the merge's duplicate, a delivery's cost).
    Erasing a guest empties ``changes`` of every record about them (``customer_id``); the rest stays."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=64, choices=ChangeAction.choices)
    target_type = models.CharField(max_length=32)
    target_id = models.BigIntegerField()
    # The guest the change is about (the customer, or the owner of the preference, issue, delight…).
    # Not a foreign key: the record outlives an erased customer, scrubbed.
    customer_id = models.BigIntegerField(null=True, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("change record")
        verbose_name_plural = _("change records")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The history of one object, newest first.
            models.Index(fields=["target_type", "target_id", "-created_at"], name="change_target"),
            # Erasing a guest: UPDATE ... WHERE customer_id IN (...).
            models.Index(fields=["customer_id"], name="change_customer"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(action__in=ChangeAction.values), name="change_action_known"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type}#{self.target_id}"

    def entries(self) -> dict[str, dict[str, Any]]:
        """Every entry of ``changes`` as {"old": …, "new": …} (either may be missing); a plain value — a
        fact of the event, or a record kept before old values were — counts as new."""
        return {name: entry if _is_change(entry) else {"new": entry} for name, entry in self.changes.items()}

    def summary(self) -> str:
        """The changes in one line for people: ``cost: 10.00 → 5.00, name: Dessert``."""
        parts = []
        for name, entry in self.entries().items():
            if "old" in entry and "new" in entry:
                parts.append(f"{name}: {_shown(entry['old'])} → {_shown(entry['new'])}")
            else:
                parts.append(f"{name}: {_shown(entry.get('new', entry.get('old')))}")
        return ", ".join(parts)
