"""The dashboard's tables, one shape for the screen and for its CSV: columns, and rows of cells that carry the text
shown, the value written to the file, and where the figure leads (its rows).

The CSV is UTF-8 with a byte-order mark (Excel then reads Chinese names right), an attachment, and safe to open in
a spreadsheet: a cell starting with = + - @ (or a tab or carriage return) is written after an apostrophe, so a guest
named "=HYPERLINK(…)" stays text (OWASP's CSV injection advice).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date

from django.http import HttpResponse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Cell:
    text: str
    value: object = None  # what the CSV holds (a number rather than "83 %"); None: the text
    href: str = ""
    css: str = ""

    @property
    def csv(self) -> object:
        return self.text if self.value is None else self.value


@dataclass
class Table:
    key: str  # its name in ?table=…&format=csv and in the file's name
    title: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    empty: str = ""  # what the screen says when there is no row


def safe_cell(value: object) -> object:
    """A cell as a spreadsheet may read it without running it."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_response(table: Table, *, start: date, end: date, place: str) -> HttpResponse:
    """The table as a CSV download named after it, its place and its range."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_cell(column) for column in table.columns])
    for row in table.rows:
        writer.writerow([safe_cell(cell.csv) for cell in row])
    response = HttpResponse(("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8")
    name = f"rapport-{table.key}-{place}-{start.isoformat()}-{end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
