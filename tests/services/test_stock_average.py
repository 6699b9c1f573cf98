"""Moving-average warehouses through the services: running average, negative stock and its settlement.

Figures are worked out by hand above each step. Issues beyond stock leave at the last known
average; the receipt that fills the hole records the difference as a revaluation on its move.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.models.stock import StockBalance, StockMove
from app.services.stock import cancel_document
from app.services.stock.verify import verify_stock
from tests import factories as f

D = Decimal


@pytest.fixture
def shop(session):
    return f.warehouse("SHOP", "average")


@pytest.fixture
def paint(session):
    return f.item("PAINT")


def _receipt_move(session, document) -> StockMove:
    [move] = f.moves_of(document)
    return move


def test_receipts_at_several_prices_average_out(session, shop, paint):
    f.receipt(shop, [(paint, 10, 100)])
    f.receipt(shop, [(paint, 10, 120)])
    assert f.balance(paint, shop) == (D(20), D(2200))
    # 5 of 20 at 2200: 550; then 3 of 15 at 1650: 330
    assert f.issue(shop, [(paint, 5)]).lines[0].value == D(550)
    assert f.issue(shop, [(paint, 3)]).lines[0].value == D(330)
    assert f.balance(paint, shop) == (D(12), D(1320))
    bal = session.scalar(select(StockBalance).filter_by(item_id=paint.id, warehouse_id=shop.id))
    assert bal.last_unit_cost == D(110)
    assert f.lots(paint, shop) == []
    assert verify_stock(session) == []


def test_average_takes_add_up_to_the_stock_value(session, shop, paint):
    # 3 for 100: 100/3 = 33.3333; 66.6667/2 = 33.33335 -> 33.3334; the last unit takes the rest, 33.3333
    f.receipt(shop, [(paint, 3, "33.3333")])
    f.receipt(shop, [(paint, 1, "0.0001")])  # 4 for 100.0000 in total
    f.issue(shop, [(paint, 1)])  # 25.0000
    values = [f.issue(shop, [(paint, 1)]).lines[0].value for _ in range(3)]
    assert values == [D("25.0000")] * 3
    f.receipt(shop, [(paint, 3, 100)])
    values = [f.issue(shop, [(paint, 1)]).lines[0].value for _ in range(3)]
    assert values == [D("100")] * 3
    f.receipt(shop, [(paint, 3, "33.3333")])
    values = [f.issue(shop, [(paint, 1)]).lines[0].value for _ in range(3)]
    assert values == [D("33.3333"), D("33.3333"), D("33.3333")]
    f.receipt(shop, [(paint, 2, "33.3333")])
    f.receipt(shop, [(paint, 1, "33.3334")])  # 3 for 100.0000
    values = [f.issue(shop, [(paint, 1)]).lines[0].value for _ in range(3)]
    assert values == [D("33.3333"), D("33.3334"), D("33.3333")]
    assert sum(values) == D(100)
    assert f.balance(paint, shop) == (D(0), D(0))
    assert verify_stock(session) == []


def test_issue_into_negative_then_receipt_settles_with_revaluation(session, shop, paint):
    f.receipt(shop, [(paint, 10, 100)])
    # 10 on hand for 1000, the 5 beyond stock at the last average 100: 1500
    i = f.issue(shop, [(paint, 15)])
    assert i.lines[0].value == D(1500)
    assert f.balance(paint, shop) == (D(-5), D(-500))
    # 10 @ 130 = 1300: 5 fill the hole (left at 500, really cost 650: revaluation 150), 5 go into stock
    r = f.receipt(shop, [(paint, 10, 130)])
    move = _receipt_move(session, r)
    assert (move.qty, move.value, move.revaluation) == (D(10), D(1150), D(150))
    assert move.value + move.revaluation == D(1300)
    assert f.balance(paint, shop) == (D(5), D(650))
    assert f.issue(shop, [(paint, 1)]).lines[0].value == D(130)
    assert verify_stock(session) == []


def test_negative_filled_in_two_receipts(session, shop, paint):
    f.receipt(shop, [(paint, 10, 100)])
    f.issue(shop, [(paint, 15)])
    # 3 @ 130 = 390 fill 3 of the 5 missing, which left at 3/5 of 500 = 300: revaluation 90
    m1 = _receipt_move(session, f.receipt(shop, [(paint, 3, 130)]))
    assert (m1.value, m1.revaluation) == (D(300), D(90))
    assert f.balance(paint, shop) == (D(-2), D(-200))
    # the last 2 close the hole: 260 against the 200 they left at
    m2 = _receipt_move(session, f.receipt(shop, [(paint, 2, 130)]))
    assert (m2.value, m2.revaluation) == (D(200), D(60))
    assert f.balance(paint, shop) == (D(0), D(0))
    assert verify_stock(session) == []


def test_negative_without_any_known_cost(session, shop, paint):
    # never received: the issue leaves at 0; the receipt's whole value is the revaluation
    assert f.issue(shop, [(paint, 2)]).lines[0].value == D(0)
    assert f.balance(paint, shop) == (D(-2), D(0))
    m = _receipt_move(session, f.receipt(shop, [(paint, 2, 50)]))
    assert (m.value, m.revaluation) == (D(0), D(100))
    assert f.balance(paint, shop) == (D(0), D(0))
    assert verify_stock(session) == []


def test_cancelling_the_settling_receipt_restores_the_negative_exactly(session, shop, paint):
    f.receipt(shop, [(paint, 10, 100)])
    f.issue(shop, [(paint, 15)])
    r = f.receipt(shop, [(paint, 10, 130)])
    cancel_document(session, r.id, date(2026, 11, 9))
    assert f.balance(paint, shop) == (D(-5), D(-500))
    original, reversal = f.moves_of(r)
    assert (reversal.qty, reversal.value, reversal.revaluation) == (D(-10), D(-1150), D(-150))
    assert (reversal.reversal_of_id, reversal.move_date, reversal.kind) == (original.id, date(2026, 11, 9), "reversal")
    bal = session.scalar(select(StockBalance).filter_by(item_id=paint.id, warehouse_id=shop.id))
    assert bal.last_unit_cost == D(100)
    assert verify_stock(session) == []


def test_cancelling_an_older_receipt_writes_off_the_residual_value(session, shop, paint):
    f.receipt(shop, [(paint, 10, 100)])
    f.issue(shop, [(paint, 5)])  # 500 -> 5 for 500
    r = f.receipt(shop, [(paint, 5, 120)])  # 10 for 1100
    f.issue(shop, [(paint, 5)])  # 550 -> 5 for 550
    # taking the 5 @ 120 back out leaves 0 units worth -50: that 50 is written off as revaluation
    cancel_document(session, r.id, date(2026, 11, 2))
    assert f.balance(paint, shop) == (D(0), D(0))
    _, reversal = f.moves_of(r)
    assert (reversal.qty, reversal.value, reversal.revaluation) == (D(-5), D(-550), D(-50))
    assert verify_stock(session) == []


def test_issue_crossing_zero_prices_the_rest_at_the_last_average(session, shop, paint):
    f.receipt(shop, [(paint, 3, 100)])
    # 3 for 300 plus 2 at 100
    assert f.issue(shop, [(paint, 5)]).lines[0].value == D(500)
    assert f.balance(paint, shop) == (D(-2), D(-200))
    assert verify_stock(session) == []


def test_transfer_between_average_warehouses_then_issue(session, shop, paint):
    store = f.warehouse("STORE", "average")
    f.receipt(shop, [(paint, 10, 100)])
    f.receipt(shop, [(paint, 5, 130)])  # 15 for 1650, average 110
    t = f.doc("transfer", shop, [(paint, 6)], dest_warehouse_id=store.id)
    assert t.lines[0].value == D(660)
    assert f.balance(paint, shop) == (D(9), D(990))
    assert f.balance(paint, store) == (D(6), D(660))
    f.receipt(store, [(paint, 4, 160)])  # 10 for 1300
    assert f.issue(store, [(paint, 5)]).lines[0].value == D(650)
    assert verify_stock(session) == []


def test_cancelling_an_older_receipt_never_leaves_missing_units_with_a_value(session, shop, paint):
    f.receipt(shop, [(paint, 10, 10)])
    f.receipt(shop, [(paint, 10, 100)])  # 20 for 1100
    f.issue(shop, [(paint, 15)])  # 825 -> 5 for 275
    r1 = session.scalars(select(StockMove).where(StockMove.kind == "receipt").order_by(StockMove.id)).first()
    # taking the 10 @ 10 back out would leave -5 units "worth" +175: that 175 is written off
    cancel_document(session, r1.doc_id, date(2026, 11, 2))
    assert f.balance(paint, shop) == (D(-5), D(0))
    reversal = session.scalar(select(StockMove).where(StockMove.reversal_of_id == r1.id))
    assert (reversal.qty, reversal.value, reversal.revaluation) == (D(-10), D(-275), D(175))
    # the 5 missing then arrive: their whole cost is a revaluation, the stock is empty and worth 0
    m = _receipt_move(session, f.receipt(shop, [(paint, 5, 50)]))
    assert (m.value, m.revaluation) == (D(0), D(250))
    assert f.balance(paint, shop) == (D(0), D(0))
    assert verify_stock(session) == []
