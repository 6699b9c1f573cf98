"""Stock counts, customer returns, returns to supplier, currency receipts and unit conversions.

Each runs in both valuation models where the models differ, with exact Decimal expectations
worked out by hand, and ends with verify_stock (caches equal to the ledger).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from app.domain.errors import DomainError
from app.services.stock.verify import verify_stock
from tests import factories as f

D = Decimal
OCT1, OCT2 = date(2026, 10, 1), date(2026, 10, 2)


@pytest.fixture
def it(session):
    return f.item("BOLT", standard_cost="15")


def _stocked(valuation: str, it):
    """10 @ 100 on 1 October and 10 @ 120 on 2 October: 20 for 2200 in both models."""
    wh = f.warehouse("MAIN", valuation)
    f.receipt(wh, [(it, 10, 100)], on=OCT1)
    f.receipt(wh, [(it, 10, 120)], on=OCT2)
    return wh


# --- stock counts ----------------------------------------------------------------------------


@pytest.mark.parametrize("valuation", ["fifo", "average"])
def test_count_surplus_is_valued_at_the_current_average(session, it, valuation):
    wh = _stocked(valuation, it)
    # 20 on the books, 23 counted: 3 more at 2200 / 20 = 110
    c = f.doc("count", wh, [(it, 23)])
    assert (c.lines[0].book_qty, c.lines[0].value) == (D(20), D(330))
    assert f.balance(it, wh) == (D(23), D(2530))
    [move] = f.moves_of(c)
    assert (move.qty, move.value, move.kind) == (D(3), D(330), "count")
    if valuation == "fifo":
        assert f.remaining(it, wh)[-1] == (D(3), D(330))
    assert verify_stock(session) == []


@pytest.mark.parametrize(("valuation", "cost"), [("fifo", 1000 + 2 * 120), ("average", 12 * 110)])
def test_count_shortage_is_an_issue(session, it, valuation, cost):
    wh = _stocked(valuation, it)
    # 20 on the books, 8 counted: 12 missing, taken FIFO (10 @ 100 + 2 @ 120) or at the average 110
    c = f.doc("count", wh, [(it, 8)])
    assert (c.lines[0].book_qty, c.lines[0].value) == (D(20), D(cost))
    assert f.balance(it, wh) == (D(8), D(2200 - cost))
    assert verify_stock(session) == []


@pytest.mark.parametrize("valuation", ["fifo", "average"])
def test_count_with_explicit_cost_and_count_to_zero(session, it, valuation):
    wh = _stocked(valuation, it)
    c = f.doc("count", wh, [(it, 21, "99.5")])
    assert c.lines[0].value == D("99.5")
    assert f.doc("count", wh, [(it, 0)]).lines[0].value == D("2299.5")
    assert f.balance(it, wh) == (D(0), D(0))
    assert verify_stock(session) == []


def test_count_that_matches_the_books_posts_nothing(session, it):
    wh = _stocked("fifo", it)
    c = f.doc("count", wh, [(it, 20)])
    assert c.state == "posted" and f.moves_of(c) == []
    assert (c.lines[0].book_qty, c.lines[0].value) == (D(20), D(0))
    assert verify_stock(session) == []


def test_count_of_an_item_never_received_uses_the_standard_cost(session, it):
    wh = f.warehouse("MAIN", "fifo")
    c = f.doc("count", wh, [(it, 3)])
    assert (c.lines[0].book_qty, c.lines[0].value) == (D(0), D(45))
    assert f.remaining(it, wh) == [(D(3), D(45))]
    assert verify_stock(session) == []


def test_count_in_a_negative_average_stock_uses_the_last_average(session, it):
    wh = f.warehouse("SHOP", "average")
    f.receipt(wh, [(it, 10, 100)])
    f.issue(wh, [(it, 15)])  # -5 for -500
    # 7 more than the books at the last average 100: 5 fill the hole at 500, 2 go into stock at 200
    c = f.doc("count", wh, [(it, 2)])
    assert (c.lines[0].book_qty, c.lines[0].value) == (D(-5), D(700))
    assert f.balance(it, wh) == (D(2), D(200))
    assert verify_stock(session) == []


@pytest.mark.parametrize("valuation", ["fifo", "average"])
def test_count_refuses_the_same_item_on_two_lines(session, it, valuation):
    """Two lines each compared with the same book quantity would adjust the stock twice."""
    wh = _stocked(valuation, it)
    # two shelves, 12 + 10: each line against the 20 on the books would take 8 and 10 away
    before = f.row_counts()
    with pytest.raises(DomainError) as exc:
        f.doc("count", wh, [(it, 12), (it, 10)])
    assert exc.value.messages() == ["Line 2: BOLT is already counted on line 1"]
    assert f.row_counts() == before
    assert f.balance(it, wh) == (D(20), D(2200))
    assert verify_stock(session) == []


# --- customer returns ------------------------------------------------------------------------


def test_customer_return_fifo_is_a_new_layer(session, it):
    wh = _stocked("fifo", it)
    f.issue(wh, [(it, 15)])  # 1000 + 5 @ 120 -> 5 @ 120 left
    r = f.doc("customer_return", wh, [(it, 2, 95)], on=date(2026, 11, 5), partner_name="ACME")
    assert r.number.startswith("CR-2026-") and r.lines[0].value == D(190)
    assert f.remaining(it, wh)[-1] == (D(2), D(190))
    assert f.lots(it, wh)[-1].received_on == date(2026, 11, 5)
    # the returned units are the newest layer: 6 = 5 @ 120 + 1 @ 95
    assert f.issue(wh, [(it, 6)]).lines[0].value == D(695)
    assert verify_stock(session) == []


def test_customer_return_average_joins_the_average(session, it):
    wh = _stocked("average", it)
    f.doc("customer_return", wh, [(it, 2, 95)])  # 22 for 2390
    assert f.balance(it, wh) == (D(22), D(2390))
    assert verify_stock(session) == []


def test_customer_return_needs_a_cost(session, it):
    wh = _stocked("fifo", it)
    with pytest.raises(DomainError) as exc:
        f.doc("customer_return", wh, [(it, 2)])
    assert exc.value.messages() == ["Line 1: Enter the unit cost"]


# --- returns to supplier ---------------------------------------------------------------------


def test_supplier_return_fifo_takes_the_oldest(session, it):
    wh = _stocked("fifo", it)
    first, second = f.lots(it, wh)
    r = f.doc("supplier_return", wh, [(it, 4)])
    assert r.number.startswith("SR-2026-") and r.lines[0].value == D(400)
    assert f.consumption_of(r) == [(first.id, D(4), D(400))]
    assert f.remaining(it, wh) == [(D(6), D(600)), (D(10), D(1200))]
    assert verify_stock(session) == []


def test_supplier_return_of_a_named_lot(session, it):
    wh = _stocked("fifo", it)
    first, second = f.lots(it, wh)
    r = f.doc("supplier_return", wh, [f.line(it, 3, lot_id=second.id)])
    assert r.lines[0].value == D(360)
    assert f.consumption_of(r) == [(second.id, D(3), D(360))]
    [move] = f.moves_of(r)
    assert move.lot_id == second.id
    assert f.remaining(it, wh) == [(D(10), D(1000)), (D(7), D(840))]
    assert verify_stock(session) == []


def test_supplier_return_of_a_named_lot_cannot_exceed_the_lot(session, it):
    wh = _stocked("fifo", it)
    _, second = f.lots(it, wh)
    d = f.doc("supplier_return", wh, [f.line(it, 11, lot_id=second.id)], post=False)
    before = f.row_counts()
    with pytest.raises(DomainError) as exc:
        f.post_document(session, d.id)
    [problem] = exc.value.problems
    assert (problem.line, problem.params["available"]) == (1, D(10))
    assert f.row_counts() == before
    assert verify_stock(session) == []


def test_supplier_return_average(session, it):
    wh = _stocked("average", it)
    assert f.doc("supplier_return", wh, [(it, 4)]).lines[0].value == D(440)
    assert f.balance(it, wh) == (D(16), D(1760))
    assert verify_stock(session) == []


# --- currency receipts -----------------------------------------------------------------------


@pytest.mark.parametrize("valuation", ["fifo", "average"])
def test_currency_receipt_is_valued_in_base_currency(session, it, valuation):
    wh = f.warehouse("MAIN", valuation)
    usd = f.currency("USD")
    # 10 x 12.34 USD x 90.5 = 11167.70
    r = f.receipt(wh, [(it, 10, "12.34")], currency_id=usd.id, rate="90.5")
    assert (r.currency_id, r.rate) == (usd.id, D("90.5"))
    assert r.lines[0].unit_cost == D("12.34") and r.lines[0].value == D("11167.70")
    assert f.balance(it, wh) == (D(10), D("11167.70"))
    if valuation == "fifo":
        [lot] = f.lots(it, wh)
        assert lot.unit_cost == D("1116.77")
    assert f.issue(wh, [(it, 3)]).lines[0].value == D("3350.31")
    assert verify_stock(session) == []


def test_currency_rate_keeps_eight_decimal_places(session, it):
    """Rates are stored with 8 places (CurrencyRate, StockDocument.rate): 3 x 33.33 x 1.23456789."""
    wh = f.warehouse()
    usd = f.currency("USD")
    r = f.receipt(wh, [(it, 3, "33.33")], currency_id=usd.id, rate="1.23456789")
    # 99.99 x 1.23456789 = 123.4444433211 -> 123.4444
    assert (r.rate, r.lines[0].value) == (D("1.23456789"), D("123.4444"))
    assert verify_stock(session) == []


def test_currency_rate_must_be_positive(session, it):
    wh = f.warehouse()
    usd = f.currency("USD")
    with pytest.raises(DomainError) as exc:
        f.receipt(wh, [(it, 3, "33.33")], currency_id=usd.id, rate="0")
    assert exc.value.messages() == ["The exchange rate must be positive"]


# --- unit conversions ------------------------------------------------------------------------


@pytest.mark.parametrize("valuation", ["fifo", "average"])
def test_lines_in_boxes_of_ten(session, it, valuation):
    wh = f.warehouse("MAIN", valuation)
    f.unit_conversion(it, "box", "10")
    # 2 boxes @ 250 a box = 20 pcs for 500, 25 a piece
    r = f.receipt(wh, [f.line(it, 2, 250, unit_code="box")])
    assert (r.lines[0].qty, r.lines[0].unit.code, r.lines[0].value) == (D(2), "box", D(500))
    assert f.balance(it, wh) == (D(20), D(500))
    if valuation == "fifo":
        assert [(lot.qty, lot.unit_cost) for lot in f.lots(it, wh)] == [(D(20), D(25))]
    # one box out is 10 pcs (250); then 5 pcs in the base unit (125)
    i = f.issue(wh, [f.line(it, 1, unit_code="box")])
    assert i.lines[0].value == D(250)
    assert [m.qty for m in f.moves_of(i)] == [D(-10)]
    assert f.issue(wh, [(it, 5)]).lines[0].value == D(125)
    # counted in boxes: 0.3 box is 3 pcs against 5 on the books, 2 missing at 25
    f.doc("count", wh, [f.line(it, "0.3", unit_code="box")])  # 3 pcs counted against 5
    assert f.balance(it, wh) == (D(3), D(75))
    assert verify_stock(session) == []


def test_fractional_conversion(session, it):
    wh = f.warehouse()
    f.unit_conversion(it, "dozen", "12")
    # 1.5 dozen @ 30 = 18 pcs for 45, 2.5 a piece
    f.receipt(wh, [f.line(it, "1.5", 30, unit_code="dozen")])
    assert f.balance(it, wh) == (D(18), D(45))
    assert f.issue(wh, [(it, 7)]).lines[0].value == D("17.5")
    assert verify_stock(session) == []


def test_a_unit_without_conversion_is_refused(session, it):
    wh = f.warehouse()
    f.unit("box")
    with pytest.raises(DomainError) as exc:
        f.receipt(wh, [(it, 1, 10), f.line(it, 2, 250, unit_code="box")])
    assert exc.value.messages() == ["Line 2: Unit box is not defined for BOLT"]
