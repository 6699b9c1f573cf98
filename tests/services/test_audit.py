"""The audit log: what the writer records, and that nothing can rewrite it.

Changes are made the way users make them, through the Flask test client, and read back from
`audit_log`: who (username, user_id), when, from which address, which object, and each changed
field's value before and after (JSON). The database itself refuses UPDATE and DELETE on the table
(triggers, on SQLite and PostgreSQL); no page or API route edits or deletes it; Admin and Manager
browse and filter it; "My activity" shows each user their own actions only.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import ForeignKey, create_engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship

from app.extensions import db
from app.models.audit import AuditLog
from app.models.base import Audited, utcnow
from app.models.core import Currency, CurrencyRate, Unit
from app.services.base import Actor, acting_as

CURRENCY_FORM = {"code": "XTS", "name": "Test money", "symbol": "T", "decimals": "2", "active": "y"}


def _rows(entity: str, entity_id: object | None = None) -> list[AuditLog]:
    db.session.expire_all()
    query = select(AuditLog).where(AuditLog.entity == entity).order_by(AuditLog.id)
    if entity_id is not None:
        query = query.where(AuditLog.entity_id == str(entity_id))
    return list(db.session.scalars(query))


def _user_id(app, username: str) -> int:
    return app.appbuilder.sm.find_user(username=username).id


def _currency_id(code: str) -> int:
    db.session.expire_all()
    return db.session.scalar(select(Currency.id).where(Currency.code == code))


def _add_currency(client, code: str, name: str = "Test money") -> int:
    resp = client.post("/currencyview/add", data={**CURRENCY_FORM, "code": code, "name": name})
    assert resp.status_code == 302, resp.text[:500]
    return _currency_id(code)


def test_create_update_delete_through_the_pages_are_recorded(app, login_as):
    manager = login_as("Manager")
    before = utcnow()
    pk = _add_currency(manager, "XTS")
    resp = manager.post(f"/currencyview/edit/{pk}", data={**CURRENCY_FORM, "name": "Testing money"})
    assert resp.status_code == 302
    assert manager.post(f"/currencyview/delete/{pk}").status_code == 302
    after = utcnow()
    db.session.remove()
    assert db.session.get(Currency, pk) is None

    created, updated, deleted = _rows("Currency", pk)
    manager_id = _user_id(app, "manager")
    for row in (created, updated, deleted):
        assert (row.username, row.user_id, row.ip) == ("manager", manager_id, "127.0.0.1")
        assert before <= row.at <= after
    assert [r.action for r in (created, updated, deleted)] == ["create", "update", "delete"]
    assert json.loads(created.changes) == {
        "id": [None, pk], "code": [None, "XTS"], "name": [None, "Test money"], "name_ru": [None, ""],
        "name_es": [None, ""], "symbol": [None, "T"],
        "decimals": [None, 2], "active": [None, True],
    }
    assert json.loads(updated.changes) == {"name": ["Test money", "Testing money"]}
    assert json.loads(deleted.changes) == {
        "id": [pk, None], "code": ["XTS", None], "name": ["Testing money", None], "name_ru": ["", None],
        "name_es": ["", None], "symbol": ["T", None],
        "decimals": [2, None], "active": [True, None],
    }


def test_an_edit_that_changes_nothing_writes_no_row(login_as):
    manager = login_as("Manager")
    pk = _add_currency(manager, "XTS")
    assert manager.post(f"/currencyview/edit/{pk}", data=CURRENCY_FORM).status_code == 302
    assert [r.action for r in _rows("Currency", pk)] == ["create"]


def test_changing_a_related_record_is_recorded_as_its_key(login_as):
    manager = login_as("Manager")
    first, second = _add_currency(manager, "XAA"), _add_currency(manager, "XBB")
    form = {"currency": str(first), "on_date": "2026-03-01", "rate": "1.5"}
    assert manager.post("/currencyrateview/add", data=form).status_code == 302
    rate_id = db.session.scalar(select(CurrencyRate.id))
    resp = manager.post(f"/currencyrateview/edit/{rate_id}", data={**form, "currency": str(second)})
    assert resp.status_code == 302

    created, updated = _rows("CurrencyRate", rate_id)
    assert json.loads(created.changes)["currency_id"] == [None, first]
    assert updated.action == "update"
    assert json.loads(updated.changes) == {"currency_id": [first, second]}


def test_deleting_an_unloaded_object_records_its_values(session):
    with acting_as(Actor(7, "cli-user", "10.0.0.7")):
        session.add(Unit(code="box", name="Box", decimals=0))
        session.commit()  # expires the object: nothing is loaded when it is deleted below
        unit = session.scalars(select(Unit).where(Unit.code == "box")).one()
        session.expire(unit)
        session.delete(unit)
        session.commit()
    deleted = _rows("Unit")[-1]
    assert (deleted.action, deleted.user_id, deleted.username, deleted.ip) == ("delete", 7, "cli-user", "10.0.0.7")
    assert json.loads(deleted.changes)["code"] == ["box", None]
    assert json.loads(deleted.changes)["name"] == ["Box", None]


class _LocalBase(DeclarativeBase):
    """Models of this test only, on a database of their own."""


class _Order(_LocalBase):
    __tablename__ = "test_order"
    id: Mapped[int] = mapped_column(primary_key=True)
    lines: Mapped[list[_OrderLine]] = relationship(back_populates="order", cascade="all, delete-orphan")


class _OrderLine(Audited, _LocalBase):
    __tablename__ = "test_order_line"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("test_order.id"))
    name: Mapped[str]
    order: Mapped[_Order] = relationship(back_populates="lines")


def test_a_line_removed_from_its_document_is_logged_as_deleted(app):
    """Orphans are deleted by the flush itself and never appear in session.deleted."""
    engine = create_engine("sqlite://")
    AuditLog.__table__.create(engine)
    _LocalBase.metadata.create_all(engine)
    with Session(engine) as session, acting_as(Actor(3, "clerk")):
        order = _Order(lines=[_OrderLine(name="first"), _OrderLine(name="second")])
        session.add(order)
        session.commit()
        order = session.get(_Order, order.id)
        order.lines.remove(order.lines[0])
        session.commit()
        rows = session.scalars(select(AuditLog).order_by(AuditLog.id)).all()
    logged = [(r.action, r.entity, r.entity_id, json.loads(r.changes)["name"]) for r in rows]
    assert logged == [
        ("create", "_OrderLine", "1", [None, "first"]),
        ("create", "_OrderLine", "2", [None, "second"]),
        ("delete", "_OrderLine", "1", ["first", None]),
    ]


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_log SET username = 'forged'", "DELETE FROM audit_log"],
    ids=["update", "delete"],
)
def test_the_database_refuses_to_rewrite_the_log(login_as, statement):
    _add_currency(login_as("Manager"), "XTS")
    db.session.remove()  # no open transaction of ours while the raw connection writes
    with pytest.raises(DBAPIError, match="append-only"):
        with db.engine.begin() as conn:
            conn.execute(text(statement))
    rows = _rows("Currency")
    assert [r.username for r in rows] == ["manager"]


def test_no_page_or_api_route_edits_or_deletes_the_log(login_as):
    admin = login_as("Admin")
    _add_currency(admin, "XTS")
    row = _rows("Currency")[0]
    attempts = []
    for view in ("auditlogview", "myactivityview"):
        for path in (f"/{view}/edit/{row.id}", f"/{view}/delete/{row.id}", f"/{view}/add"):
            attempts += [("GET", path), ("POST", path)]
        attempts.append(("POST", f"/{view}/action_post"))
    attempts += [(m, f"/api/v1/auditlog/{row.id}") for m in ("PUT", "DELETE")]
    for method, path in attempts:
        status = admin.open(path, method=method, data={"username": "forged"}).status_code
        assert status in (403, 404, 405), f"{method} {path} -> {status}"
    assert [(r.id, r.username, r.changes) for r in _rows("Currency")] == [(row.id, "admin", row.changes)]


def _username_equal_filter(app) -> str:
    """The list's query argument for 'user equals' (FAB numbers each column's filters)."""
    view = next(v for v in app.appbuilder.baseviews if type(v).__name__ == "AuditLogView")
    with app.test_request_context():
        names = [type(f).__name__ for f in view._filters.get_search_filters()["username"]]
    return f"_flt_{names.index('FilterEqual')}_username"


@pytest.mark.parametrize("role", ["Admin", "Manager"])
def test_admin_and_manager_browse_and_filter_the_log(app, login_as, role):
    _add_currency(login_as("Manager"), "XMG", name="Made by manager")
    _add_currency(login_as("Economist"), "XEC", name="Made by economist")
    reader = login_as(role)
    page = reader.get("/auditlogview/list/")
    assert page.status_code == 200
    assert "XMG" in page.text and "XEC" in page.text
    filtered = reader.get(f"/auditlogview/list/?{_username_equal_filter(app)}=economist")
    assert filtered.status_code == 200
    assert "XEC" in filtered.text and "XMG" not in filtered.text
    row = _rows("Currency")[0]
    shown = reader.get(f"/auditlogview/show/{row.id}")
    assert shown.status_code == 200 and "Made by manager" in shown.text


def test_roles_without_audit_rights_cannot_browse_it(login_as):
    assert login_as("Sales").get("/auditlogview/list/").status_code == 403


def test_my_activity_shows_my_actions_and_nobody_elses(login_as):
    manager, economist, sales = login_as("Manager"), login_as("Economist"), login_as("Sales")
    _add_currency(manager, "XMG")
    _add_currency(economist, "XEC")
    mine = manager.get("/myactivityview/list/")
    assert mine.status_code == 200
    assert "XMG" in mine.text and "XEC" not in mine.text
    theirs = economist.get("/myactivityview/list/")
    assert "XEC" in theirs.text and "XMG" not in theirs.text
    nothing = sales.get("/myactivityview/list/")
    assert nothing.status_code == 200
    assert "XMG" not in nothing.text and "XEC" not in nothing.text
    managers_row = _rows("Currency")[0]
    assert managers_row.username == "manager"
    assert manager.get(f"/myactivityview/show/{managers_row.id}").status_code == 200
    assert economist.get(f"/myactivityview/show/{managers_row.id}").status_code == 404


def test_my_activity_export_has_only_my_rows(login_as):
    manager, economist = login_as("Manager"), login_as("Economist")
    _add_currency(manager, "XMG")
    _add_currency(economist, "XEC")
    export = economist.get("/myactivityview/export/csv")
    assert export.status_code == 200
    assert "XEC" in export.text and "XMG" not in export.text


def test_the_log_keeps_the_date_types_readable(session):
    """Dates and decimals are stored as text a person can read, not Python reprs."""
    with acting_as(Actor(None, "system")):
        eur = Currency(code="EUR", name="Euro")
        session.add(eur)
        session.flush()
        session.add(CurrencyRate(currency=eur, on_date=date(2026, 4, 1), rate="1.25"))
        session.commit()
    changes = json.loads(_rows("CurrencyRate")[-1].changes)
    assert changes["on_date"] == [None, "2026-04-01"]
    assert changes["rate"][1].startswith("1.25")
