"""The lines grid of a stock document's page: what it shows and how a submitted grid is read.

The page (app/views/stock.py) renders fabrika/stock_lines_grid.html from `grid_context` and posts
the grid back as parallel lists (line_id, line_item_id, line_item, line_qty, line_unit, line_cost,
line_note); `read_grid` turns them into the service's GridLine rows, in the order shown, leaving
out rows the user left empty. After a refusal the grid is shown again with what was typed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import request

from app.domain.money import read_decimal
from app.extensions import db
from app.models.stock import (
    DOC_COUNT,
    DOC_CUSTOMER_RETURN,
    DOC_OPENING,
    DOC_RECEIPT,
    StockDocument,
    StockDocumentLine,
)
from app.services.stock.grid import GridLine, unit_choices
from app.views.base import fmt_money, fmt_qty, locale_name
from app.views.fields import input_text

COSTED = (DOC_RECEIPT, DOC_CUSTOMER_RETURN, DOC_OPENING)  # the types whose lines carry a price (the unit cost)
FIELDS = ("line_id", "line_item_id", "line_item", "line_qty", "line_unit", "line_cost", "line_note")


def _plain(value: Decimal | None) -> str:
    """A saved figure back in its input, in the reader's format, which the one parser reads back
    ("12.125" would be ambiguous on a Russian page and 12125 on a Spanish one)."""
    return input_text(value)


def _int(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None


def _lines(doc: StockDocument) -> list[StockDocumentLine]:
    """The lines with their items and units in three queries, not three lazy loads per line."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from app.models.catalog import Item

    return list(db.session.scalars(
        select(StockDocumentLine).where(StockDocumentLine.document_id == doc.id)
        .options(selectinload(StockDocumentLine.item).selectinload(Item.unit), selectinload(StockDocumentLine.unit))
        .order_by(StockDocumentLine.line_no, StockDocumentLine.id)))


def stored_rows(doc: StockDocument) -> list[dict]:
    """The document's lines as the grid's rows (strings, as the form holds them)."""
    lang = locale_name()[:2]
    return [{"line_id": str(ln.id), "line_item_id": str(ln.item_id),
             "line_item": f"{ln.item.code} {ln.item.label(lang)}", "line_qty": _plain(ln.qty),
             "line_unit": ln.unit.code if ln.unit is not None else ln.item.unit.code,
             "line_cost": _plain(ln.unit_cost), "line_note": ln.note,
             "value": ln.value} for ln in _lines(doc)]


def typed_rows() -> list[dict]:
    """The rows of the submitted grid, the ones left wholly empty dropped."""
    lists = [request.form.getlist(name) for name in FIELDS]
    rows = [dict(zip(FIELDS, values, strict=True)) for values in zip(*lists, strict=False)]
    return [r for r in rows if any((r[k] or "").strip() for k in ("line_item", "line_qty", "line_cost"))]


def read_grid(rows: list[dict]) -> list[GridLine]:
    """The service's rows: an item typed but not picked is looked up by the code before its first space."""
    from sqlalchemy import select

    from app.models.catalog import Item

    out = []
    for r in rows:
        item_id = _int(r["line_item_id"])
        typed = (r["line_item"] or "").strip()
        if item_id is None and typed:
            item_id = db.session.scalar(select(Item.id).where(Item.code == typed.split(" ", 1)[0])) or -1
        out.append(GridLine(item_id=item_id, qty=r["line_qty"], unit_code=(r["line_unit"] or None),
                            unit_cost=r["line_cost"] if (r["line_cost"] or "").strip() else None,
                            note=(r["line_note"] or "").strip()[:300], line_id=_int(r["line_id"])))
    return out


def grid_context(doc: StockDocument, editable: bool, rows: list[dict] | None = None) -> dict:
    """What fabrika/stock_lines_grid.html needs: rows, each item's units, which columns, the version."""
    rows = stored_rows(doc) if rows is None else rows
    units = unit_choices(db.session, {i for i in (_int(r["line_item_id"]) for r in rows) if i})
    for r in rows:
        r["units"] = units.get(_int(r["line_item_id"]), [])
        qty, cost = _number(r["line_qty"]), _number(r["line_cost"])
        r["qty_text"], r["cost_text"] = fmt_qty(qty), fmt_money(cost)
        r["amount_text"] = fmt_money(qty * cost) if qty is not None and cost is not None else ""
        r["value_text"] = fmt_money(r.get("value"))
    return {"rows": rows, "editable": editable, "costed": doc.doc_type in COSTED,
            "count": doc.doc_type == DOC_COUNT, "posted": not editable and doc.state != "draft",
            "row_version": doc.row_version, "totals": _totals(rows), "locale": locale_name()}


def _number(text: Any) -> Decimal | None:
    """A typed number as the grid shows it back ("1 000,5" or "1000.5"); None when it is not one."""
    return read_decimal(str(text or ""))


def _totals(rows: list[dict]) -> dict:
    """Quantity and amount of the rows shown (the page's script keeps them current as the user types)."""
    qty = amount = Decimal(0)
    for r in rows:
        q, c = _number(r["line_qty"]) or 0, _number(r["line_cost"]) or 0
        qty, amount = qty + q, amount + q * c
    return {"qty": fmt_qty(qty), "amount": fmt_money(amount)}
