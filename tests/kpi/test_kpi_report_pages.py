"""A long report PDF is cut into one grid per page, each page with the column headings, and no page
left nearly empty by a grid that ran over (xhtml2pdf re-measures a long table at every page break,
so the grid is cut before it is drawn: app/services/kpi/reports.page_chunks)."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from flask_babel import force_locale
from pypdf import PdfReader

from app.services.kpi import reports
from tests.purchasing import factories_purchasing as pf


def test_rows_are_cut_page_by_page_with_a_shorter_first_page():
    rows = list(range(100))
    chunks = reports.page_chunks(rows, 32, 42)
    assert [(first, len(part)) for first, part in chunks] == [(0, 32), (32, 42), (74, 26)]
    assert [r for _, part in chunks for r in part] == rows
    assert reports.page_chunks(rows, 0, 42)[0] == (0, rows[:42])
    assert reports.page_chunks([], 32, 42) == []


def test_every_page_of_a_long_report_has_its_headings(app, session):
    pf.company()
    table = reports.Table("Overdue invoices", "as of 07.12.2026", ["Number", "Client", "Due date", "Due"],
                          ["text", "text", "date", "money"])
    table.rows = [[f"INV-{n:05d}", f"Client {n % 7}", date(2026, 11, 1), Decimal(n) + Decimal("0.5")]
                  for n in range(200)]
    with force_locale("en"):
        pdf = reports._pdf(session, table, "en", date(2026, 12, 7))
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]
    assert len(pages) == len(reports.page_chunks(table.rows, reports.FIRST_PAGE_ROWS, reports.PAGE_ROWS))
    assert all("Number" in text and "Due date" in text for text in pages)
    assert "INV-00000" in pages[0] and "INV-00199" in pages[-1]
    # every row once, in order
    seen = [line.split()[0] for text in pages for line in text.splitlines() if line.startswith("INV-")]
    assert seen == [f"INV-{n:05d}" for n in range(200)]
