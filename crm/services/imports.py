"""Writes of guest-list imports (issue 13): the preview (writes the import and its rows, never a guest), the
apply in batches (resumable: each batch's transaction marks its rows done), and the undo.

The rules are the memory's own: a row's fields are normalized by crm.services.customers (phones in the
property's country), validated by the Customer model, indexed by crm.lookup.terms, recorded as ChangeRecords;
only the writes are batched (bulk inserts and updates per BATCH rows), which a row at a time could not do
for 100,000 rows (docs/benchmarks.md "Imports")."""

from __future__ import annotations

from datetime import timedelta
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.errors import Conflict
from crm.imports import MAX_LISTED_ERRORS, columns, matching, parse
from crm.lookup import terms
from crm.models import (
    ChangeAction,
    ChangeRecord,
    Customer,
    ExternalId,
    GuestImport,
    ImportRow,
    ImportStatus,
    Organization,
    Preference,
    Property,
    RowOutcome,
    RowPlan,
)
from crm.partial_dates import PartialDate
from crm.services.common import User, assign, change_record, created, record, update_fields, user_or_none
from crm.services.customers import (
    CUSTOMER_FIELDS,
    LOOKUP_FIELDS,
    _normalize_customer_fields,
    _scrub_history,
)
from crm.services.history import preference_new
from crm.validators import single_line

# Rows per transaction when applying (and per read when previewing): ~10 search terms and a change record per
# row, so about 12,000 inserted rows per commit; the progress bar moves once per batch.
BATCH = 1000
# Fields whose validation needs a query (foreign keys) or the whole row (constraints): checked otherwise —
# the organization is the import's, the home property is checked once, the constraints hold by construction
# (a name: clean(); dates: PartialDate) and PostgreSQL enforces them anyway.
CLEAN_EXCLUDE = ["organization", "home_property"]
DATE_FIELDS = ("birthday", "anniversary")


# --- reading rows --------------------------------------------------------------------------------------


class _Reader:
    """Turns a file's cells into a row's normalized data and errors, with the memory's own rules."""

    def __init__(
        self,
        *,
        organization: Organization,
        property: Property | None,
        headers: list[str],
        targets: dict[int, str],
        system: str,
        date_orders: dict[int, str | None],
    ) -> None:
        self.organization, self.property, self.headers = organization, property, headers
        self.targets, self.system, self.date_orders = targets, system, date_orders
        # The column a field came from, to name it in an error.
        self.column_of = {}
        for index, target in targets.items():
            field = target.partition(":")[0]
            for name in ("given_name", "family_name", "native_name") if field == columns.FULL_NAME else (field,):
                self.column_of.setdefault(name, headers[index])

    def read(self, cells: list[Any]) -> tuple[dict[str, Any], list[dict[str, str]], bool]:
        """(data, errors, has_name): data as ImportRow.data holds it, errors [{"column", "message"}]."""
        fields: dict[str, Any] = {}
        external_ids: list[list[str]] = []
        preferences: list[dict[str, str]] = []
        errors: list[dict[str, str]] = []
        for index, target in self.targets.items():
            header, raw = self.headers[index], cells[index] if index < len(cells) else None
            kind, _sep, detail = target.partition(":")
            if target in columns.DATE_TARGETS:
                try:
                    value = parse.parse_date(raw, order=self.date_orders.get(index))
                except ValidationError as exc:
                    errors.append({"column": header, "message": " ".join(exc.messages)})
                    continue
                if value is not None:
                    fields.setdefault(target, value)
                continue
            text = parse.cell_text(raw)
            if not text:
                continue
            try:
                if len(text) > parse.MAX_CELL_CHARS:
                    raise ValidationError(_("The cell is too long."))
                single_line(text)
            except ValidationError as exc:
                errors.append({"column": header, "message": " ".join(exc.messages)})
                continue
            if target == columns.FULL_NAME:
                for name, value in _split_full_name(text).items():
                    fields.setdefault(name, value)
            elif target == "tags":
                fields["tags"] = [*fields.get("tags", []), *columns.split_tags(text)]
            elif target == "language":
                fields.setdefault("language", columns.language_code(text))
            elif kind == columns.EXTERNAL_ID:
                external_ids.append([(detail or self.system), text])
            elif kind == columns.PREFERENCE:
                preferences += [{"category": detail, "text": item} for item in columns.split_preferences(text)]
            else:
                fields.setdefault(target, text)
        customer, has_name = self._validate(fields, external_ids, preferences, errors)
        data = {"fields": _json_fields(fields if customer is None else _fields_of(customer, fields))}
        if external_ids:
            data["external_ids"] = [[s.strip().lower(), v.strip()] for s, v in external_ids]
        if preferences:
            data["preferences"] = preferences
        return data, errors, has_name

    def _validate(self, fields, external_ids, preferences, errors) -> tuple[Customer | None, bool]:
        try:
            normalized = _normalize_customer_fields(fields, organization=self.organization, property=self.property)
        except ValidationError as exc:
            errors += self._named(exc)
            return None, True
        customer = Customer(organization=self.organization)
        assign(customer, normalized, CUSTOMER_FIELDS)
        try:
            customer.clean_fields(exclude=CLEAN_EXCLUDE)
        except ValidationError as exc:
            errors += self._named(exc)
        for system, value in external_ids:
            try:
                ExternalId(system=system.strip().lower(), value=value.strip()).full_clean(
                    exclude=["organization", "customer"], validate_unique=False, validate_constraints=False
                )
            except ValidationError as exc:
                column = self.headers[next(i for i, t in self.targets.items() if t.startswith(columns.EXTERNAL_ID))]
                errors += [{"column": column, "message": message} for message in exc.messages]
        for item in preferences:
            preference, _fields = preference_new(customer=None, source="imported", **item)
            try:
                preference.clean_fields(exclude=["customer", "recorded_by", "recorded_at_property"])
                preference.clean()
            except ValidationError as exc:
                column = self.headers[next(i for i, t in self.targets.items() if t == f"preference:{item['category']}")]
                errors += [{"column": column, "message": message} for message in exc.messages]
        try:
            customer.clean()
        except ValidationError:
            return customer, False
        return customer, True

    def _named(self, exc: ValidationError) -> list[dict[str, str]]:
        named = []
        for field, messages in exc.message_dict.items():
            for message in messages:
                named.append({"column": self.column_of.get(field, ""), "message": message})
        return named


