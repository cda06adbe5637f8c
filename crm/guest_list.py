"""The guest list for managers, as a spreadsheet (issue 13): CSV or Excel, with the list's filters, audited,
and safe to open — a cell a spreadsheet would run as a formula is written as text.

Rows stream: the CSV is written as it is read (a million guests never sit in memory), the Excel file with
openpyxl's write-only workbook. Every guest in the file gets an access record (`list_export`), in batches as
the rows go out, so "who took this guest's data home?" has an answer."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterator
from datetime import datetime

from django.db.models import Q, QuerySet
from django.http import FileResponse, JsonResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook

from crm.models import AccessAction, AccessChannel, Customer, Organization, Property
from crm.selectors import customers_of
from crm.services import access_record_many
from crm.services.common import User

# What a spreadsheet starts a formula with (OWASP "CSV injection"): such a cell gets a leading apostrophe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
# Rows read and audited at a time: one query for the rows, one INSERT of their access records.
BATCH = 2_000
COLUMNS = [
    ("id", _("id")),
    ("display_name", _("name")),
    ("given_name", _("given name")),
    ("family_name", _("family name")),
    ("native_name", _("name in its own script")),
    ("preferred_name", _("preferred name")),
    ("salutation", _("salutation")),
    ("language", _("preferred language")),
    ("email", _("email")),
    ("phone", _("phone (E.164)")),
    ("birthday", _("birthday")),
    ("anniversary", _("anniversary")),
    ("tags", _("tags")),
    ("external_ids", _("external ids")),
    ("home_property", _("home property")),
    ("visit_count", _("visits")),
    ("first_seen", _("first seen")),
    ("last_seen", _("last seen")),
    ("consent_service", _("service messages allowed")),
    ("consent_marketing", _("marketing messages allowed")),
    ("consent_surprises", _("surprises allowed")),
    ("do_not_contact", _("do not contact")),
]


def neutralized(value: object) -> object:
    """value, with text a spreadsheet would take for a formula made plain text ("'=1+1")."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def guest_list(
    *, organization: Organization, q: str = "", tag: str = "", home_property: Property | None = None
) -> QuerySet[Customer]:
    """The organization's guests in the list's order (newest first), filtered by a name fragment, a tag and a
    home property."""
    customers = customers_of(organization).select_related("home_property").prefetch_related("external_ids")
    if q:
        # search_name is lower case already: a plain LIKE, which the trigram index (crm 0002) serves; icontains
        # wraps the column in UPPER(), which it cannot.
        customers = customers.filter(search_name__contains=q.strip().lower())
    if tag:
        customers = customers.filter(tags__icontains=tag.strip())  # narrowed exactly below, per row
    if home_property is not None:
        customers = customers.filter(home_property=home_property)
    return customers.order_by("-created_at", "-id")


def _cells(customer: Customer) -> list[object]:
    values = {
        "display_name": customer.display_name,
        "birthday": str(customer.birthday) if customer.birthday else "",
        "anniversary": str(customer.anniversary) if customer.anniversary else "",
        "tags": ", ".join(customer.tags or ()),
        "external_ids": ", ".join(str(e) for e in customer.external_ids.all()),
        "home_property": customer.home_property.name if customer.home_property else "",
    }
    row = []
    for name, _label in COLUMNS:
        value = values[name] if name in values else getattr(customer, name)
        if isinstance(value, datetime):
            value = value.isoformat()
        row.append(neutralized(value))
    return row


def rows(
    customers: QuerySet[Customer], *, tag: str, actor: User, property_id: int | None, channel: AccessChannel
) -> Iterator[list[object]]:
    """The header, then each guest's cells, auditing each batch as it goes out."""
    yield [str(label) for _name, label in COLUMNS]
    wanted = tag.strip().lower()
    last: tuple[datetime, int] | None = None
    while True:
        batch = customers
        if last is not None:  # keyset pages in (created_at, id) order: a million rows without OFFSET's rescans
            created, pk = last
            batch = customers.filter(Q(created_at__lt=created) | Q(created_at=created, pk__lt=pk))
        page = list(batch[:BATCH])
        if not page:
            return
        last = (page[-1].created_at, page[-1].pk)
        shown = [c for c in page if not wanted or any(t.strip().lower() == wanted for t in c.tags or ())]
        if shown:
            access_record_many(
                organization_id=shown[0].organization_id,
                customer_ids=[c.pk for c in shown],
                actor=actor,
                action=AccessAction.LIST_EXPORT,
                channel=channel,
                property_id=property_id,
            )
            yield from (_cells(c) for c in shown)


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(table: Iterator[list[object]]) -> Iterator[str]:
    """The rows as CSV text, line by line, UTF-8 with a BOM so that Excel reads the Chinese names right."""
    writer = csv.writer(_Echo())
    yield "\ufeff"
    for row in table:
        yield writer.writerow(["" if value is None else value for value in row])


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def guest_list_download(
    request, *, staff, channel: AccessChannel, file: str = "csv", q: str = "", tag: str = "", property=None
):
    """The response of a guest-list download (the API's and the screen's): a streamed CSV, or an Excel file;
    400 for an Excel file longer than Excel allows."""
    customers = guest_list(organization=staff.organization, q=q, tag=tag, home_property=property)
    table = rows(customers, tag=tag, actor=request.user, property_id=staff.property_id, channel=channel)
    name = f"guests-{timezone.localdate():%Y-%m-%d}"
    if file == "xlsx":
        if customers.count() > XLSX_MAX_ROWS:
            message = str(_("Too many guests for one Excel sheet: download them as CSV, or filter the list."))
            return JsonResponse({"file": [message]}, status=400)
        return FileResponse(xlsx_file(table, str(_("Guests"))), as_attachment=True, filename=f"{name}.xlsx")
    response = StreamingHttpResponse(csv_lines(table), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


# Excel's last row (the header takes one): a longer list is refused for Excel, not cut short; CSV has no limit.
XLSX_MAX_ROWS = 1_048_575


def xlsx_file(table: Iterator[list[object]], title: str):
    """The rows as an Excel workbook in a temporary file (openpyxl's write-only mode streams the rows to disk),
    rewound for reading."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for row in table:
        sheet.append(row)
    spool = tempfile.TemporaryFile()  # noqa: SIM115 (FileResponse closes it when sent)
    workbook.save(spool)
    spool.seek(0)
    return spool
