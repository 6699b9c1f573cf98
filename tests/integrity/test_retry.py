"""Deadlocks and serialization failures: the edge retries the whole use case, then answers "busy".

A use case is one transaction, so when the database gives up on it (deadlock, serialization failure)
nothing of it was kept and running it again from the start is safe. Real deadlocks are provoked on
PostgreSQL with two threads locking two rows in opposite orders; the retry logic itself and the
503 answer are checked on either database.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from app.extensions import db
from app.models.core import Unit
from app.services.base import MSG_BUSY, Busy, run_use_case
from tests.api.test_stock_api import token
from tests.services.test_stock_concurrency import run_together


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


def _failure(sqlstate: str) -> OperationalError:
    return OperationalError("UPDATE something", {}, _PgError(sqlstate))


def test_a_deadlocked_use_case_runs_again_from_the_start_and_keeps_only_its_last_run(app):
    calls = []

    def use_case() -> str:
        calls.append(1)
        db.session.add(Unit(code=f"try{len(calls)}", name="attempt"))
        db.session.flush()
        if len(calls) < 3:
            raise _failure("40P01" if len(calls) == 1 else "40001")
        return "done"

    assert run_use_case(db.session, use_case) == "done"
    assert len(calls) == 3
    kept = set(db.session.scalars(select(Unit.code).where(Unit.name == "attempt")))
    assert kept == {"try3"}  # the failed attempts left nothing


def test_a_use_case_the_database_keeps_refusing_ends_busy(app):
    calls = []

    def use_case() -> None:
        calls.append(1)
        raise _failure("40001")

    with pytest.raises(Busy) as exc:
        run_use_case(db.session, use_case, attempts=3)
    assert len(calls) == 3 and exc.value.messages() == [MSG_BUSY]


def test_other_database_errors_are_not_retried(app):
    calls = []

    def use_case() -> None:
        calls.append(1)
        raise _failure("23505")  # a unique violation is a bug or bad input, not a race

    with pytest.raises(OperationalError):
        run_use_case(db.session, use_case)
    assert len(calls) == 1


def test_the_api_answers_busy_as_json_503_with_retry_after(app, client, monkeypatch):
    from tests import factories as f

    doc = f.receipt(f.warehouse(), [(f.item("BOLT"), 1, "2")], post=False)
    headers = token(client, "Warehouse")

    def busy(session, use_case):
        raise Busy()

    monkeypatch.setattr("app.api.base.run_use_case", busy)
    resp = client.post(f"/api/v1/stock_document/{doc.id}/post", headers=headers)
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "1"
    assert resp.json["errors"] == [{"message": MSG_BUSY, "field": None, "line": None}]


def test_two_use_cases_that_deadlock_both_finish_on_postgresql(app, session, is_postgres):
    if not is_postgres:
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE: no deadlock to provoke")
    a, b = Unit(code="A", name="a"), Unit(code="B", name="b")
    session.add_all([a, b])
    session.commit()
    ids = (a.id, b.id)
    both_hold_one = threading.Barrier(2)
    attempts = [0, 0]

    def crosswise(k: int) -> str:
        def use_case() -> str:
            attempts[k] += 1
            first, second = ids if k == 0 else ids[::-1]
            db.session.scalar(select(Unit).where(Unit.id == first).with_for_update())
            if attempts[k] == 1:
                try:
                    both_hold_one.wait(5)
                except threading.BrokenBarrierError:
                    pass
            row = db.session.scalar(select(Unit).where(Unit.id == second).with_for_update())
            row.name = f"{row.name}+{k}"
            return row.code

        return run_use_case(db.session, use_case)

    results = run_together(app, 2, crosswise)
    assert sorted(r for _, r in results) == ["A", "B"]
    assert sum(attempts) == 3  # PostgreSQL broke the deadlock by failing one; it ran again and went through
    session.expire_all()
    names = {u.code: u.name for u in session.scalars(select(Unit).where(Unit.id.in_(ids)))}
    assert names == {"A": "a+1", "B": "b+0"}