def _split_full_name(text: str) -> dict[str, str]:
    """A whole name in one cell: a name with Han characters (or any without spaces) is the name in its own
    script; else the last word is the family name ("Mary Anne O'Brien")."""
    from crm.lookup.normalize import han_runs

    words = text.split()
    if han_runs(text) or len(words) == 1:
        return {"native_name": text}
    return {"given_name": " ".join(words[:-1]), "family_name": words[-1]}


def _fields_of(customer: Customer, fields: dict[str, Any]) -> dict[str, Any]:
    """The normalized values of the fields a row sets."""
    return {name: getattr(customer, name) for name in fields}


def _json_fields(fields: dict[str, Any]) -> dict[str, Any]:
    return {name: _json_value(value) for name, value in fields.items()}


def _json_value(value: Any) -> Any:
    if isinstance(value, PartialDate):
        return str(value)
    if isinstance(value, list):
        return list(value)
    return value


def _python_fields(fields: dict[str, Any]) -> dict[str, Any]:
    return {
        name: (PartialDate.parse(value) if name in DATE_FIELDS and value else value) for name, value in fields.items()
    }


def _keys(organization: Organization, data: dict[str, Any]) -> matching.Keys:
    customer = Customer(organization=organization)
    assign(customer, _python_fields(data["fields"]), CUSTOMER_FIELDS)
    return matching.keys_of(customer, [tuple(pair) for pair in data.get("external_ids", ())])


# --- what a row would change -----------------------------------------------------------------------------


