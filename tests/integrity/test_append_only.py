"""The append-only tables (audit log, stock ledger, calculator versions and runs) cannot be emptied.

UPDATE and DELETE were already refused by row triggers (tests/services/test_audit.py); TRUNCATE
fires no row trigger, so on PostgreSQL a statement trigger refuses it too, also when it arrives by
CASCADE from a table the ledger references. SQLite has no TRUNCATE: its `DELETE FROM t` fires the
row trigger.
"""

from __future__ import annotations

import pytest
from flask_appbuilder import Model
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from app.extensions import db
from app.models.audit import AuditLog
from app.models.core import Currency
from app.services.base import unit_of_work

APPEND_ONLY = sorted(t.name for t in Model.metadata.sorted_tables if t.info.get("append_only"))


@pytest.fixture
def logged(app, session, is_postgres) -> int:
    """One audit row, committed; the count of audit rows."""
    if not is_postgres:
        pytest.skip("SQLite has no TRUNCATE")
    with unit_of_work(session):
        session.add(Currency(code="XTS", name="Test"))
    count = session.scalar(select(func.count()).select_from(AuditLog))
    db.session.remove()  # no open transaction of ours while the raw connection writes
    assert count >= 1
    return count


def test_the_ledger_and_the_log_are_append_only():
    assert {"audit_log", "stock_move", "lot_consumption"} <= set(APPEND_ONLY)


@pytest.mark.parametrize("statement", [f'TRUNCATE "{t}" CASCADE' for t in APPEND_ONLY]
                         + ['TRUNCATE "item" CASCADE', 'TRUNCATE "audit_log" RESTART IDENTITY'])
def test_truncate_is_refused(logged, statement):
    with pytest.raises(DBAPIError, match="append-only"):
        with db.engine.begin() as conn:
            conn.execute(text(statement))
    assert db.session.scalar(select(func.count()).select_from(AuditLog)) == logged
