"""Reading a guest list: CSV in the encodings and delimiters PMS and spreadsheets write, or xlsx (streamed,
never evaluated), and the dates people type. Rows come one at a time: memory stays bounded for any size."""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.partial_dates import PartialDate

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 1_000_000
MAX_COLUMNS = 200
# An xlsx is a zip: more than this uncompressed is a zip bomb, refused before anything is inflated.
MAX_XLSX_UNPACKED_BYTES = 1024 * 1024 * 1024
MAX_CELL_CHARS = 10_000
SAMPLE_BYTES = 64 * 1024
DELIMITERS = ",;\t"
XLSX_MAGIC = b"PK\x03\x04"


class TableError(ValueError):
    """The file cannot be read as a table: said to the user (400, field "file")."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Table:
    """A file's header and a way to read its rows (again: the preview reads twice, apply never)."""

    headers: list[str]
    kind: str  # "csv" or "xlsx"
    encoding: str
    delimiter: str
    _source: IO[bytes]

    def rows(self) -> Iterator[tuple[int, list[Any]]]:
        """(row number as the user sees it — the header is row 1 —, cells) of each row that is not empty."""
        self._source.seek(0)
        rows = (
            _xlsx_rows(self._source) if self.kind == "xlsx" else _csv_rows(self._source, self.encoding, self.delimiter)
        )
        next(rows, None)  # the header
        for count, (number, cells) in enumerate(rows, start=1):
            if count > MAX_ROWS:
                raise TableError(_("The file has more than %(max)s rows.") % {"max": f"{MAX_ROWS:,}"})
            if len(cells) > MAX_COLUMNS:
                cells = cells[:MAX_COLUMNS]
            if any(cell not in (None, "") for cell in cells):
                yield number, cells


def open_table(source: IO[bytes], *, size: int | None = None) -> Table:
    """The table in an uploaded file (seekable bytes). TableError when it is empty, too big, not a table, or
    has no header."""
    if size is None:
        source.seek(0, io.SEEK_END)
        size = source.tell()
    if size > MAX_FILE_BYTES:
        raise TableError(_("The file is larger than %(max)d MB.") % {"max": MAX_FILE_BYTES // (1024 * 1024)})
    source.seek(0)
    head = source.read(SAMPLE_BYTES)
    if not head.strip():
        raise TableError(_("The file is empty."))
    if head.startswith(XLSX_MAGIC):
        table = Table(headers=[], kind="xlsx", encoding="", delimiter="", _source=source)
        _check_xlsx(source)
    else:
        encoding = detect_encoding(head)
        text = _decode_sample(head, encoding)
        if _looks_binary(text):
            raise TableError(_("The file is not a table: upload a CSV or an Excel (.xlsx) file."))
        table = Table(headers=[], kind="csv", encoding=encoding, delimiter=sniff_delimiter(text), _source=source)
    source.seek(0)
    rows = _xlsx_rows(source) if table.kind == "xlsx" else _csv_rows(source, table.encoding, table.delimiter)
    first = next(rows, None)
    if first is None or not any(cell not in (None, "") for cell in first[1]):
        raise TableError(_("The file has no header row: its first row must name the columns."))
    headers = [_cell_text(cell).strip() for cell in first[1]]
    while headers and not headers[-1]:
        headers.pop()
    if len(headers) > MAX_COLUMNS:
        raise TableError(_("The file has more than %(max)d columns.") % {"max": MAX_COLUMNS})
    table.headers = headers
    return table


# --- encodings -------------------------------------------------------------------------------------------


BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def detect_encoding(head: bytes) -> str:
    """A BOM says it (UTF-8, UTF-16); else UTF-8 if the sample is strictly UTF-8; else GB18030 or Big5, whichever
    reads as more common Chinese (both decode most byte pairs; only the right one makes common characters)."""
    for bom, name in BOMS:
        if head.startswith(bom):
            return name
    if _decodes(head, "utf-8"):
        return "utf-8"
    candidates = [
        (_common_han(_decode_sample(head, name)), name) for name in ("gb18030", "big5") if _decodes(head, name)
    ]
    if not candidates:
        return "gb18030"  # decodes anything: the bad bytes show as errors in the rows
    return max(candidates, key=lambda item: (item[0], item[1] == "gb18030"))[1]


def _decodes(head: bytes, encoding: str) -> bool:
    try:
        codecs.getincrementaldecoder(encoding)().decode(head, final=False)  # a character cut at the end is fine
    except UnicodeDecodeError:
        return False
    return True


def _decode_sample(head: bytes, encoding: str) -> str:
    return codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=False)


def _common_han(text: str) -> int:
    """How many characters are common Chinese: GB2312's (simplified) or Big5's first level (traditional)."""
    return sum(1 for char in text if "\u4e00" <= char <= "\u9fff" and _is_common(char))


def _is_common(char: str) -> bool:
    try:
        char.encode("gb2312")
        return True
    except UnicodeEncodeError:
        pass
    try:
        return 0xA440 <= int.from_bytes(char.encode("big5")) <= 0xC67E
    except UnicodeEncodeError:
        return False


def _looks_binary(text: str) -> bool:
    controls = sum(1 for char in text if (char < " " and char not in "\t\r\n") or char == "\ufffd")
    return controls > max(2, len(text) // 100)


def sniff_delimiter(text: str) -> str:
    """, ; or tab, as csv.Sniffer reads the first lines; else the one the header holds most of; else ","."""
    lines = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(lines, delimiters=DELIMITERS).delimiter
    except csv.Error:
        header = lines.split("\n", 1)[0]
        best = max(DELIMITERS, key=header.count)
        return best if header.count(best) else ","


def _csv_rows(source: IO[bytes], encoding: str, delimiter: str) -> Iterator[tuple[int, list[Any]]]:
    source.seek(0)
    text = io.TextIOWrapper(source, encoding=encoding, newline="")
    csv.field_size_limit(MAX_CELL_CHARS * 4)
    number = 0
    try:
        for number, row in enumerate(csv.reader(text, delimiter=delimiter), start=1):
            yield number, row
    except UnicodeDecodeError as exc:
        raise TableError(
            _("Row %(row)d is not in the file's encoding (%(encoding)s): save the file again as UTF-8.")
            % {"row": number + 1, "encoding": encoding}
        ) from exc
    except csv.Error as exc:
        raise TableError(_("Row %(row)d cannot be read: %(error)s") % {"row": number + 1, "error": exc}) from exc
    finally:
        text.detach()  # the upload stays open for the next reading


# --- xlsx ------------------------------------------------------------------------------------------------


def _check_xlsx(source: IO[bytes]) -> None:
    source.seek(0)
    try:
        with zipfile.ZipFile(source) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise TableError(_("The file is not a table: upload a CSV or an Excel (.xlsx) file.")) from exc
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise TableError(_("The Excel file unpacks to more than 1 GB: save it as CSV, or split it."))


def _xlsx_rows(source: IO[bytes]) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    source.seek(0)
    try:
        # read_only streams the sheet's XML; data_only reads formulas' cached values (never evaluates them), and a
        # cell holding a formula without one reads as its text: data, like any other.
        workbook = load_workbook(source, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise TableError(_("The Excel file cannot be read: save it again as .xlsx or CSV.")) from exc
    try:
        sheet = workbook.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1), start=1):
            yield number, list(row)
    finally:
        workbook.close()


def _cell_text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime) and not cell.time():
        return cell.date().isoformat()
    return str(cell)


