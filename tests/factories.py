"""Small builders for test data: items, warehouses, documents posted through the services."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from app.extensions import db
from app.models.catalog import Item
from app.models.core import Currency, Unit
from app.models.stock import Warehouse
from app.services.stock import DocumentInput, LineInput, create_document, post_document


def unit(code: str = "pcs") -> Unit:
    u = db.session.query(Unit).filter_by(code=code).first()
    if u is None:
        u = Unit(code=code, name=code, decimals=0)
        db.session.add(u)
        db.session.commit()
    return u


def currency(code: str = "RUB") -> Currency:
    c = db.session.query(Currency).filter_by(code=code).first()
    if c is None:
        c = Currency(code=code, name=code, symbol=code)
        db.session.add(c)
        db.session.commit()
    return c


def item(code: str, name: str | None = None, kind: str = "component", standard_cost: str | None = None) -> Item:
    it = Item(code=code, name=name or code, kind=kind, unit=unit(),
              standard_cost=Decimal(standard_cost) if standard_cost else None)
    db.session.add(it)
    db.session.commit()
    return it


def warehouse(code: str = "MAIN", valuation: str = "fifo") -> Warehouse:
    wh = Warehouse(code=code, name=code, valuation=valuation)
    db.session.add(wh)
    db.session.commit()
    return wh


def doc(doc_type: str, wh: Warehouse, lines: list[tuple], on: date | None = None, post: bool = True, **kw):
    """lines: (item, qty[, unit_cost]) tuples; returns the (posted) document."""
    data = DocumentInput(
        doc_type=doc_type, warehouse_id=wh.id, doc_date=on or date(2026, 11, 1),
        lines=[LineInput(it.id, str(q), unit_cost=str(c[0]) if c else None) for it, q, *c in lines], **kw,
    )
    if doc_type == "issue" and "reason" not in kw:
        data.reason = "test"
    d = create_document(db.session, data)
    return post_document(db.session, d.id) if post else d


def receipt(wh, lines, **kw):
    return doc("receipt", wh, lines, **kw)


def issue(wh, lines, **kw):
    return doc("issue", wh, lines, **kw)
