"""Reservations: what is held for one document cannot be issued by another; the holder can issue it.

MoveRequest.reservation is used by later services (shipments); here it is exercised through
ledger.post_moves directly, the reservation itself through app.services.stock.reservations.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.domain import move_kinds
from app.domain.errors import DomainError
from app.models.stock import StockBalance, StockReservation
from app.services.base import unit_of_work
from app.services.stock import DocRef, MoveRequest, post_moves, release, reserve
from app.services.stock.verify import verify_stock
from tests import factories as f

D = Decimal
ORDER = ("sales_order", 1)
OTHER_ORDER = ("sales_order", 2)


@pytest.fixture
def it(session):
    return f.item("CHAIR")


def _stocked(valuation: str, it, qty: int = 10):
    wh = f.warehouse("MAIN", valuation)
    f.receipt(wh, [(it, qty, 100)])
    return wh


def _reserve(session, it, wh, qty, holder=ORDER):
    with unit_of_work(session):
        return reserve(session, holder[0], holder[1], f"SO-{holder[1]}", it.id, wh.id, D(qty), label=it.code)


def _ship(session, it, wh, qty, holder=ORDER, number="SH-1"):
    """A shipment of the holder's order: what later services will do with MoveRequest.reservation."""
    with unit_of_work(session):
        return post_moves(session, DocRef("shipment", holder[1], number, date(2026, 11, 2)),
                          [MoveRequest(it.id, wh.id, D(-qty), reservation=holder, kind=move_kinds.SALE, line_no=1)])


def _reserved(session, it, wh) -> tuple[Decimal, Decimal]:
    """(reserved on the balance row, sum of the open reservation rows)."""
    bal = session.scalar(select(StockBalance).filter_by(item_id=it.id, warehouse_id=wh.id))
    rows = session.scalars(select(StockReservation.qty).filter_by(item_id=it.id, warehouse_id=wh.id)).all()
    return bal.reserved, sum(rows, D(0))


def test_reserved_part_cannot_be_issued_by_another_document(session, it):
    wh = _stocked("fifo", it)
    _reserve(session, it, wh, 6)
    assert _reserved(session, it, wh) == (D(6), D(6))
    d = f.issue(wh, [(it, 5)], post=False)
    before = f.row_counts()
    with pytest.raises(DomainError) as exc:
        f.post_document(session, d.id)
    [problem] = exc.value.problems
    assert (problem.line, problem.params["requested"], problem.params["available"]) == (1, D(5), D(4))
    assert f.row_counts() == before
    f.issue(wh, [(it, 4)])  # the free part goes
    assert f.balance(it, wh) == (D(6), D(600))
    assert verify_stock(session) == []


def test_holder_issues_its_reservation(session, it):
    wh = _stocked("fifo", it)
    _reserve(session, it, wh, 6)
    f.issue(wh, [(it, 4)])
    [posted] = _ship(session, it, wh, 6)
    assert (posted.move.qty, posted.move.value) == (D(-6), D(-600))
    assert f.balance(it, wh) == (D(0), D(0))
    assert _reserved(session, it, wh) == (D(0), D(0))
    assert verify_stock(session) == []


def test_holder_may_take_more_than_reserved_only_from_the_free_part(session, it):
    wh = _stocked("fifo", it)
    _reserve(session, it, wh, 5, ORDER)
    _reserve(session, it, wh, 3, OTHER_ORDER)
    # ORDER may take its 5 and the 2 free ones, not the 3 held for OTHER_ORDER
    with pytest.raises(DomainError) as exc:
        _ship(session, it, wh, 8)
    assert exc.value.problems[0].params["available"] == D(7)
    assert _reserved(session, it, wh) == (D(8), D(8))
    _ship(session, it, wh, 7)
    assert _reserved(session, it, wh) == (D(3), D(3))
    with pytest.raises(DomainError):
        f.issue(wh, [(it, 1)])
    assert f.balance(it, wh) == (D(3), D(300))
    assert verify_stock(session) == []


def test_cannot_reserve_beyond_what_is_free(session, it):
    wh = _stocked("fifo", it)
    _reserve(session, it, wh, 6)
    with pytest.raises(DomainError) as exc:
        _reserve(session, it, wh, 5, OTHER_ORDER)
    assert exc.value.problems[0].params == {"requested": D(5), "item": "CHAIR", "available": D(4)}
    for bad in ("0", "-1", "NaN", "Infinity"):
        with pytest.raises(DomainError, match="Quantity must be positive"):
            _reserve(session, it, wh, D(bad), OTHER_ORDER)
    assert _reserved(session, it, wh) == (D(6), D(6))
    assert verify_stock(session) == []


def test_release_gives_the_goods_back(session, it):
    wh = _stocked("fifo", it)
    _reserve(session, it, wh, 6)
    with unit_of_work(session):
        assert release(session, *ORDER) == D(6)
    assert _reserved(session, it, wh) == (D(0), D(0))
    f.issue(wh, [(it, 10)])
    with unit_of_work(session):
        assert release(session, *ORDER) == D(0)
    assert verify_stock(session) == []


def test_named_lot_return_cannot_take_reserved_goods(session, it):
    """A return to supplier of a named lot is an issue like any other: the reserved part stays."""
    wh = _stocked("fifo", it, 5)
    f.receipt(wh, [(it, 5, 120)])
    _, second = f.lots(it, wh)
    _reserve(session, it, wh, 8)
    d = f.doc("supplier_return", wh, [f.line(it, 3, lot_id=second.id)], post=False)
    with pytest.raises(DomainError) as exc:
        f.post_document(session, d.id)
    [problem] = exc.value.problems
    assert (problem.line, problem.params["available"]) == (1, D(2))
    f.doc("supplier_return", wh, [f.line(it, 2, lot_id=second.id)])
    assert f.remaining(it, wh) == [(D(5), D(500)), (D(3), D(360))]
    assert verify_stock(session) == []


def test_average_warehouse_holder_issue_uses_up_its_reservation(session, it):
    wh = _stocked("average", it)
    _reserve(session, it, wh, 6)
    [posted] = _ship(session, it, wh, 6)
    assert posted.move.value == D(-600)
    assert _reserved(session, it, wh) == (D(0), D(0))
    # the 4 left are free again to reserve
    _reserve(session, it, wh, 4, OTHER_ORDER)
    assert verify_stock(session) == []
