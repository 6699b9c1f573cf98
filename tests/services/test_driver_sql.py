"""app/services/driver_sql.py: statements run on the driver's cursor behave as through session.execute."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import event, exc, select

from app.extensions import db
from app.models.core import DocumentSequence
from app.models.stock import StockBalance
from app.services import driver_sql
from app.services.stock import DocumentInput, LineInput, create_and_post_document
from app.services.stock.ledger_rows import _SELECT_BALANCES
from tests import factories as f


def test_listeners_values_and_errors_as_through_the_session(session):
    wh, it = f.warehouse("MAIN"), f.item("CPU")
    seen: list[str] = []

    def on_execute(conn, cursor, statement, params, context, executemany) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", on_execute)
    try:
        create_and_post_document(session, DocumentInput(
            doc_type="receipt", warehouse_id=wh.id, doc_date=date(2026, 10, 5),
            lines=[LineInput(it.id, "2.5", unit_cost="10.1234")]))
        rows = driver_sql.fetch(session, _SELECT_BALANCES[0], {"k_item": it.id, "k_wh": wh.id})
    finally:
        event.remove(db.engine, "before_cursor_execute", on_execute)
    # the counters see the driver's statements too (the balance read, the audit insert)
    assert any(s.startswith("INSERT INTO audit_log") for s in seen)
    assert seen[-1].startswith("SELECT stock_balance.id")
    # scaled money / quantities and dates come back converted, equal to the ORM's reading
    orm = session.scalar(select(StockBalance).where(StockBalance.item_id == it.id))
    assert rows[0][3:5] == (orm.qty, orm.value) == (Decimal("2.5"), Decimal("25.3085"))
    assert rows[0][7] == date(2026, 10, 5)
    session.rollback()
    # a driver error is SQLAlchemy's (callers catch IntegrityError), and a later statement runs again
    seq = {"doc_type": "x", "year": 2026, "prefix": "X", "padding": 5, "next_value": 1}
    with pytest.raises(exc.IntegrityError):
        driver_sql.execute_many(session, DocumentSequence.__table__.insert(), [seq, seq])
    session.rollback()
    assert driver_sql.fetch(session, select(DocumentSequence.__table__.c.id).where(
        DocumentSequence.__table__.c.doc_type == "x")) == []
    session.rollback()
