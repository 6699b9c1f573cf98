"""List export to CSV and XLSX, safe against formula injection.

A cell that starts with = + - @ (or a tab / CR) would run as a formula when a buyer opens the
file in a spreadsheet; such text cells are prefixed with an apostrophe. Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING

_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: Any) -> Any:
    """Numbers and dates unchanged; text that a spreadsheet would evaluate gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, (bool, int, Decimal, float, date, datetime)):
        return value
    text = str(value)
    return "'" + text if text.startswith(_DANGEROUS) else text


def to_csv(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";")
    writer.writerow([safe_text(h) for h in headers])
    for row in rows:
        writer.writerow([safe_text(v) for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 Cyrillic correctly


def to_xlsx(headers: Sequence[str], rows: Iterable[Sequence[Any]], title: str = "Export") -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=title[:31] or "Export")
    ws.append([str(h) for h in headers])
    for row in rows:
        ws.append([_xlsx_value(v) for v in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return value  # openpyxl writes Decimal as a number
    if value is None or isinstance(value, (bool, int, float, date, datetime)):
        return value
    from openpyxl.cell import WriteOnlyCell  # noqa: PLC0415

    text = str(value)
    if text.startswith(_DANGEROUS):
        text = "'" + text
    cell = WriteOnlyCell(_DUMMY_WS, value=text)
    cell.data_type = TYPE_STRING
    return cell


_DUMMY_WS = Workbook(write_only=True).create_sheet()
