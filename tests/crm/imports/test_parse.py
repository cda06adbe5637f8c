"""Reading guest lists: encodings, delimiters, BOMs, xlsx, dates; and what is not a table."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError

from crm.imports import parse
from crm.partial_dates import PartialDate
from tests.crm.imports.conftest import CHINESE_ROWS, EXCEL_ROWS, csv_bytes, xlsx_bytes

TRADITIONAL_ROWS = [
    ["姓名", "電話", "生日"],
    ["陳大文", "91234567", "1985年3月14日"],
    ["黃志明", "+85291234567", "05-06"],
]


def _read(data: bytes) -> tuple[parse.Table, list]:
    table = parse.open_table(io.BytesIO(data))
    return table, list(table.rows())


@pytest.mark.parametrize(
    ("encoding", "bom"), [("utf-8", False), ("utf-8", True), ("utf-16", False), ("gb18030", False)]
)
def test_each_encoding_reads_the_same_chinese_headers_and_names(encoding, bom):
    table, rows = _read(csv_bytes(CHINESE_ROWS, encoding=encoding, bom=bom))
    assert table.headers == CHINESE_ROWS[0]
    assert [cells[0] for _n, cells in rows] == ["张伟", "李娜", "王芳"]


def test_big5_traditional_names_are_read_as_big5():
    table, rows = _read(csv_bytes(TRADITIONAL_ROWS, encoding="big5"))
    assert table.encoding == "big5"
    assert table.headers == ["姓名", "電話", "生日"]
    assert rows[0][1][0] == "陳大文"


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_comma_semicolon_and_tab_are_sniffed(delimiter):
    table, rows = _read(csv_bytes(CHINESE_ROWS, delimiter=delimiter))
    assert table.delimiter == delimiter
    assert rows[0] == (2, CHINESE_ROWS[1])


def test_rows_are_numbered_as_the_user_sees_them_and_blank_rows_skipped():
    _table, rows = _read(csv_bytes([["Name"], ["A"], [""], ["B"]]))
    assert [(number, cells[0]) for number, cells in rows] == [(2, "A"), (4, "B")]


def test_an_xlsx_file_streams_its_cells_with_excel_dates_and_numbers():
    table, rows = _read(xlsx_bytes(EXCEL_ROWS))
    assert table.kind == "xlsx"
    assert table.headers == EXCEL_ROWS[0]
    cells = rows[0][1]
    assert parse.parse_date(cells[3]) == PartialDate(month=7, day=1, year=1988)
    assert parse.cell_text(cells[4]) == "13800138000"


def test_a_formula_is_data_never_evaluated():
    _table, rows = _read(xlsx_bytes([["Name", "Note"], ["Eve", "=1+1"]]))
    assert rows[0][1][1] == "=1+1"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"   \r\n", "empty"),
        (bytes(range(256)) * 40, "not a table"),
        (b"PK\x03\x04not really a zip", "not a table"),
    ],
)
def test_what_is_not_a_table_is_said(data, message):
    with pytest.raises(parse.TableError, match=message):
        parse.open_table(io.BytesIO(data))


def test_a_file_over_the_limit_is_refused_before_it_is_read():
    with pytest.raises(parse.TableError, match="50 MB"):
        parse.open_table(io.BytesIO(b"Name\nA\n"), size=parse.MAX_FILE_BYTES + 1)


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("1985-03-14", None, PartialDate(3, 14, 1985)),
        ("1985/3/14", None, PartialDate(3, 14, 1985)),
        ("1985-03-14 00:00:00", None, PartialDate(3, 14, 1985)),
        ("14/03/1985", None, PartialDate(3, 14, 1985)),
        ("03/14/1985", None, PartialDate(3, 14, 1985)),
        ("05/06/1985", "dmy", PartialDate(6, 5, 1985)),
        ("05/06/1985", "mdy", PartialDate(5, 6, 1985)),
        ("1985年3月14日", None, PartialDate(3, 14, 1985)),
        ("3月14日", None, PartialDate(3, 14)),
        ("03-14", None, PartialDate(3, 14)),
        ("", None, None),
    ],
)
def test_dates_in_the_usual_forms(text, order, expected):
    assert parse.parse_date(text, order=order) == expected


@pytest.mark.parametrize("text", ["1990-02-30", "13/13/1990", "yesterday", "1985年13月1日", "31-31"])
def test_impossible_dates_are_refused_naming_the_value(text):
    with pytest.raises(ValidationError) as raised:
        parse.parse_date(text)
    assert text in raised.value.messages[0]


def test_an_ambiguous_date_without_the_files_word_is_reported():
    with pytest.raises(ValidationError, match="day/month or month/day"):
        parse.parse_date("05/06/1985")
    assert parse.date_order_hint("25/06/1985") == "dmy"
    assert parse.date_order_hint("06/25/1985") == "mdy"
    assert parse.date_order_hint("05/06/1985") is None
