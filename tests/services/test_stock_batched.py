"""Posting's batched writes (app/services/stock/ledger_rows.py) keep every guarantee of the ORM path.

The ledger writes lots, moves and consumption with one executemany per table and ids it
allocates itself; documents are created and marked posted without the unit of work. These tests
pin what that must not change: FIFO order of lots received together, the audit rows, the ORM
objects a caller holds, and the statement count of a post not growing with its lines.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from sqlalchemy import event, select
from sqlalchemy.dialects import sqlite

from app.domain import move_kinds
from app.extensions import db
from app.models.audit import AuditLog
from app.models.stock import StockBalance, StockLot, StockMove
from app.models.types import Money, Quantity, Rate
from app.services.base import Actor, acting_as
from app.services.stock import DocRef, MoveRequest, post_moves, reserve
from app.services.stock.ledger_rows import allocate_ids
from app.services.stock.verify import verify_stock
from tests import factories as f

D = Decimal
ON = date(2026, 11, 3)


def test_lots_received_on_one_document_are_taken_in_line_order(session):
    wh, cpu = f.warehouse("MAIN", "fifo"), f.item("CPU")
    # one receipt, three lines of the same item, same day: 4 @ 10, 3 @ 20, 5 @ 30 (ids allocated in a batch)
    f.receipt(wh, [(cpu, 4, "10"), (cpu, 3, "20"), (cpu, 5, "30")], on=ON)
    lots = f.lots(cpu, wh)
    assert [lot.id for lot in lots] == sorted(lot.id for lot in lots)
    assert [(lot.qty, lot.unit_cost) for lot in lots] == [(D(4), D(10)), (D(3), D(20)), (D(5), D(30))]
    # 6 = 4 @ 10 + 2 @ 20 = 80: the first line's lot goes first
    out = f.issue(wh, [(cpu, 6)], on=ON)
    assert out.lines[0].value == D(80)
    assert f.consumption_of(out) == [(lots[0].id, D(4), D(40)), (lots[1].id, D(2), D(40))]
    assert f.remaining(cpu, wh) == [(D(0), D(0)), (D(1), D(20)), (D(5), D(150))]
    moves = f.moves_of(out)
    assert [m.id for m in moves] == sorted(m.id for m in moves)
    assert verify_stock(session) == []


def test_many_line_documents_post_every_line_with_its_own_lot(session):
    wh = f.warehouse("MAIN", "fifo")
    items = [f.item(f"P{n:02d}") for n in range(12)]
    doc = f.receipt(wh, [(it, n + 1, f"{n + 1}.25") for n, it in enumerate(items)], on=ON)
    moves = f.moves_of(doc)
    # line n: n + 1 units at (n + 1).25 each
    assert [(m.item_id, m.qty, m.value) for m in moves] == [
        (it.id, D(n + 1), D(n + 1) * D(f"{n + 1}.25")) for n, it in enumerate(items)]
    assert all(m.lot_id is not None for m in moves)
    assert len({m.lot_id for m in moves}) == 12
    issued = f.issue(wh, [(it, 1) for it in items], on=ON)
    assert [ln.value for ln in issued.lines] == [D(f"{n + 1}.25") for n in range(12)]
    assert verify_stock(session) == []


def _audit_rows(entity: str) -> list[tuple]:
    return [(r.action, r.entity_id, r.summary, json.loads(r.changes), r.username)
            for r in db.session.scalars(select(AuditLog).where(AuditLog.entity == entity).order_by(AuditLog.id))]


def test_create_and_post_leave_the_audit_rows_the_unit_of_work_wrote(session):
    wh, cpu = f.warehouse("MAIN", "fifo"), f.item("CPU", "Processor")
    with acting_as(Actor(None, "keeper")):
        doc = f.receipt(wh, [(cpu, 2, "10.50")], on=ON, partner_name="Chip & Co")
    (create, post) = _audit_rows("StockDocument")
    # a draft has no number yet: its title would say nothing, so the row has none (audit titles)
    assert create[:3] == ("create", str(doc.id), "")
    assert create[4] == "keeper"
    changes = create[3]
    assert {k: v for k, v in changes.items() if k not in ("created_at",)} == {
        "id": [None, doc.id], "doc_type": [None, "receipt"], "doc_date": [None, "2026-11-03"],
        "state": [None, "draft"], "warehouse_id": [None, wh.id], "partner_name": [None, "Chip & Co"],
        "reason": [None, ""], "note": [None, ""], "source_ref": [None, ""], "posted_by": [None, ""],
        "cancelled_by": [None, ""]}
    assert changes["created_at"][0] is None and changes["created_at"][1].startswith("20")
    assert post[:3] == ("post", str(doc.id), doc.number)
    assert post[3]["number"] == [None, doc.number]
    assert post[3]["state"] == ["draft", "posted"]
    assert post[3]["posted_by"] == ["", "keeper"]
    assert post[3]["posted_at"][1] == doc.posted_at.isoformat()
    assert set(post[3]) == {"number", "state", "posted_at", "posted_by"}
    (line,) = _audit_rows("StockDocumentLine")
    line_id = doc.lines[0].id
    assert line[:3] == ("create", str(line_id), "#1 CPU")  # the draft's line: position and item
    assert line[3] == {"id": [None, line_id], "document_id": [None, doc.id], "line_no": [None, 1],
                       "item_id": [None, cpu.id], "unit_id": [None, cpu.unit_id], "qty": [None, "2"],
                       "unit_cost": [None, "10.50"], "note": [None, ""]}


def test_a_created_document_reads_back_without_a_query(session):
    wh, cpu = f.warehouse("MAIN", "fifo"), f.item("CPU")
    doc = f.receipt(wh, [(cpu, 1, "5")], on=ON, post=False)
    statements: list[str] = []

    def count(conn, cursor, statement, params, context, executemany) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        values = (doc.id > 0, doc.state, doc.doc_date, doc.number, doc.warehouse_id)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert values == (True, "draft", ON, None, wh.id)
    assert statements == []
    assert [(ln.line_no, ln.qty, ln.unit_cost) for ln in doc.lines] == [(1, D(1), D(5))]


def test_posted_moves_are_persistent_rows_and_loaded_caches_follow(session):
    wh, cpu = f.warehouse("MAIN", "fifo"), f.item("CPU")
    f.receipt(wh, [(cpu, 10, "100")], on=ON)
    with acting_as(Actor(None, "seller")):
        reserve(session, "shipment", 7, "SH-7", cpu.id, wh.id, D(4))
        bal = session.scalar(select(StockBalance).where(StockBalance.item_id == cpu.id))
        lot = session.scalar(select(StockLot).where(StockLot.item_id == cpu.id))
        (pm,) = post_moves(session, DocRef("shipment", 7, "SH-7", ON),
                           [MoveRequest(cpu.id, wh.id, D(-4), reservation=("shipment", 7), kind=move_kinds.SALE)])
        # objects the caller already held show what posting wrote, in the same transaction
        assert (bal.qty, bal.value, bal.reserved, bal.last_move_date) == (D(6), D(600), D(0), ON)
        assert (lot.qty_remaining, lot.value_remaining) == (D(6), D(600))
        assert pm.value == D(-400) and pm.allocations == [(lot.id, D(4), D(400))]
        move = pm.move
        assert session.get(StockMove, move.id) is move
        assert (move.qty, move.value, move.kind, move.username, move.item.code) == (
            D(-4), D(-400), move_kinds.SALE, "seller", "CPU")
        session.commit()
    row = session.get(StockMove, move.id)
    assert (row.qty, row.value, row.doc_number, row.lot_id) == (D(-4), D(-400), "SH-7", None)
    assert verify_stock(session) == []


def _post_statements(session, wh, items, doc_type: str) -> int:
    lines = [(it, 1, "2") for it in items] if doc_type == "receipt" else [(it, 1) for it in items]
    doc = f.doc(doc_type, wh, lines, on=ON, post=False)
    statements: list[str] = []

    def count(conn, cursor, statement, params, context, executemany) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        from app.services.stock import post_document

        post_document(session, doc.id)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(statements)


def test_statements_per_post_do_not_grow_with_the_lines(session):
    wh = f.warehouse("MAIN", "fifo")
    items = [f.item(f"P{n:02d}") for n in range(25)]
    f.receipt(wh, [(it, 100, "1") for it in items], on=ON)  # every balance row exists from here on
    f.issue(wh, [(items[0], 1)], on=ON)  # and both years' counters
    two_in = _post_statements(session, wh, items[:2], "receipt")
    many_in = _post_statements(session, wh, items, "receipt")
    two_out = _post_statements(session, wh, items[:2], "issue")
    many_out = _post_statements(session, wh, items, "issue")
    assert many_in == two_in and many_out == two_out
    assert verify_stock(session) == []


def test_allocated_ids_follow_the_table_and_ascend(session):
    wh, cpu = f.warehouse("MAIN", "fifo"), f.item("CPU")
    f.receipt(wh, [(cpu, 1, "1"), (cpu, 1, "1")], on=ON)
    top = session.scalar(select(StockMove.id).order_by(StockMove.id.desc()).limit(1))
    ids = allocate_ids(session, {"stock_move": 3, "stock_lot": 0})
    assert ids["stock_lot"] == []
    assert len(ids["stock_move"]) == 3 and ids["stock_move"] == sorted(ids["stock_move"])
    assert min(ids["stock_move"]) > top
    session.rollback()


def test_scaled_columns_read_back_the_same_decimal_on_sqlite():
    dialect = sqlite.dialect()
    for column_type in (Money(), Quantity(), Rate()):
        impl = column_type.dialect_impl(dialect)
        fast = impl.result_processor(dialect, None)
        for stored in (0, 1, -1, 15, 1_500_000, -123_456_789_012_345_678, 999_999_999_999_999_999, 7.0, None):
            expected = column_type.process_result_value(stored, dialect)
            got = fast(stored)
            assert got == expected and str(got) == str(expected), (column_type, stored, got, expected)
