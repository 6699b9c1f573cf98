"""The receipts a cost correction may land on, searched as the user types (the form's select2 picker).

A factory posts thousands of receipts a year: the form can't list them all, and the latest 200 miss
the one the freight invoice is about. The text is matched against the receipt's number, its
supplier (the linked partner or the text kept on older documents), the code and names of the items
on its lines, and, when it reads as a date (2026-10-05 or 05.10.2026), the receipt's date.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from app.models.catalog import Item
from app.models.partners import Partner
from app.models.stock import DOC_RECEIPT, StockDocument, StockDocumentLine

LIMIT = 20


def _as_date(text: str) -> date | None:
    for fmt in ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _contains(columns, text: str):
    """Any column contains the text, in any case: SQLite's lower() folds ASCII only, so the text is
    also tried as typed, capitalised and upper-cased (as app.services.stock.grid.item_choices does)."""
    forms = {text, text.lower(), text.capitalize(), text.upper()}
    return or_(*(col.contains(f, autoescape=True) for col in columns for f in forms),
               *(func.lower(col).contains(text.lower(), autoescape=True) for col in columns))


def label(doc: StockDocument, day: str = "%Y-%m-%d") -> str:
    """How a receipt reads in the picker: number · date (in the reader's format `day`) · supplier."""
    return " · ".join(x for x in (doc.number or "", doc.doc_date.strftime(day), doc.counterparty or "") if x)


def receipt_choices(session: Session, text: str, limit: int = LIMIT, day: str = "%Y-%m-%d") -> list[dict]:
    """[{id, text}] of the newest posted receipts matching `text` (number, supplier, item, date)."""
    text = (text or "").strip()
    if not text:
        return []
    doc = StockDocument
    on_item = exists(select(StockDocumentLine.id).join(Item, Item.id == StockDocumentLine.item_id).where(
        StockDocumentLine.document_id == doc.id, _contains((Item.code, Item.name, Item.name_ru, Item.name_es), text)))
    on_partner = exists(select(Partner.id).where(Partner.id == doc.partner_id, _contains((Partner.name,), text)))
    match = [_contains((doc.number, doc.partner_name), text), on_partner, on_item]
    typed_day = _as_date(text)
    if typed_day is not None:
        match.append(doc.doc_date == typed_day)
    rows = session.scalars(select(doc).where(doc.doc_type == DOC_RECEIPT, doc.state == "posted", or_(*match))
                           .order_by(doc.doc_date.desc(), doc.id.desc()).limit(limit)).all()
    return [{"id": r.id, "text": label(r, day)} for r in rows]


def chosen(session: Session, ids: list[int], day: str = "%Y-%m-%d") -> list[dict]:
    """The receipts already picked (a form shown again after a refusal keeps them)."""
    if not ids:
        return []
    rows = session.scalars(select(StockDocument).where(StockDocument.id.in_(ids)).order_by(StockDocument.id)).all()
    return [{"id": r.id, "text": label(r, day)} for r in rows]
