"""The preview: reads the file, writes the import and its rows (each row's plan and errors), never a guest."""

from __future__ import annotations

from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from crm.bulk import insert_objects
from crm.imports import MAX_LISTED_ERRORS, columns, matching, parse
from crm.models import (
    Customer,
    GuestImport,
    ImportRow,
    Organization,
    Property,
    RowPlan,
)
from crm.services.common import User, user_or_none
from crm.services.imports.rows import (
    BATCH,
    _changes,
    _keys,
    _Reader,
)


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
    guests = Customer.objects.filter(pk__any={ids[0] for ids in found.values() if len(ids) == 1}).prefetch_related(
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
    insert_objects(rows)


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
