"""Guest lists as PMS and spreadsheets export them, for the import tests."""

from __future__ import annotations

import io
from datetime import datetime

import pytest

# A front office's export in Chinese: 姓名 / 手机 / 邮箱 / 生日 / 过敏; row 3's birthday is impossible.
CHINESE_ROWS = [
    ["姓名", "手机", "邮箱", "生日", "过敏"],
    ["张伟", "138 0013 8000", "zhangwei@example.cn", "1985年3月14日", "花生"],
    ["李娜", "13912345678", "lina@example.cn", "1990-02-30", ""],
    ["王芳", "", "wangfang@example.cn", "1979/11/02", ""],
]


def csv_bytes(rows: list[list[str]], *, encoding: str = "utf-8", delimiter: str = ",", bom: bool = False) -> bytes:
    text = "\r\n".join(delimiter.join(cells) for cells in rows) + "\r\n"
    data = text.encode(encoding)
    if bom and encoding == "utf-8":
        data = b"\xef\xbb\xbf" + data
    return data


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.fixture
def chinese_csv() -> bytes:
    return csv_bytes(CHINESE_ROWS, encoding="gb18030")


EXCEL_ROWS = [
    ["First name", "Last name", "Email", "Date of birth", "Mobile"],
    ["Siobhán", "O'Connor", "siobhan@example.ie", datetime(1988, 7, 1), 13800138000],
]
