"""Guest-list imports (issue 13): a file previewed, applied in batches, undoable; each row what it did."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models.base import TimeStamped
from crm.models.customers import Customer
from crm.models.tenancy import Organization, Property

# An applied import can be undone this long (API.md "Imports").
UNDO_DAYS = 30


class ImportStatus(models.TextChoices):
    PREVIEWED = "previewed", _("Previewed")
    APPLYING = "applying", _("Applying")
    APPLIED = "applied", _("Applied")
    UNDONE = "undone", _("Undone")
    FAILED = "failed", _("Failed")


class GuestImport(TimeStamped):
    """One uploaded guest list: its preview's counts and errors, then how far its apply has come."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+", db_index=False)
    # Where the file was typed: phones without +country are read in its country; new guests' home property.
    property = models.ForeignKey(Property, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    filename = models.CharField(_("file"), max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.PREVIEWED)
    # {"column as in the file": "field"}: what each column was read as (crm.imports.columns).
    columns = models.JSONField(_("columns"), default=dict, blank=True)
    # Columns read as nothing: [{"column", "samples": [...]}], for the mapping form.
    unmapped = models.JSONField(default=list, blank=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    to_create = models.PositiveIntegerField(_("to create"), default=0)
    to_update = models.PositiveIntegerField(_("to update"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    error_rows = models.PositiveIntegerField(_("rows with errors"), default=0)
    # The first errors ([{"row", "column", "message"}], at most crm.imports.MAX_LISTED_ERRORS); every row keeps
    # its own in ImportRow.errors.
    errors = models.JSONField(default=list, blank=True)
    done_rows = models.PositiveIntegerField(_("rows done"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    failure = models.CharField(max_length=500, blank=True)
    # What the undo could not restore: [{"row", "customer", "field"}] edited since the import.
    undo_report = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("guest import")
        verbose_name_plural = _("guest imports")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The imports screen and list: WHERE organization_id = %s ORDER BY created_at DESC.
            models.Index(fields=["organization", "-created_at"], name="import_org_newest"),
            # Resuming stalled applies: WHERE status = 'applying' AND updated_at < %s.
            models.Index(fields=["updated_at"], name="import_applying", condition=Q(status="applying")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ImportStatus.values), name="import_status_known"),
        ]

    def __str__(self) -> str:
        return self.filename or f"#{self.pk}"

    def undo_until(self):
        """The last moment this import can be undone (None before it was applied)."""
        return self.applied_at + timedelta(days=UNDO_DAYS) if self.applied_at else None

    def can_undo(self, now=None) -> bool:
        until = self.undo_until()
        return (
            self.status in (ImportStatus.APPLIED, ImportStatus.FAILED)
            and until is not None
            and (now or timezone.now()) <= until
        )

    def can_apply(self) -> bool:
        return self.status in (ImportStatus.PREVIEWED, ImportStatus.FAILED)


class RowPlan(models.TextChoices):
    CREATE = "create", _("create")
    UPDATE = "update", _("update")
    UNCHANGED = "unchanged", _("unchanged")
    INVALID = "invalid", _("has errors")


class RowOutcome(models.TextChoices):
    PENDING = "", _("pending")
    CREATED = "created", _("created")
    UPDATED = "updated", _("updated")
    UNCHANGED = "unchanged", _("unchanged")
    SKIPPED = "skipped", _("skipped")


class ImportRow(models.Model):
    """One data row of an import: its values as read (until applied), its errors, and what applying it did —
    the guest it created or updated, with the old and new values undo needs. It holds a guest's data: it goes
    with the guest when they are erased (CASCADE), and is in their export."""

    upload = models.ForeignKey(GuestImport, on_delete=models.CASCADE, related_name="import_rows", db_index=False)
    number = models.PositiveIntegerField(_("row"))  # as the user sees it: the header is row 1
    # {"fields": {...}, "external_ids": [...], "preferences": [...]}, normalized; emptied once applied.
    data = models.JSONField(default=dict, blank=True)
    errors = models.JSONField(default=list, blank=True)  # [{"column", "message"}]
    plan = models.CharField(max_length=16, choices=RowPlan.choices)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, null=True, blank=True, related_name="import_rows")
    outcome = models.CharField(max_length=16, choices=RowOutcome.choices, blank=True, default=RowOutcome.PENDING)
    # What an update changed: {"field": value} before and after (JSON forms), the tags and ids it added, the
    # preferences it recorded: {"tags": [...], "external_ids": [[system, id]], "preferences": [pk, ...]}.
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    added = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("import row")
        verbose_name_plural = _("import rows")
        constraints = [
            # Also the index of the apply's batches: WHERE upload_id = %s AND outcome = '' ORDER BY number.
            models.UniqueConstraint(fields=["upload", "number"], name="import_row_unique"),
            models.CheckConstraint(condition=Q(plan__in=RowPlan.values), name="import_row_plan_known"),
            models.CheckConstraint(condition=Q(outcome__in=RowOutcome.values), name="import_row_outcome_known"),
        ]

    def __str__(self) -> str:
        return f"{self.upload_id}:{self.number}"
