"""Concurrent posting on a real database (file SQLite by default, PostgreSQL with TEST_DATABASE_URL).

Threads start together at a Barrier; each opens its own app context and so its own db.session,
calls the service, and removes its session. Drafts and stock are prepared beforehand in the main
thread, whose transaction is committed first: on SQLite every transaction holds the write lock
(BEGIN IMMEDIATE), so an open one in the main thread would stall the workers.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.domain.errors import DomainError
from app.domain.workflow import MSG_NOT_ALLOWED
from app.extensions import db
from app.models.stock import StockBalance, StockDocument, StockMove, StockReservation
from app.services.base import unit_of_work
from app.services.stock import cancel_document, post_document, reserve
from app.services.stock.verify import verify_stock
from tests import factories as f

D = Decimal
JOIN_TIMEOUT = 300  # a safety net against a hung worker, not a timing assertion


def run_together(app, n: int, work: Callable[[int], object]) -> list[tuple[str, object]]:
    """Run work(0..n-1) in n threads released at once; ("ok", result) or ("refused", problems) each."""
    db.session.commit()  # end the main thread's transaction (and release SQLite's write lock)
    barrier = threading.Barrier(n)
    results: list[tuple[str, object]] = [("missing", None)] * n

    def worker(k: int) -> None:
        with app.app_context():
            try:
                barrier.wait()
                results[k] = ("ok", work(k))
            except DomainError as exc:
                results[k] = ("refused", exc.problems)
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below, with its type
                results[k] = ("crashed", repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(k,), name=f"poster-{k}") for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(JOIN_TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    assert not [r for r in results if r[0] in ("crashed", "missing")], results
    return results


def _post(doc_id: int) -> str:
    return post_document(db.session, doc_id).number


def test_twenty_issues_of_one_unit_against_ten(app, session):
    wh = f.warehouse("MAIN", "fifo")
    it = f.item("LAST")
    f.receipt(wh, [(it, 4, 10)])
    f.receipt(wh, [(it, 6, 12)])
    drafts = [f.issue(wh, [(it, 1)], post=False).id for _ in range(20)]

    results = run_together(app, 20, lambda k: _post(drafts[k]))

    kinds = Counter(kind for kind, _ in results)
    assert kinds == {"ok": 10, "refused": 10}
    for kind, problems in results:
        if kind == "refused":
            [problem] = problems
            assert problem.msgid.startswith("Insufficient stock")
            assert (problem.line, problem.params["requested"], problem.params["available"]) == (1, D(1), D(0))
            assert "available 0" in problem.render()
    numbers = [number for kind, number in results if kind == "ok"]
    assert len(set(numbers)) == 10
    assert f.balance(it, wh) == (D(0), D(0))
    assert all(lot.qty_remaining == 0 for lot in f.lots(it, wh))
    states = Counter(session.scalars(select(StockDocument.state).where(StockDocument.id.in_(drafts))))
    assert states == {"posted": 10, "draft": 10}
    # every unit left exactly once, at its own lot's cost
    issued = session.scalars(select(StockMove.value).where(StockMove.doc_id.in_(drafts))).all()
    assert sorted(issued) == [D(-12)] * 6 + [D(-10)] * 4
    assert verify_stock(session) == []


def test_same_document_posted_from_two_tabs(app, session):
    wh = f.warehouse("MAIN", "fifo")
    it = f.item("TAB")
    f.receipt(wh, [(it, 10, 7)])
    draft_id = f.issue(wh, [(it, 3), (it, 2)], post=False).id  # workers must not touch main-thread objects

    results = run_together(app, 2, lambda k: _post(draft_id))

    assert sorted(kind for kind, _ in results) == ["ok", "refused"]
    [problems] = [p for kind, p in results if kind == "refused"]
    [number] = [n for kind, n in results if kind == "ok"]
    [problem] = problems
    assert problem.msgid == MSG_NOT_ALLOWED
    assert (problem.params["number"], problem.params["state"], problem.params["action"]) == (number, "Posted",
                                                                                             "Posting")
    moves = session.scalars(select(StockMove).where(StockMove.doc_type == "issue", StockMove.doc_id == draft_id)).all()
    assert sorted(m.qty for m in moves) == [D(-3), D(-2)]
    assert f.balance(it, wh) == (D(5), D(35))
    assert verify_stock(session) == []


def _reserve(it_id: int, wh_id: int, order: int, qty: int) -> Decimal:
    with unit_of_work(db.session):
        return reserve(db.session, "sales_order", order, f"SO-{order}", it_id, wh_id, D(qty)).qty


@pytest.mark.parametrize(("threads", "qty", "winners"), [(2, 6, 1), (20, 1, 10)])
def test_reservations_racing_for_the_last_units(app, session, threads, qty, winners):
    wh = f.warehouse("MAIN", "fifo")
    it = f.item("SEAT")
    f.receipt(wh, [(it, 10, 50)])
    it_id, wh_id = it.id, wh.id

    results = run_together(app, threads, lambda k: _reserve(it_id, wh_id, k + 1, qty))

    assert Counter(kind for kind, _ in results) == {"ok": winners, "refused": threads - winners}
    for kind, problems in results:
        if kind == "refused":
            [problem] = problems
            assert problem.msgid.startswith("Cannot reserve")
            assert problem.params["available"] == D(10 - winners * qty)
    held = session.scalar(select(func.sum(StockReservation.qty)).where(StockReservation.item_id == it_id))
    bal = session.scalar(select(StockBalance).filter_by(item_id=it_id, warehouse_id=wh_id))
    assert held == bal.reserved == D(winners * qty)
    assert verify_stock(session) == []


def test_reservation_and_issue_racing_for_the_same_units(app, session):
    """Whichever commits first wins; the other sees the result: never both 8 reserved and 8 issued."""
    wh = f.warehouse("MAIN", "fifo")
    it = f.item("DESK")
    f.receipt(wh, [(it, 10, 50)])
    draft_id = f.issue(wh, [(it, 8)], post=False).id
    it_id, wh_id = it.id, wh.id

    results = run_together(app, 2, lambda k: _post(draft_id) if k == 0 else _reserve(it_id, wh_id, 1, 8))

    assert sorted(kind for kind, _ in results) == ["ok", "refused"]
    bal = session.scalar(select(StockBalance).filter_by(item_id=it_id, warehouse_id=wh_id))
    assert (bal.qty, bal.reserved) in ((D(2), D(0)), (D(10), D(8)))
    assert bal.qty - bal.reserved >= 0
    assert verify_stock(session) == []


def test_cancelling_a_receipt_while_its_goods_are_issued(app, session):
    """Either the receipt is cancelled and the issue finds nothing, or the issue wins and the
    receipt can no longer be cancelled: never both (a lot below zero) and never neither."""
    wh = f.warehouse("MAIN", "fifo")
    it = f.item("LAMP")
    receipt_id = f.receipt(wh, [(it, 5, 40)]).id
    issue_id = f.issue(wh, [(it, 5)], post=False).id

    results = run_together(app, 2, lambda k: cancel_document(db.session, receipt_id).state if k == 0
                           else _post(issue_id))

    assert sorted(kind for kind, _ in results) == ["ok", "refused"]
    cancelled, issued = results
    if cancelled[0] == "ok":
        assert issued[1][0].msgid.startswith("Insufficient stock")
    else:
        assert cancelled[1][0].msgid.startswith("The received goods have already been used")
    assert f.balance(it, wh) == (D(0), D(0))
    assert all(lot.qty_remaining == 0 for lot in f.lots(it, wh))
    assert verify_stock(session) == []


def test_concurrent_average_issues_lose_no_update(app, session):
    """An average warehouse refuses nothing, so 20 issues of 1 from 10 end at -10 at the right value."""
    wh = f.warehouse("SHOP", "average")
    it = f.item("GLUE")
    f.receipt(wh, [(it, 10, 30)])
    drafts = [f.issue(wh, [(it, 1)], post=False).id for _ in range(20)]

    results = run_together(app, 20, lambda k: _post(drafts[k]))

    assert Counter(kind for kind, _ in results) == {"ok": 20}
    # 10 at 30 from stock, 10 more beyond it at the last average 30
    assert f.balance(it, wh) == (D(-10), D(-300))
    assert verify_stock(session) == []


def test_concurrent_receipts_and_issues_keep_the_ledger_whole(app, session):
    wh = f.warehouse("MAIN", "fifo")
    it = f.item("MIX")
    f.receipt(wh, [(it, 3, 10)])
    receipts = [f.receipt(wh, [(it, 1, 20 + k)], post=False).id for k in range(8)]
    issues = [f.issue(wh, [(it, 2)], post=False).id for _ in range(8)]
    drafts = receipts + issues

    results = run_together(app, len(drafts), lambda k: _post(drafts[k]))

    assert all(kind == "ok" for kind, _ in results[:8])
    issued = sum(1 for kind, _ in results[8:] if kind == "ok")
    assert 1 <= issued <= 5  # 3 + 8 on hand at most; each issue takes 2
    qty, _ = f.balance(it, wh)
    assert qty == D(3 + 8 - 2 * issued) and qty >= 0
    assert all(lot.qty_remaining >= 0 for lot in f.lots(it, wh))
    assert verify_stock(session) == []
