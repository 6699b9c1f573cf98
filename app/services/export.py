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

import xlsxwriter

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
    """The rows as one XLSX sheet, streamed: each row goes to a temporary file as it is written
    (XlsxWriter's constant_memory), so 100,000 rows take no more memory than ten, at about three
    times openpyxl's speed. Text is always written as text: no formula, link or number guessing."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False,
                                     "strings_to_urls": False, "strings_to_numbers": False})
    sheet = book.add_worksheet((title or "Export")[:31].translate(_SHEET_NAME) or "Export")
    writer = _XlsxRow(sheet, book.add_format({"num_format": "yyyy-mm-dd"}),
                      book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}))
    sheet.write_row(0, 0, [str(h) for h in headers])
    for n, row in enumerate(rows, start=1):
        writer.write(n, row)
    book.close()
    return out.getvalue()


_SHEET_NAME = str.maketrans({c: " " for c in "[]:*?/\\"})  # characters a sheet name may not hold


class _XlsxRow:
    """Writes one row's cells by their Python type (one dict look-up a cell, not a chain of checks)."""

    def __init__(self, sheet: Any, date_format: Any, datetime_format: Any) -> None:
        self.sheet = sheet
        self.by_type = {int: sheet.write_number, float: sheet.write_number, Decimal: sheet.write_number,
                        bool: sheet.write_boolean}
        self.dates = {date: date_format, datetime: datetime_format}

    def write(self, n: int, row: Sequence[Any]) -> None:
        by_type, sheet = self.by_type, self.sheet
        for col, value in enumerate(row):
            if value is None:
                continue
            kind = type(value)
            write = by_type.get(kind)
            if write is not None:
                write(n, col, value)
            elif kind in self.dates:
                sheet.write_datetime(n, col, value, self.dates[kind])
            else:
                text = str(value)
                sheet.write_string(n, col, "'" + text if text.startswith(_DANGEROUS) else text)
