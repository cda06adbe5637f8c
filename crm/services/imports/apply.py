"""The apply, in resumable batches (each batch's transaction marks its rows done), and what the worker and
beat ask of it: run, fail, the stalled imports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import languages
from crm.bulk import insert_objects, insert_rows
from crm.errors import Conflict
from crm.imports import matching
from crm.lookup import terms
from crm.models import (
    ChangeAction,
    ChangeRecord,
    Customer,
    EventType,
    ExternalId,
    GuestImport,
    ImportRow,
    ImportStatus,
    Preference,
    Property,
    RowOutcome,
    RowPlan,
)
from crm.services.common import (
    CHANGE_RECORD_COLUMNS,
    User,
    assign,
    change_record_values,
    created,
    record,
    update_fields,
)
from crm.services.customers import CUSTOMER_FIELDS, LOOKUP_FIELDS
from crm.services.history import preference_new
from crm.services.imports.preview import (
    _ambiguous_message,
)
from crm.services.imports.rows import (
    BATCH,
    CLEAN_EXCLUDE,
    _changes,
    _json_value,
    _python_fields,
    clean_fields,
)
from crm.webhooks import events as webhook_events
from crm.webhooks import services as webhooks


@transaction.atomic
def import_apply(*, upload: GuestImport, actor: User | None) -> GuestImport:
    """Start applying a previewed import (or continue a failed one) in the background; Conflict when it is
    applying, applied or undone already. The worker is asked after the commit."""
    from crm.tasks import import_apply as task

    claimed = GuestImport.objects.filter(pk=upload.pk, status__in=[ImportStatus.PREVIEWED, ImportStatus.FAILED]).update(
        status=ImportStatus.APPLYING, failure="", updated_at=timezone.now()
    )
    upload.refresh_from_db()
    if not claimed:
        raise Conflict(_("This import is %(status)s: it cannot be applied.") % {"status": upload.get_status_display()})
    record(actor=actor, action=ChangeAction.IMPORT_APPLY, target=upload, changes={"rows": upload.rows})
    transaction.on_commit(lambda: task.delay(upload.pk))
    return upload


def import_run(*, import_id: int) -> bool:
    """Apply an applying import's remaining rows, batch after batch (the task's body). Each batch is one
    transaction that marks its rows done: a worker killed mid-batch leaves that batch undone and the next run
    continues after the last committed one, never applying a row twice. True when the import is applied.

    One thread: preparing the next batch in a helper thread while this one is written was tried twice and showed no
    gain (the GIL lets it run only while the writer waits on PostgreSQL, and the writer then waits for the GIL back
    after each statement: docs/benchmarks.md, "Guest-list import")."""
    after = 0  # the last row number this run applied: every row up to it is done
    while True:
        with transaction.atomic():
            # The import's row is locked for the batch: a second run (a redelivered task) waits, then finds the rows
            # done.
            upload = (
                GuestImport.objects.select_for_update(of=("self",))
                .select_related("organization", "property", "created_by")
                .filter(pk=import_id)
                .first()
            )
            if upload is None or upload.status != ImportStatus.APPLYING:
                return False
            rows = _prepare(upload, _pending(upload, after))
            if not rows:
                upload.status = ImportStatus.APPLIED
                upload.applied_at = timezone.now()
                upload.save(update_fields=["status", "applied_at", "updated_at"])
                return True
            _apply_batch(upload, rows)
            after = rows[-1].number
            upload.done_rows += len(rows)
            upload.save(update_fields=["done_rows", "created", "updated", "updated_at"])


@dataclass(slots=True, eq=False)
class _Row:
    """A row of the import as the apply reads, decides and writes it back: plain values (a batch of ImportRow
    instances, five JSON fields each, read and written again, was a tenth of the apply's Python)."""

    pk: int
    number: int
    plan: str
    data: dict[str, Any]
    errors: list[dict[str, str]]
    outcome: str = RowOutcome.PENDING
    customer: Customer | None = None
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    added: dict[str, Any] = field(default_factory=dict)
    # Prepared (_prepare): the fields as Python values and the keys that match a guest.
    fields: dict[str, Any] = field(default_factory=dict)
    keys: matching.Keys | None = None


_ROW_VALUES = ("pk", "number", "plan", "data", "errors")
# The columns a batch writes back, in _Row's attributes (customer: its id).
_ROW_COLUMNS = (
    *("id", "upload_id", "number", "plan", "data", "errors"),
    *("outcome", "customer_id", "before", "after", "added"),
)


def _pending(upload: GuestImport, after: int) -> list[tuple]:
    """The values (_ROW_VALUES) of the next batch's rows."""
    # From the last batch on (number__gt): the rows before it are done, and each batch rewrote its rows, so scanning
    # from the first would wade through all of them and their dead copies, batch after batch.
    return list(
        upload.import_rows.filter(outcome=RowOutcome.PENDING, number__gt=after)
        .order_by("number")
        .values_list(*_ROW_VALUES)[:BATCH]
    )


def _prepare(upload: GuestImport, values: list[tuple]) -> list[_Row]:
    """The batch's rows with their fields as Python values and the keys that match a guest."""
    rows = [_Row(*row) for row in values]
    for row in rows:
        if row.plan != RowPlan.INVALID:
            row.fields = _python_fields(row.data["fields"])
            row.keys = matching.keys_of(row.fields, [tuple(pair) for pair in row.data.get("external_ids", ())])
    return rows


def _new_guest(upload: GuestImport, row: _Row, country: str) -> Customer:
    """The guest a row that names none creates: validated, its derived name fields filled. A row without a
    language gets the one its name is written in (crm.languages.language_of_names; country: the import's
    property's, for a Han name the same in both scripts), kept in the row's fields for its change record; a
    guest matched by a row keeps their own."""
    if "language" not in row.fields:
        names = [row.fields.get(name) or "" for name in ("native_name", "family_name", "given_name")]
        if language := languages.language_of_names(names, country=country):
            row.fields["language"] = row.data["fields"]["language"] = language
    guest = Customer(organization=upload.organization, home_property=upload.property)
    assign(guest, row.fields, CUSTOMER_FIELDS)
    clean_fields(guest, row.fields)
    guest.clean()
    terms.derive_name_fields(guest)
    return guest


def import_fail(*, import_id: int, reason: str) -> None:
    """The apply gave up (the task's retries are spent): what it applied stays, and can be undone; applying
    again continues after it."""
    GuestImport.objects.filter(pk=import_id, status=ImportStatus.APPLYING).update(
        status=ImportStatus.FAILED, failure=reason[:500], applied_at=timezone.now(), updated_at=timezone.now()
    )


def imports_stalled(*, now=None) -> list[int]:
    """Applying imports whose worker has not finished a batch for RAPPORT_IMPORT_STALL_SECONDS (killed, or its
    message lost): the task to enqueue again (beat, crm.resume_imports)."""
    before = (now or timezone.now()) - timedelta(seconds=settings.RAPPORT_IMPORT_STALL_SECONDS)
    return list(
        GuestImport.objects.filter(status=ImportStatus.APPLYING, updated_at__lt=before).values_list("pk", flat=True)
    )


def _apply_batch(upload: GuestImport, rows: list[_Row]) -> None:
    organization, actor = upload.organization, upload.created_by
    todo = [row for row in rows if row.plan != RowPlan.INVALID]
    for row in rows:
        if row.plan == RowPlan.INVALID:
            row.outcome = RowOutcome.SKIPPED
    # Matched again: the memory may have changed since the preview (and earlier batches created guests).
    found = matching.match(organization.pk, [row.keys for row in todo])
    guests = Customer.objects.filter(pk__any={ids[0] for ids in found if len(ids) == 1}).prefetch_related(
        "external_ids", "preferences"
    )
    guests = {customer.pk: customer for customer in guests}
    creates, updates = [], []
    for row, ids in zip(todo, found, strict=True):
        if len(ids) > 1:
            row.outcome = RowOutcome.SKIPPED
            row.errors = [*row.errors, {"column": "", "message": _ambiguous_message(ids)}]
        elif ids:
            differ, added = _changes(guests[ids[0]], row.data)
            if differ or added:
                updates.append((row, guests[ids[0]], differ, added))
            else:
                row.outcome, row.customer = RowOutcome.UNCHANGED, guests[ids[0]]
        else:
            creates.append(row)
    # Change records and external ids as rows of values, inserted at once (crm.bulk): one per guest each.
    records: list[tuple] = []
    preferences: list[tuple[_Row, Customer, list[dict]]] = []
    external_ids: list[tuple[int, int, str, str]] = []

    # A row's fields are held as the preview normalized them (_Reader: phones in E.164 read in the import's
    # property's country, emails stripped, tags deduplicated; a row it could not normalize is invalid): doing it
    # again gave the same values, at ~100 µs a phone (libphonenumber): a sixth of the apply's Python in a profile.
    place = upload.property or (Property.objects.default_of(organization.pk) if creates else None)
    new = [_new_guest(upload, row, place.country if place else "") for row in creates]
    insert_objects(new, with_ids=True)
    for row, customer in zip(creates, new, strict=True):
        row.outcome, row.customer = RowOutcome.CREATED, customer
        external_ids += [(organization.pk, customer.pk, s, v) for s, v in row.data.get("external_ids", ())]
        if row.data.get("preferences"):
            preferences.append((row, customer, row.data["preferences"]))
        changes = {**created(row.data["fields"]), "import": upload.pk}  # as JSON holds them
        if row.data.get("external_ids"):
            changes["external_ids"] = {"new": [f"{s}:{v}" for s, v in row.data["external_ids"]]}
        records.append(
            change_record_values(actor=actor, action=ChangeAction.CUSTOMER_IMPORT, target=customer, changes=changes)
        )
    upload.created += len(new)

    changed_fields: set[str] = set()
    reindex = []
    was: dict[int, frozenset[str]] = {}  # the guests' vocabulary words before the list changed their names
    for row, customer, differ, added in updates:
        before = {name: _json_value(getattr(customer, name)) for name in differ}
        was[customer.pk] = terms.vocabulary_words(customer)
        fields = dict(differ)
        if added.get("tags"):
            fields["tags"] = [*customer.tags, *added["tags"]]
        changes = assign(customer, fields, CUSTOMER_FIELDS)
        customer.full_clean(exclude=CLEAN_EXCLUDE, validate_constraints=False)
        if LOOKUP_FIELDS.intersection(changes):
            terms.derive_name_fields(customer)
            reindex.append(customer)
            changed_fields |= set(terms.DERIVED_FIELDS)
        changed_fields |= set(changes)
        row.outcome, row.customer = RowOutcome.UPDATED, customer
        row.before = before
        row.after = {name: _json_value(getattr(customer, name)) for name in differ}
        row.added = {key: value for key, value in added.items() if key != "preferences"}
        external_ids += [(organization.pk, customer.pk, s, v) for s, v in added.get("external_ids", ())]
        if added.get("preferences"):
            preferences.append((row, customer, added["preferences"]))
        facts = {"import": upload.pk}
        if added.get("external_ids"):
            facts["external_ids"] = {"added": [f"{s}:{v}" for s, v in added["external_ids"]]}
        records.append(
            change_record_values(
                actor=actor, action=ChangeAction.CUSTOMER_IMPORT_UPDATE, target=customer, changes={**changes, **facts}
            )
        )
    # One UPDATE per changed guest (~10 % of a list): Django's bulk_update builds a CASE per field and row,
    # which cost more than these statements (measured: 12 s for 1,000 rows).
    fields_to_save = update_fields(changed_fields)
    for _row, customer, _d, _a in updates:
        customer.save(update_fields=fields_to_save)
    upload.updated += len(updates)

    terms.index_customers(new, new=True)
    terms.index_customers(reindex, was=was)
    now = timezone.now()
    insert_rows(
        ExternalId,
        ("organization_id", "customer_id", "system", "value", "created_at", "updated_at"),
        [(*values, now, now) for values in external_ids],
    )
    _record_preferences(upload, preferences, records)
    insert_rows(ChangeRecord, (*CHANGE_RECORD_COLUMNS, "created_at"), [(*values, now) for values in records])
    # The other systems hear of each guest created or changed, as from the API (customer.created / .updated).
    webhooks.webhook_events_record(
        organization_id=organization.pk,
        events=[(EventType.CUSTOMER_CREATED, webhook_events.customer_data(customer)) for customer in new]
        + [
            (EventType.CUSTOMER_UPDATED, webhook_events.customer_data(customer, changed=sorted({*differ, *added})))
            for _row, customer, differ, added in updates
        ],
        now=now,
    )
    # The batch's rows written again whole (same ids): a delete and one insert, not bulk_update's CASE per cell.
    # An applied row keeps no cells: what undo needs is in before/after/added.
    ImportRow.objects.filter(pk__any=[row.pk for row in rows]).delete()
    insert_rows(
        ImportRow,
        _ROW_COLUMNS,
        [
            (row.pk, upload.pk, row.number, row.plan, row.data if row.outcome == RowOutcome.SKIPPED else {}, row.errors)
            + (row.outcome, row.customer.pk if row.customer else None, row.before, row.after, row.added)
            for row in rows
        ],
    )


def _record_preferences(upload: GuestImport, items: list[tuple[_Row, Customer, list[dict]]], records: list) -> None:
    """The rows' preferences, source "imported", as preference_record() makes them (preference_new), saved at once."""
    made: list[tuple[_Row, Preference, dict]] = []
    for row, customer, preferences in items:
        for item in preferences:
            preference, fields = preference_new(
                customer=customer, actor=upload.created_by, property=upload.property, source="imported", **item
            )
            # Its constraints hold by construction (category and polarity are choices checked with the fields,
            # the text is not empty) and PostgreSQL enforces them: asking would cost a query per constraint.
            preference.full_clean(
                exclude=["customer", "recorded_by", "recorded_at_property"], validate_constraints=False
            )
            made.append((row, preference, fields))
    Preference.objects.bulk_create([preference for _row, preference, _fields in made])
    for row, preference, fields in made:
        row.added = {**row.added, "preferences": [*row.added.get("preferences", []), preference.pk]}
        records.append(
            change_record_values(
                organization=upload.organization,
                actor=upload.created_by,
                action=ChangeAction.PREFERENCE_RECORD,
                target=preference,
                changes={**created(fields), "import": upload.pk},
            )
        )


# --- undo ------------------------------------------------------------------------------------------------
