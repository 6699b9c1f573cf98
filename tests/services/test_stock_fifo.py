"""FIFO warehouses through the services: cost layers, partial takes, transfers, exact to 0.0001.

Every figure is worked out by hand in the comment above it; each scenario ends with verify_stock,
the independent rebuild of the caches from the insert-only ledger.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from app.domain.errors import DomainError
from app.services.stock.verify import verify_stock
from tests import factories as f

D = Decimal
OCT = [date(2026, 10, d) for d in range(1, 32)]  # OCT[1] == 1 October


@pytest.fixture
def wh(session):
    return f.warehouse("MAIN", "fifo")


@pytest.fixture
def cpu(session):
    return f.item("CPU")


def _three_lots(wh, it):
    """The textbook: 10 @ 100, 5 @ 110, 10 @ 120, received on 1, 2 and 3 October."""
    return [f.receipt(wh, [(it, q, c)], on=OCT[d]) for d, (q, c) in enumerate(((10, 100), (5, 110), (10, 120)), 1)]


def test_receipts_at_several_prices_make_one_lot_each(session, wh, cpu):
    _three_lots(wh, cpu)
    assert f.remaining(cpu, wh) == [(D(10), D(1000)), (D(5), D(550)), (D(10), D(1200))]
    assert [lot.unit_cost for lot in f.lots(cpu, wh)] == [D(100), D(110), D(120)]
    assert f.balance(cpu, wh) == (D(25), D(2750))
    assert verify_stock(session) == []


def test_issue_takes_oldest_lots_first_and_records_consumption(session, wh, cpu):
    receipts = _three_lots(wh, cpu)
    first, second, third = f.lots(cpu, wh)
    # 12 = 10 @ 100 + 2 @ 110 = 1220
    i1 = f.issue(wh, [(cpu, 12)])
    assert i1.lines[0].value == D(1220)
    assert f.consumption_of(i1) == [(first.id, D(10), D(1000)), (second.id, D(2), D(220))]
    # 8 = 3 @ 110 + 5 @ 120 = 930
    i2 = f.issue(wh, [(cpu, 8)])
    assert i2.lines[0].value == D(930)
    assert f.consumption_of(i2) == [(second.id, D(3), D(330)), (third.id, D(5), D(600))]
    assert f.remaining(cpu, wh) == [(D(0), D(0)), (D(0), D(0)), (D(5), D(600))]
    assert f.balance(cpu, wh) == (D(5), D(600))
    moves = f.moves_of(i1)
    assert [(m.qty, m.value, m.kind) for m in moves] == [(D(-12), D(-1220), "issue")]
    assert i1.number.startswith("GI-2026-") and receipts[0].number.startswith("GR-2026-")
    assert verify_stock(session) == []


def test_back_dated_receipt_is_an_older_layer(session, wh, cpu):
    f.receipt(wh, [(cpu, 5, 200)], on=OCT[10])
    f.receipt(wh, [(cpu, 5, 100)], on=OCT[2])  # entered later, received earlier
    i = f.issue(wh, [(cpu, 6)])
    # 5 @ 100 (2 Oct) + 1 @ 200 (10 Oct)
    assert i.lines[0].value == D(700)
    assert verify_stock(session) == []


def test_partial_takes_of_a_lot_add_up_to_the_lot_exactly(session, wh, cpu):
    # 3 @ 33.3333 = 99.9999; halves round up to 16.6667, the last half takes what is left
    f.receipt(wh, [(cpu, 3, "33.3333")])
    values = [f.issue(wh, [(cpu, "0.5")]).lines[0].value for _ in range(6)]
    assert values == [D("16.6667")] * 5 + [D("16.6664")]
    assert sum(values) == D("99.9999")
    assert f.remaining(cpu, wh) == [(D(0), D(0))]
    assert f.balance(cpu, wh) == (D(0), D(0))
    assert verify_stock(session) == []


def test_takes_that_round_to_nothing_leave_the_value_to_the_last_take(session, wh, cpu):
    # 1 @ 0.0001: a take of 0.3 costs 0.00003 -> 0.0000; the take that empties the lot takes 0.0001
    f.receipt(wh, [(cpu, 1, "0.0001")])
    assert f.issue(wh, [(cpu, "0.3")]).lines[0].value == D(0)
    assert f.issue(wh, [(cpu, "0.7")]).lines[0].value == D("0.0001")
    assert f.remaining(cpu, wh) == [(D(0), D(0))]
    assert verify_stock(session) == []


def test_issue_of_several_lines_of_one_item_shares_the_layers(session, wh, cpu):
    _three_lots(wh, cpu)
    # line 1: 10 @ 100; line 2: 5 @ 110 + 1 @ 120
    i = f.issue(wh, [(cpu, 10), (cpu, 6)])
    assert [ln.value for ln in i.lines] == [D(1000), D(670)]
    assert f.balance(cpu, wh) == (D(9), D(1080))
    assert verify_stock(session) == []


def test_issue_beyond_stock_counts_every_line_of_the_document(session, wh, cpu):
    f.receipt(wh, [(cpu, 10, 100)])
    d = f.issue(wh, [(cpu, 6), (cpu, 6)], post=False)
    before = f.row_counts()
    with pytest.raises(DomainError) as exc:
        f.post_document(session, d.id)
    [problem] = exc.value.problems
    assert (problem.line, problem.params["requested"], problem.params["available"]) == (2, D(6), D(4))
    assert exc.value.messages()[0].startswith("Line 2: Insufficient stock of CPU CPU: requested 6")
    assert f.row_counts() == before
    assert f.balance(cpu, wh) == (D(10), D(1000))
    assert verify_stock(session) == []


def test_transfer_then_issue_keeps_cost_and_age(session, wh, cpu):
    dest = f.warehouse("SHOP", "fifo")
    f.receipt(wh, [(cpu, 2, 50)], on=OCT[1])
    f.receipt(wh, [(cpu, 2, 70)], on=OCT[5])
    # 3 = 2 @ 50 + 1 @ 70 = 170, in two lots that keep their receipt dates and origin
    t = f.doc("transfer", wh, [(cpu, 3)], dest_warehouse_id=dest.id, on=OCT[20])
    assert t.lines[0].value == D(170)
    assert f.balance(cpu, wh) == (D(1), D(70))
    assert f.balance(cpu, dest) == (D(3), D(170))
    src, dst = f.lots(cpu, wh), f.lots(cpu, dest)
    assert [(lot.received_on, lot.origin_lot_id, lot.qty, lot.value) for lot in dst] == [
        (OCT[1], src[0].id, D(2), D(100)), (OCT[5], src[1].id, D(1), D(70))]
    # a receipt in the destination dated before the transfer but after the lots' age comes later
    f.receipt(dest, [(cpu, 1, 10)], on=OCT[15])
    i = f.issue(dest, [(cpu, 3)])
    assert i.lines[0].value == D(170)
    assert f.balance(cpu, dest) == (D(1), D(10))
    kinds = sorted(m.kind for m in f.moves_of(t))
    assert kinds == ["transfer", "transfer_in", "transfer_in"]
    assert verify_stock(session) == []


def test_transfer_from_fifo_into_average(session, wh, cpu):
    shop = f.warehouse("SHOP", "average")
    f.receipt(wh, [(cpu, 2, 50)], on=OCT[1])
    f.receipt(wh, [(cpu, 2, 70)], on=OCT[5])
    f.doc("transfer", wh, [(cpu, 3)], dest_warehouse_id=shop.id)
    assert f.balance(cpu, shop) == (D(3), D(170))
    assert f.lots(cpu, shop) == []
    # the average is 170 / 3: one unit costs 56.6667, two are left at 113.3333
    assert f.issue(shop, [(cpu, 1)]).lines[0].value == D("56.6667")
    assert f.balance(cpu, shop) == (D(2), D("113.3333"))
    assert verify_stock(session) == []


def test_transfer_from_average_into_fifo_makes_one_lot_at_the_average(session, wh, cpu):
    shop = f.warehouse("SHOP", "average")
    f.receipt(shop, [(cpu, 10, 100)])
    f.receipt(shop, [(cpu, 10, 120)])
    # average 110: 5 leave at 550 and arrive as one lot dated on the transfer
    t = f.doc("transfer", shop, [(cpu, 5)], dest_warehouse_id=wh.id, on=date(2026, 11, 3))
    assert t.lines[0].value == D(550)
    [lot] = f.lots(cpu, wh)
    assert (lot.qty, lot.value, lot.unit_cost, lot.received_on) == (D(5), D(550), D(110), date(2026, 11, 3))
    assert f.balance(cpu, shop) == (D(15), D(1650))
    assert f.issue(wh, [(cpu, 2)]).lines[0].value == D(220)
    assert verify_stock(session) == []
