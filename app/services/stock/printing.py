"""Printed warehouse forms: goods receipt, waybill (issue, transfer, return), stock count sheet, on hand.

Each form is a plain dict (the view-model) built here from the document and the ledger, then
rendered by app.printing from a template in app/printing/templates/stock_*.html. The builders
(`document_context`, `on_hand_context`) take the locale and a gettext and need no Flask, so they
can be tested and reused by jobs; the `*_pdf` functions are the Flask edge used by the views.

Money on the forms is in the company's base currency: a posted line's value is the cost that moved
in the ledger; a draft receipt is valued at its unit cost and rate; a draft issue has no cost yet
(it is decided at posting), so its value columns stay empty. Drafts and cancelled documents carry a
DRAFT / CANCELLED mark.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app.domain.money import ZERO, exact, round_money
from app.models.base import DocState
from app.models.catalog import ItemGroup
from app.models.core import Unit
from app.models.stock import (
    DOC_COUNT,
    DOC_CUSTOMER_RETURN,
    DOC_ISSUE,
    DOC_OPENING,
    DOC_RECEIPT,
    DOC_SUPPLIER_RETURN,
    DOC_TRANSFER,
    StockBalance,
    StockDocument,
    StockDocumentLine,
    StockMove,
    Warehouse,
)
from app.printing import amount_in_words, render_pdf
from app.services.company import form_context, print_locale, printed_by, safe_filename
from app.services.stock import reports
from app.services.stock.documents import base_qty

Gettext = Callable[[str], str]

TEMPLATES = {
    DOC_RECEIPT: "stock_receipt.html",
    DOC_CUSTOMER_RETURN: "stock_receipt.html",
    DOC_OPENING: "stock_receipt.html",  # goods moving in, like a receipt, under its own title
    DOC_ISSUE: "stock_waybill.html",
    DOC_TRANSFER: "stock_waybill.html",
    DOC_SUPPLIER_RETURN: "stock_waybill.html",
    DOC_COUNT: "stock_count.html",
}


# --- small helpers -----------------------------------------------------------------------------


def unit_label(unit: Unit | None, locale: str) -> str:
    """шт / ud / pcs: the unit's short name in the reader's language, its code otherwise."""
    if unit is None:
        return ""
    lang = reports.language(locale)
    if lang not in ("ru", "es"):
        return unit.code
    return getattr(unit, f"name_{lang}", "") or unit.code


def words(amount: Decimal | None, currency: str | None, locale: str) -> str:
    """The amount in words, or '' when there is no amount or num2words can't write this currency."""
    if amount is None or not currency:
        return ""
    try:
        return amount_in_words(abs(amount), currency, locale)
    except ValueError:
        return ""


def _multiply(*factors: Decimal) -> Decimal:
    with exact():
        out = Decimal(1)
        for factor in factors:
            out *= factor
        return round_money(out)


def _warehouse_label(wh: Warehouse | None, locale: str) -> str:
    return wh.titled(reports.language(locale)) if wh is not None else ""


def _single_unit_total(lines: list[dict], key: str) -> Decimal | None:
    """The quantity total when every line has the same unit (adding kg to pieces means nothing)."""
    if not lines or len({ln["unit"] for ln in lines}) != 1:
        return None
    return sum((ln[key] for ln in lines if ln[key] is not None), ZERO)


def _load(session: Session, doc_id: int) -> StockDocument:
    doc = session.scalar(
        select(StockDocument).where(StockDocument.id == doc_id)
        .options(selectinload(StockDocument.lines).selectinload(StockDocumentLine.item),
                 selectinload(StockDocument.lines).selectinload(StockDocumentLine.unit))
    )
    if doc is None:
        raise LookupError(f"stock document {doc_id} not found")
    return doc


# --- documents ---------------------------------------------------------------------------------


def _line_value(doc: StockDocument, line: StockDocumentLine) -> Decimal | None:
    """The line's value in base currency: the posted cost, or a draft receipt's cost x rate."""
    if doc.state != DocState.DRAFT:
        return line.value
    if line.unit_cost is None or line.qty is None:
        return None
    return _multiply(line.qty, line.unit_cost, doc.rate or Decimal(1))


def _goods_lines(doc: StockDocument, locale: str) -> list[dict[str, Any]]:
    out = []
    for n, line in enumerate(doc.lines, start=1):
        value = _line_value(doc, line)
        out.append({
            "no": n, "code": line.item.code, "name": line.item.label(reports.language(locale)),
            "unit": unit_label(line.unit or line.item.unit, locale), "qty": line.qty,
            "unit_cost": reports.unit_cost(value, line.qty), "value": value, "note": line.note,
        })
    return out


def _posted_count_values(session: Session, doc: StockDocument) -> dict[int, Decimal]:
    """Signed value of each count line's adjustment, from the ledger (reversals left out)."""
    rows = session.execute(
        select(StockMove.doc_line_id, func.sum(StockMove.value))
        .where(StockMove.doc_type == doc.doc_type, StockMove.doc_id == doc.id, StockMove.reversal_of_id.is_(None))
        .group_by(StockMove.doc_line_id)
    ).all()
    return {line_id: value for line_id, value in rows if line_id is not None}


