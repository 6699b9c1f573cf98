"""create_and_post_document: one transaction that writes what create_document + post_document write,
with fewer statements; refused whole when the posting is refused."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from app.domain.errors import DomainError
from app.extensions import db
from app.models.audit import AuditLog
from app.services.stock import DocumentInput, LineInput, create_and_post_document, create_document, post_document
from app.services.stock.verify import verify_stock
from tests import factories as f

D = Decimal
DAY = date(2026, 10, 5)


def _input(doc_type: str, wh, it, qty: int, cost: str | None = None) -> DocumentInput:
    return DocumentInput(doc_type=doc_type, warehouse_id=wh.id, doc_date=DAY, reason="test",
                         lines=[LineInput(it.id, str(qty), unit_cost=cost)])


def _counted(fn):
    log: list[str] = []

    def on_execute(conn, cursor, statement, params, context, executemany) -> None:
        log.append(statement)

    event.listen(db.engine, "before_cursor_execute", on_execute)
    try:
        return fn(), log
    finally:
        event.remove(db.engine, "before_cursor_execute", on_execute)


@pytest.mark.parametrize("valuation", ["fifo", "average"])
def test_the_same_ledger_as_create_then_post_with_fewer_statements(session, valuation):
    a, b = f.warehouse("A", valuation), f.warehouse("B", valuation)
    it = f.item("CPU")
    apart = []
    for wh, together in ((a, False), (b, True)):
        for doc_type, qty, cost in (("receipt", 10, "100"), ("receipt", 5, "130"), ("issue", 12, None)):
            data = _input(doc_type, wh, it, qty, cost)
            if together:
                doc, log = _counted(lambda data=data: create_and_post_document(session, data))
                assert len(log) < apart.pop(0), doc_type
                # the row goes in already posted: no UPDATE of the document after its INSERT
                assert not [s for s in log if s.startswith("UPDATE stock_document ")]
            else:
                doc, log = _counted(lambda data=data: post_document(session, create_document(session, data).id))
                apart.append(len(log))
            assert (doc.state, doc.number) == ("posted", session.get(type(doc), doc.id).number)
            assert doc.number and doc.lines[0].value == abs(sum(m.value for m in f.moves_of(doc)))
    assert f.balance(it, a) == f.balance(it, b) == (D(3), D(390) if valuation == "fifo" else D(330))
    assert verify_stock(session) == []


def test_created_and_posted_are_both_in_the_audit_log(session):
    wh, it = f.warehouse("MAIN"), f.item("CPU")
    doc = create_and_post_document(session, _input("receipt", wh, it, 4, "25"))
    rows = session.execute(select(AuditLog.action, AuditLog.entity).where(
        AuditLog.entity.in_(("StockDocument", "StockDocumentLine"))).order_by(AuditLog.id)).all()
    assert [tuple(r) for r in rows] == [("create", "StockDocument"), ("create", "StockDocumentLine"),
                                        ("post", "StockDocument")]
    post = session.scalar(select(AuditLog).where(AuditLog.action == "post"))
    assert post.entity_id == str(doc.id) and "posted" in post.changes and doc.number in post.summary
    # the same two rows as create + post: the draft as created, then what posting changed
    created = session.scalar(select(AuditLog).where(AuditLog.action == "create", AuditLog.entity == "StockDocument"))
    assert json.loads(created.changes)["state"] == [None, "draft"] and "number" not in json.loads(created.changes)
    assert json.loads(post.changes)["state"] == ["draft", "posted"]
    assert json.loads(post.changes)["number"] == [None, doc.number]


def test_a_refused_posting_writes_nothing(session):
    wh, it = f.warehouse("MAIN"), f.item("CPU")
    f.receipt(wh, [(it, 2, 10)], on=DAY)
    before, audits = f.row_counts(), session.scalar(select(AuditLog.id).order_by(AuditLog.id.desc()).limit(1))
    with pytest.raises(DomainError):
        create_and_post_document(session, _input("issue", wh, it, 3))  # more than on hand
    session.rollback()
    assert f.row_counts() == before
    assert session.scalar(select(AuditLog.id).order_by(AuditLog.id.desc()).limit(1)) == audits