def _changes(customer: Customer, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(fields that differ: {field: new value}, additions: {"tags", "external_ids", "preferences"}) of applying
    a row to the guest it names. An empty cell never empties a field; tags and preferences are added to."""
    fields = _python_fields(data["fields"])
    differ = {}
    for name, value in fields.items():
        if name == "tags":
            continue
        if value not in ("", None) and getattr(customer, name) != value:
            differ[name] = value
    added: dict[str, Any] = {}
    tags = [tag for tag in dict.fromkeys(fields.get("tags", ())) if tag not in customer.tags]
    if tags:
        added["tags"] = tags
    held_ids = {(e.system, e.value) for e in customer.external_ids.all()}
    ids = [pair for pair in data.get("external_ids", ()) if tuple(pair) not in held_ids]
    if ids:
        added["external_ids"] = ids
    held = {(p.category, p.text.casefold()) for p in customer.preferences.all()}
    preferences = [p for p in data.get("preferences", ()) if (p["category"], p["text"].casefold()) not in held]
    if preferences:
        added["preferences"] = preferences
    return differ, added


# --- preview ---------------------------------------------------------------------------------------------


@transaction.atomic
def import_preview(
    *,
    organization: Organization,
    actor: User | None,
    file: IO[bytes],
    filename: str = "",
    size: int | None = None,
    mapping: dict[str, str] | None = None,
    property: Property | None = None,
    system: str = columns.DEFAULT_SYSTEM,
) -> GuestImport:
    """Read a guest list and say what applying it would do — rows, guests created, updated, unchanged, each
    row's errors — writing the import and its rows, never a guest. ValidationError naming the file's problem
    (empty, too big, not a table, no name column) or the mapping's."""
    if property is not None and property.organization_id != organization.pk:
        raise ValidationError({"property": [_("Unknown property.")]})
    try:
        table = parse.open_table(file, size=size)
    except parse.TableError as exc:
        raise ValidationError({"file": [exc.message]}) from exc
    mapping = mapping or {}
    unknown = [column for column in mapping if column not in table.headers]
    if unknown:
        raise ValidationError({"mapping": [_("The file has no column “%(column)s”.") % {"column": unknown[0][:100]}]})
    targets = columns.recognize(table.headers, mapping)
    if not columns.NAME_TARGETS.intersection(targets.values()):
        raise ValidationError(
            {"file": [_("No column holds a name: name one “Name” or “姓名” (or map a column to a name).")]}
        )
    upload = GuestImport.objects.create(
        organization=organization,
        property=property,
        created_by=user_or_none(actor),
        filename=filename[:255],
        columns={table.headers[index]: target for index, target in targets.items()},
    )
    try:
        date_orders = _date_orders(table, targets)
        reader = _Reader(
            organization=organization,
            property=property,
            headers=table.headers,
            targets=targets,
            system=system,
            date_orders=date_orders,
        )
        samples = {index: [] for index, header in enumerate(table.headers) if index not in targets and header}
        seen: dict[Any, int] = {}  # a guest's keys → the first row naming them (the same guest twice is an error)
        batch: list[tuple[int, dict, list, bool]] = []
        for number, cells in table.rows():
            for index, values in samples.items():
                if len(values) < 3 and index < len(cells) and parse.cell_text(cells[index]):
                    values.append(parse.cell_text(cells[index])[:40])
            batch.append((number, *reader.read(cells)))
            if len(batch) == BATCH:
                _preview_batch(upload, batch, seen)
                batch = []
        _preview_batch(upload, batch, seen)
    except parse.TableError as exc:
        raise ValidationError({"file": [exc.message]}) from exc
    upload.unmapped = [{"column": table.headers[i], "samples": values} for i, values in samples.items()]
    upload.save()
    return upload


def _date_orders(table: parse.Table, targets: dict[int, str]) -> dict[int, str | None]:
    """Each date column's order of day and month (05/06/1985), as its other rows say: one reading of the dates
    only. A column whose rows say both stays undecided: its ambiguous dates are reported."""
    date_columns = [index for index, target in targets.items() if target in columns.DATE_TARGETS]
    hints: dict[int, set[str]] = {index: set() for index in date_columns}
    if date_columns:
        for _number, cells in table.rows():
            for index in date_columns:
                if index < len(cells) and (hint := parse.date_order_hint(cells[index])):
                    hints[index].add(hint)
    return {index: next(iter(found)) if len(found) == 1 else None for index, found in hints.items()}


def _preview_batch(upload: GuestImport, batch: list[tuple[int, dict, list, bool]], seen: dict[Any, int]) -> None:
    if not batch:
        return
    organization = upload.organization
    valid = [(number, data) for number, data, errors, _named in batch if not errors]
    keys = {number: _keys(organization, data) for number, data in valid}
    found = dict(zip(keys, matching.match(organization.pk, list(keys.values())), strict=True))
    guests = Customer.objects.filter(pk__in={ids[0] for ids in found.values() if len(ids) == 1}).prefetch_related(
        "external_ids", "preferences"
    )
    guests = {customer.pk: customer for customer in guests}
    rows = []
    for number, data, errors, has_name in batch:
        customer_id, plan = None, RowPlan.INVALID
        if not errors:
            ids = found[number]
            if len(ids) > 1:
                errors.append({"column": "", "message": _ambiguous_message(ids)})
            else:
                customer_id = ids[0] if ids else None
                twin = _first_seen(seen, number, keys[number], customer_id)
                if twin is not None:
                    errors.append({"column": "", "message": _("The same guest as row %(row)d.") % {"row": twin}})
                elif customer_id is None and not has_name:
                    errors.append({"column": "", "message": _("A new guest needs a name.")})
                elif customer_id is None:
                    plan = RowPlan.CREATE
                else:
                    plan = RowPlan.UPDATE if any(_changes(guests[customer_id], data)) else RowPlan.UNCHANGED
        if errors:
            customer_id = None
        rows.append(
            ImportRow(upload=upload, number=number, data=data, errors=errors, plan=plan, customer_id=customer_id)
        )
        upload.rows += 1
        upload.to_create += plan == RowPlan.CREATE
        upload.to_update += plan == RowPlan.UPDATE
        upload.unchanged += plan == RowPlan.UNCHANGED
        upload.error_rows += plan == RowPlan.INVALID
        for error in errors:
            if len(upload.errors) < MAX_LISTED_ERRORS:
                upload.errors.append({"row": number, **error})
    ImportRow.objects.bulk_create(rows)


def _first_seen(seen: dict[Any, int], number: int, keys: matching.Keys, customer_id: int | None) -> int | None:
    """The earlier row of the file naming the same guest (by a key, or the same matched guest), else None."""
    # Hashes, not the keys: 100,000 rows' emails and phones would hold tens of megabytes more.
    own: list[Any] = [hash(key) for key in keys.file_keys()]
    if customer_id is not None:
        own.append(("guest", customer_id))
    for key in own:
        if key in seen:
            return seen[key]
    for key in own:
        seen[key] = number
    return None


def _ambiguous_message(ids: list[int]) -> str:
    return _("This row matches %(count)d guests (%(ids)s): nothing is merged; correct the row or merge them first.") % {
        "count": len(ids),
        "ids": ", ".join(f"#{pk}" for pk in ids[:5]),
    }


# --- apply -----------------------------------------------------------------------------------------------


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
    record(
        organization=upload.organization,
        actor=actor,
        action=ChangeAction.IMPORT_APPLY,
        target=upload,
        changes={"rows": upload.rows},
    )
    transaction.on_commit(lambda: task.delay(upload.pk))
    return upload


def import_run(*, import_id: int) -> bool:
    """Apply an applying import's remaining rows, batch after batch (the task's body). Each batch is one
    transaction that marks its rows done: a worker killed mid-batch leaves that batch undone and the next run
    continues after the last committed one, never applying a row twice. True when the import is applied."""
    while True:
        with transaction.atomic():
            # The import's row is locked for the batch: a second run (a redelivered task) waits, then finds
            # the rows done.
            upload = (
                GuestImport.objects.select_for_update(of=("self",))
                .select_related("organization", "property", "created_by")
                .filter(pk=import_id)
                .first()
            )
            if upload is None or upload.status != ImportStatus.APPLYING:
                return False
            rows = list(upload.import_rows.filter(outcome=RowOutcome.PENDING).order_by("number")[:BATCH])
            if not rows:
                upload.status = ImportStatus.APPLIED
                upload.applied_at = timezone.now()
                upload.save(update_fields=["status", "applied_at", "updated_at"])
                return True
            _apply_batch(upload, rows)
            upload.done_rows += len(rows)
            upload.save(update_fields=["done_rows", "created", "updated", "updated_at"])


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


def _apply_batch(upload: GuestImport, rows: list[ImportRow]) -> None:
    organization, actor = upload.organization, upload.created_by
    todo = [row for row in rows if row.plan != RowPlan.INVALID]
    for row in rows:
        if row.plan == RowPlan.INVALID:
            row.outcome = RowOutcome.SKIPPED
    # Matched again: the memory may have changed since the preview (and earlier batches created guests).
    found = matching.match(organization.pk, [_keys(organization, row.data) for row in todo])
    guests = Customer.objects.filter(pk__in={ids[0] for ids in found if len(ids) == 1}).prefetch_related(
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
                row.outcome, row.customer_id = RowOutcome.UNCHANGED, ids[0]
        else:
            creates.append(row)
    records: list[ChangeRecord] = []
    preferences: list[tuple[ImportRow, Customer, list[dict]]] = []
    external_ids: list[ExternalId] = []

    new = []
    for row in creates:
        fields = _normalize_customer_fields(
            _python_fields(row.data["fields"]), organization=organization, property=upload.property
        )
        customer = Customer(organization=organization, home_property=upload.property)
        assign(customer, fields, CUSTOMER_FIELDS)
        customer.full_clean(exclude=CLEAN_EXCLUDE, validate_constraints=False)
        terms.derive_name_fields(customer)
        new.append((row, customer, fields))
    Customer.objects.bulk_create([customer for _row, customer, _fields in new])
    for row, customer, fields in new:
        row.outcome, row.customer = RowOutcome.CREATED, customer
        row.added = {}
        external_ids += [
            ExternalId(organization=organization, customer=customer, system=s, value=v)
            for s, v in row.data.get("external_ids", ())
        ]
        if row.data.get("preferences"):
            preferences.append((row, customer, row.data["preferences"]))
        changes = {**created(fields), "import": upload.pk}
        if row.data.get("external_ids"):
            changes["external_ids"] = {"new": [f"{s}:{v}" for s, v in row.data["external_ids"]]}
        records.append(
            change_record(
                organization=organization,
                actor=actor,
                action=ChangeAction.CUSTOMER_IMPORT,
                target=customer,
                changes=changes,
            )
        )
    upload.created += len(new)

    changed_fields: set[str] = set()
    reindex = []
    for row, customer, differ, added in updates:
        before = {name: _json_value(getattr(customer, name)) for name in differ}
        fields = _normalize_customer_fields(
            differ, organization=organization, property=upload.property, home=customer.home_property
        )
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
        external_ids += [
            ExternalId(organization=organization, customer=customer, system=s, value=v)
            for s, v in added.get("external_ids", ())
        ]
        if added.get("preferences"):
            preferences.append((row, customer, added["preferences"]))
        facts = {"import": upload.pk}
        if added.get("external_ids"):
            facts["external_ids"] = {"added": [f"{s}:{v}" for s, v in added["external_ids"]]}
        records.append(
            change_record(
                organization=organization,
                actor=actor,
                action=ChangeAction.CUSTOMER_IMPORT_UPDATE,
                target=customer,
                changes={**changes, **facts},
            )
        )
    # One UPDATE per changed guest (~10 % of a list): Django's bulk_update builds a CASE per field and row,
    # which cost more than these statements (measured: 12 s for 1,000 rows).
    fields_to_save = update_fields(changed_fields)
    for _row, customer, _d, _a in updates:
        customer.save(update_fields=fields_to_save)
    upload.updated += len(updates)

    terms.index_customers([customer for _row, customer, _fields in new] + reindex)
    ExternalId.objects.bulk_create(external_ids)
    _record_preferences(upload, preferences, records)
    ChangeRecord.objects.bulk_create(records)
    for row in rows:
        if row.outcome != RowOutcome.SKIPPED:
            row.data = {}  # applied: what undo needs is in before/after/added; the cells are not kept
    # The batch's rows written again whole (same ids): a delete and one insert, not bulk_update's CASE per cell.
    ImportRow.objects.filter(pk__in=[row.pk for row in rows]).delete()
    ImportRow.objects.bulk_create(rows)


def _record_preferences(
    upload: GuestImport, items: list[tuple[ImportRow, Customer, list[dict]]], records: list
) -> None:
    """The rows' preferences, source "imported", as preference_record() makes them (preference_new), saved at once."""
    made: list[tuple[ImportRow, Preference, dict]] = []
    for row, customer, preferences in items:
        for item in preferences:
            preference, fields = preference_new(
                customer=customer, actor=upload.created_by, property=upload.property, source="imported", **item
            )
            preference.full_clean(exclude=["customer", "recorded_by", "recorded_at_property"])
            made.append((row, preference, fields))
    Preference.objects.bulk_create([preference for _row, preference, _fields in made])
    for row, preference, fields in made:
        row.added = {**row.added, "preferences": [*row.added.get("preferences", []), preference.pk]}
        records.append(
            change_record(
                organization=upload.organization,
                actor=upload.created_by,
                action=ChangeAction.PREFERENCE_RECORD,
                target=preference,
                changes={**created(fields), "import": upload.pk},
            )
        )


# --- undo ------------------------------------------------------------------------------------------------


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
    for row in rows:
        customer = row.customer
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
    terms.index_customers(reindex)
    ChangeRecord.objects.bulk_create(records)
    return len(customers)
