"""Textbook cases in both valuation models, posted through the services, exact to the kopek."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from app.domain.errors import DomainError
from app.models.stock import StockBalance, StockLot
from app.services.stock import cancel_document
from app.services.stock.verify import verify_stock
from tests import factories as f

D = Decimal


def balance(session, it, wh):
    b = session.query(StockBalance).filter_by(item_id=it.id, warehouse_id=wh.id).one()
    return b.qty, b.value


def test_fifo_receipts_and_issue(session):
    wh = f.warehouse()
    it = f.item("CPU")
    f.receipt(wh, [(it, 10, "100")])
    f.receipt(wh, [(it, 5, "110")])
    f.receipt(wh, [(it, 10, "120")])
    d1 = f.issue(wh, [(it, 12)])
    assert d1.lines[0].value == D("1220")
    d2 = f.issue(wh, [(it, 8)])
    assert d2.lines[0].value == D("930")
    assert balance(session, it, wh) == (D(5), D("600"))
    assert verify_stock(session) == []


def test_fifo_issue_beyond_stock_refused_and_nothing_written(session):
    wh = f.warehouse()
    it = f.item("CPU")
    f.receipt(wh, [(it, 3, "10")])
    with pytest.raises(DomainError) as exc:
        f.issue(wh, [(it, 5)])
    assert "available 3" in str(exc.value)
    assert balance(session, it, wh) == (D(3), D(30))
    assert verify_stock(session) == []


def test_average_cost_and_negative(session):
    wh = f.warehouse("SHOP", "average")
    it = f.item("PAINT")
    f.receipt(wh, [(it, 10, "100")])
    f.receipt(wh, [(it, 10, "120")])
    d = f.issue(wh, [(it, 5)])
    assert d.lines[0].value == D("550")
    f.issue(wh, [(it, 20)])
    q, v = balance(session, it, wh)
    assert q == D(-5) and v == D(-550)
    f.receipt(wh, [(it, 10, "130")])
    q, v = balance(session, it, wh)
    assert q == D(5) and v == D(650)
    assert verify_stock(session) == []


def test_cancel_receipt_consumed_names_consumer(session):
    wh = f.warehouse()
    it = f.item("CPU")
    r = f.receipt(wh, [(it, 3, "10")])
    i = f.issue(wh, [(it, 1)])
    with pytest.raises(DomainError) as exc:
        cancel_document(session, r.id, date(2026, 11, 2))
    assert i.number in str(exc.value)
    cancel_document(session, i.id, date(2026, 11, 2))
    cancel_document(session, r.id, date(2026, 11, 2))
    assert balance(session, it, wh) == (D(0), D(0))
    assert verify_stock(session) == []


def test_transfer_keeps_cost_and_age(session):
    a = f.warehouse("A")
    b = f.warehouse("B")
    it = f.item("BOARD")
    f.receipt(a, [(it, 2, "50")], on=date(2026, 10, 1))
    f.receipt(a, [(it, 2, "70")], on=date(2026, 10, 5))
    t = f.doc("transfer", a, [(it, 3)], dest_warehouse_id=b.id)
    assert t.lines[0].value == D("170")
    assert balance(session, it, b) == (D(3), D(170))
    lots = session.query(StockLot).filter_by(warehouse_id=b.id).order_by(StockLot.id).all()
    assert [lot.received_on for lot in lots] == [date(2026, 10, 1), date(2026, 10, 5)]
    i = f.issue(b, [(it, 1)])
    assert i.lines[0].value == D("50")
    assert verify_stock(session) == []
