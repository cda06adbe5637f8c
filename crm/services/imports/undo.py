"""The undo within the window: created guests removed, updated fields restored unless edited since."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.errors import Conflict
from crm.imports import MAX_LISTED_ERRORS
from crm.lookup import terms
from crm.models import (
    ChangeAction,
    ChangeRecord,
    Customer,
    GuestImport,
    ImportRow,
    ImportStatus,
    Preference,
    RowOutcome,
)
from crm.services.common import User, assign, change_record, record, update_fields
from crm.services.customers import (
    CUSTOMER_FIELDS,
    LOOKUP_FIELDS,
    _scrub_history,
)
from crm.services.imports.rows import (
    BATCH,
    _json_value,
    _python_fields,
)


@transaction.atomic
def import_undo(*, upload: GuestImport, actor: User | None) -> GuestImport:
    """Undo an applied import (within UNDO_DAYS), all or nothing: the guests it created are removed, the fields
    it changed get their old values back unless edited since (those are reported in undo_report), the tags, ids
    and preferences it added are removed. Conflict when it is not applied or too old."""
    upload = GuestImport.objects.select_for_update(of=("self",)).select_related("organization").get(pk=upload.pk)
    if not upload.can_undo():
        raise Conflict(
            _("This import can no longer be undone.")
            if upload.status == ImportStatus.APPLIED
            else _("This import is %(status)s: there is nothing to undo.") % {"status": upload.get_status_display()}
        )
    organization = upload.organization
    report: list[dict[str, Any]] = []
    restored = 0
    updated = upload.import_rows.filter(outcome=RowOutcome.UPDATED, customer__isnull=False).order_by("number")
    for start in range(0, updated.count(), BATCH):
        rows = list(updated[start : start + BATCH].select_related("customer"))
        restored += _undo_updates(upload, rows, actor, report)
    created_ids = list(
        upload.import_rows.filter(outcome=RowOutcome.CREATED, customer__isnull=False).values_list(
            "customer_id", flat=True
        )
    )
    for start in range(0, len(created_ids), BATCH):
        ids = created_ids[start : start + BATCH]
        # As an erase does: their history keeps what happened, not their data.
        _scrub_history(ids)
        gone = Customer.objects.filter(pk__in=ids).only("organization", "merged_into", *terms.TERM_FIELDS)
        terms.forget_customers(gone)
        Customer.objects.filter(pk__in=ids).delete()
    upload.status, upload.undone_at, upload.undo_report = (
        ImportStatus.UNDONE,
        timezone.now(),
        report[:MAX_LISTED_ERRORS],
    )
    upload.save(update_fields=["status", "undone_at", "undo_report", "updated_at"])
    record(
        organization=organization,
        actor=actor,
        action=ChangeAction.IMPORT_UNDO,
        target=upload,
        changes={"removed": len(created_ids), "restored": restored, "edited_since": len(report)},
    )
    return upload


def _undo_updates(upload: GuestImport, rows: list[ImportRow], actor: User | None, report: list) -> int:
    records, changed_fields, reindex, customers = [], set(), [], []
    was: dict[int, frozenset[str]] = {}
    for row in rows:
        customer = row.customer
        was[customer.pk] = terms.vocabulary_words(customer)
        back = {}
        for name, value in row.after.items():
            if _json_value(getattr(customer, name)) == value:
                back[name] = row.before[name]
            else:
                report.append({"row": row.number, "customer": customer.pk, "field": name})
        fields = _python_fields(back)
        if row.added.get("tags"):
            fields["tags"] = [tag for tag in customer.tags if tag not in row.added["tags"]]
        changes = assign(customer, fields, CUSTOMER_FIELDS)
        for system, value in row.added.get("external_ids", ()):
            customer.external_ids.filter(system=system, value=value).delete()
        if row.added.get("preferences"):
            Preference.objects.filter(customer=customer, pk__in=row.added["preferences"]).delete()
        if changes:
            changed_fields |= set(changes)
            customers.append(customer)
            if LOOKUP_FIELDS.intersection(changes):
                terms.derive_name_fields(customer)
                changed_fields |= set(terms.DERIVED_FIELDS)
                reindex.append(customer)
        records.append(
            change_record(
                organization=upload.organization,
                actor=actor,
                action=ChangeAction.CUSTOMER_UPDATE,
                target=customer,
                changes={**changes, "via": "import_undo", "import": upload.pk},
            )
        )
    fields_to_save = update_fields(changed_fields)
    for customer in customers:
        customer.save(update_fields=fields_to_save)
    terms.index_customers(reindex, was=was)
    ChangeRecord.objects.bulk_create(records)
    return len(customers)
