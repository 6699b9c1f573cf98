"""Health, readiness and the JSON request log (app/ops.py)."""

from __future__ import annotations

import json
import logging

from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from app import ops


def _stamp(session, revision: str | None) -> None:
    session.execute(text("CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL)"))
    session.execute(text("DELETE FROM alembic_version"))
    if revision:
        session.execute(text("INSERT INTO alembic_version (version_num) VALUES (:r)"), {"r": revision})
    session.commit()


def test_health_answers_without_a_sign_in(client):
    resp = client.get("/health")
    assert resp.status_code == 200 and resp.get_json() == {"status": "up"}
    assert "Set-Cookie" not in resp.headers


def test_ready_when_the_schema_is_at_the_head_of_the_migrations(client, session):
    [head] = ops.migration_heads()
    _stamp(session, head)
    resp = client.get("/ready")
    assert resp.status_code == 200 and resp.get_json() == {"status": "ready"}


def test_not_ready_on_an_unmigrated_database(client, session):
    _stamp(session, None)
    resp = client.get("/ready")
    assert resp.status_code == 503
    assert "flask db upgrade" in resp.get_json()["problems"][0]


def test_not_ready_while_the_database_is_down_and_ready_after(client, session, monkeypatch):
    [head] = ops.migration_heads()
    _stamp(session, head)
    real = ops._current_revisions

    def down(_conn):
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("refused"))

    monkeypatch.setattr(ops, "_current_revisions", down)
    resp = client.get("/ready")
    assert resp.status_code == 503 and resp.get_json()["problems"] == ["database unreachable: ConnectionRefusedError"]
    monkeypatch.setattr(ops, "_current_revisions", real)
    assert client.get("/ready").status_code == 200


def test_one_json_line_per_request_with_user_status_and_statements(tmp_path, caplog):
    from tests.views.isolated_app import build_app, database_url, dispose

    flask_app = build_app(database_url(str(tmp_path / "ops.db")), JSON_LOGS=True)
    try:
        ops.request_log.propagate = True
        with caplog.at_level(logging.INFO, logger="fabrika.request"):
            flask_app.test_client().get("/login/")
            flask_app.test_client().get("/health")
        lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "fabrika.request"]
        login = next(x for x in lines if x["path"] == "/login/")
        assert (login["user"], login["method"], login["status"]) == (None, "GET", 200)
        assert login["statements"] > 0 and login["ms"] > 0
        assert next(x for x in lines if x["path"] == "/health")["statements"] == 0
    finally:
        ops.request_log.propagate = False
        dispose(flask_app)