def cell_text(cell: Any) -> str:
    """A cell as text: numbers without a trailing .0 (a phone stored as a number), dates as YYYY-MM-DD."""
    return _cell_text(cell).strip()


# --- dates -----------------------------------------------------------------------------------------------

DATE_MESSAGE = gettext_lazy(
    "“%(value)s” is not a date: write it as 1985-03-14, 14/03/1985, 1985年3月14日 or 03-14 (no year)."
)
AMBIGUOUS_MESSAGE = gettext_lazy(
    "“%(value)s” could be day/month or month/day and the file's other dates do not say which: write it as YYYY-MM-DD."
)
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_YEAR_LAST = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?: \d{1,2}:\d{2}(?::\d{2})?)?$")
_CHINESE = re.compile(r"^(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*[日号號]?$")
_NO_YEAR = re.compile(r"^(\d{1,2})-(\d{1,2})$")
DAY_FIRST, MONTH_FIRST = "dmy", "mdy"


def date_order_hint(value: Any) -> str | None:
    """What a value says of its column's order of day and month: a 13–31 first is a day (dmy), second a month
    (mdy); None when it does not say."""
    match = _YEAR_LAST.match(cell_text(value)) if isinstance(value, str) else None
    if not match:
        return None
    first, second = int(match.group(1)), int(match.group(2))
    if first > 12 >= second:
        return DAY_FIRST
    if second > 12 >= first:
        return MONTH_FIRST
    return None


def parse_date(value: Any, *, order: str | None = None) -> PartialDate | None:
    """A birthday or anniversary as a PartialDate; None for an empty cell. ValidationError naming the value for
    an impossible or unreadable date, or an ambiguous one (05/06/1985) when order (the column's, from its
    other rows) is unknown."""
    if isinstance(value, datetime | date):  # an Excel date cell
        return PartialDate(month=value.month, day=value.day, year=value.year)
    text = cell_text(value)
    if not text:
        return None
    invalid = ValidationError(DATE_MESSAGE, code="invalid", params={"value": text[:40]})
    year = None
    if match := _ISO.match(text):
        year, month, day = (int(part) for part in match.groups())
    elif match := _YEAR_LAST.match(text):
        first, second, year = (int(part) for part in match.groups())
        if first == second or first > 12 or second > 12 or order:
            day_first = first > 12 or (order == DAY_FIRST and second <= 12)
            day, month = (first, second) if day_first else (second, first)
        else:
            raise ValidationError(AMBIGUOUS_MESSAGE, code="ambiguous", params={"value": text[:40]})
    elif match := _CHINESE.match(text):
        year = int(match.group(1)) if match.group(1) else None
        month, day = int(match.group(2)), int(match.group(3))
    elif match := _NO_YEAR.match(text):
        month, day = int(match.group(1)), int(match.group(2))
    else:
        raise invalid
    try:
        return PartialDate(month=month, day=day, year=year)
    except ValidationError:
        raise invalid from None