def _count_lines(session: Session, doc: StockDocument, locale: str) -> list[dict[str, Any]]:
    """Book vs counted vs difference per line, in the item's base unit.

    Posted: the book quantity stamped at posting and the adjustment's value in the ledger. Draft:
    today's balance and the difference valued at the line's unit cost or the current average.
    """
    balances = {b.item_id: b for b in session.scalars(select(StockBalance).where(
        StockBalance.warehouse_id == doc.warehouse_id,
        StockBalance.item_id.in_({ln.item_id for ln in doc.lines})))}
    posted = doc.state != DocState.DRAFT
    values = _posted_count_values(session, doc) if posted else {}
    cache: dict = {}
    out = []
    for n, line in enumerate(doc.lines, start=1):
        bal = balances.get(line.item_id)
        book = line.book_qty if posted else (bal.qty if bal is not None else ZERO)
        counted = base_qty(session, line, cache)
        diff = None if counted is None or book is None else counted - book
        if posted:
            diff_value = values.get(line.id, ZERO) if diff is not None else None
        else:
            cost = line.unit_cost if line.unit_cost is not None else (
                reports.unit_cost(bal.value, bal.qty) if bal is not None and bal.qty > 0 else None)
            diff_value = _multiply(diff, cost) if diff is not None and cost is not None else None
        out.append({
            "no": n, "code": line.item.code, "name": line.item.label(reports.language(locale)),
            "unit": unit_label(line.item.unit, locale), "book_qty": book, "counted_qty": counted,
            "diff_qty": diff, "diff_value": diff_value, "unit_cost": reports.unit_cost(diff_value, diff),
        })
    return out


def _count_totals(lines: list[dict]) -> dict[str, Decimal | None]:
    known = [ln["diff_value"] for ln in lines if ln["diff_value"] is not None]
    surplus = sum((v for v in known if v > 0), ZERO)
    shortage = -sum((v for v in known if v < 0), ZERO)
    return {"surplus": surplus, "shortage": shortage, "net": surplus - shortage,
            "complete": len(known) == len(lines)}


def _doc_header(doc: StockDocument, base_currency: str | None, locale: str) -> dict[str, Any]:
    foreign = doc.currency is not None and doc.currency.code != base_currency
    return {
        "id": doc.id, "type": doc.doc_type, "number": doc.number or "", "date": doc.doc_date, "state": doc.state,
        "warehouse": _warehouse_label(doc.warehouse, locale),
        "dest_warehouse": _warehouse_label(doc.dest_warehouse, locale),
        "partner": doc.counterparty, "reason": doc.reason, "basis": doc.source_ref, "note": doc.note,
        "currency": doc.currency.code if foreign else "", "rate": doc.rate if foreign else None,
        "posted_by": doc.posted_by,
    }


def document_context(session: Session, doc: StockDocument, locale: str, gettext: Gettext | None = None,
                     user: str = "", printed_at: date | None = None) -> dict[str, Any]:
    """The view-model of a stock document's printed form (see the stock_*.html templates)."""
    context = form_context(session, locale, gettext, user, printed_at)
    currency = context["currency"]
    context["doc"] = _doc_header(doc, currency, locale)
    if doc.doc_type == DOC_COUNT:
        lines = _count_lines(session, doc, locale)
        totals = _count_totals(lines)
        context.update(lines=lines, totals=totals,
                       amount_words=words(totals["net"], currency, locale) if totals["complete"] else "")
        return context
    lines = _goods_lines(doc, locale)
    values = [ln["value"] for ln in lines]
    total = sum(values, ZERO) if values and None not in values else None
    context.update(lines=lines, totals={"qty": _single_unit_total(lines, "qty"), "value": total},
                   amount_words=words(total, currency, locale))
    return context


def document_filename(doc: StockDocument) -> str:
    return safe_filename(doc.number or f"{doc.doc_type}-{doc.state}-{doc.id}") + ".pdf"


def stock_document_pdf(session: Session, doc_id: int, lang: str | None = None) -> tuple[bytes, str]:
    """The printed form of a stock document in `lang` (or the user's language): PDF bytes, file name."""
    doc = _load(session, doc_id)
    locale, translations = print_locale(lang)
    context = document_context(session, doc, locale, translations.gettext, user=printed_by())
    return render_pdf(TEMPLATES[doc.doc_type], context, locale, translations), document_filename(doc)


# --- stock on hand report ----------------------------------------------------------------------


def _group_label(session: Session, group_id: int | None, locale: str) -> str:
    if group_id is None:
        return ""
    group = session.get(ItemGroup, group_id)
    if group is None:
        return ""
    return group.label(reports.language(locale))


def on_hand_context(session: Session, locale: str, warehouse_id: int | None = None, group_id: int | None = None,
                    only_nonzero: bool = True, gettext: Gettext | None = None, user: str = "",
                    printed_at: date | None = None) -> dict[str, Any]:
    """The view-model of the printed stock on hand report (every row, no pagination)."""
    context = form_context(session, locale, gettext, user, printed_at)
    currency = context["currency"]
    report = reports.on_hand(session, warehouse_id, group_id, only_nonzero, page_size=None, locale=locale)
    per_warehouse: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for row in report.rows:
        per_warehouse[row.warehouse_code] += row.value
    return context | {
        "on_date": printed_at or date.today(),
        "warehouse": _warehouse_label(session.get(Warehouse, warehouse_id), locale) if warehouse_id else "",
        "group": _group_label(session, group_id, locale),
        "rows": report.rows,
        "show_warehouse": warehouse_id is None,
        "per_warehouse": sorted(per_warehouse.items()) if warehouse_id is None else [],
        "total_value": report.total_value,
        "total_qty": report.total_qty,
        "amount_words": words(report.total_value, currency, locale),
    }


def stock_on_hand_pdf(session: Session, warehouse_id: int | None = None, group_id: int | None = None,
                      only_nonzero: bool = True, lang: str | None = None) -> tuple[bytes, str]:
    """The stock on hand report as PDF bytes and a file name."""
    locale, translations = print_locale(lang)
    context = on_hand_context(session, locale, warehouse_id, group_id, only_nonzero, translations.gettext,
                              user=printed_by())
    name = f"stock-on-hand-{date.today().isoformat()}.pdf"
    return render_pdf("stock_on_hand.html", context, locale, translations), name
