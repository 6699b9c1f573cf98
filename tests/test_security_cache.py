"""The roles' rights kept per process under the security stamp (app/security.py, app/security_stamp.py):
one security statement a page, and every change of rights or users still holds on the next request."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db
from app.permissions import ACTION_READ, RESOURCE_PARTNER, perm
from app.security_stamp import read_version
from tests.conftest import ROLE_PASSWORD

# what FAB reads to know who asks and what they may do (a list's own join to ab_user is not counted)
_SECURITY_TABLES = ("security_stamp", "ab_permission", "ab_user_role", "ab_user_group", "FROM ab_role")


def _security_statements(client, url: str, **kw) -> tuple[int, list[str]]:
    """(status, the statements of the request that read users, roles, rights or the stamp)."""
    log: list[str] = []

    def on_execute(conn, cursor, statement, *args) -> None:
        if any(name in statement for name in _SECURITY_TABLES):
            log.append(statement)

    event.listen(db.engine, "before_cursor_execute", on_execute)
    try:
        status = client.get(url, **kw).status_code
    finally:
        event.remove(db.engine, "before_cursor_execute", on_execute)
    return status, log


def test_a_page_loads_user_roles_and_stamp_in_one_statement(login_as):
    warehouse = login_as("Warehouse")
    warehouse.get("/stock/on-hand/")
    status, statements = _security_statements(warehouse, "/stock/on-hand/")
    assert status == 200
    assert len(statements) == 1 and "security_stamp" in statements[0] and "ab_role" in statements[0]


def test_an_api_call_sends_two_and_a_revoked_right_is_refused_on_the_next_call(app, client):
    token = client.post("/api/v1/security/login", json={"username": "sales", "password": ROLE_PASSWORD,
                                                        "provider": "db"}).get_json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/partner/", headers=bearer).status_code == 200
    status, statements = _security_statements(client, "/api/v1/partner/", headers=bearer)
    assert status == 200 and len(statements) == 2  # the stamp (public check), the user with roles
    read = (perm(ACTION_READ), RESOURCE_PARTNER)
    _grant(app, "Sales", read, give=False)  # as another worker or host would: its own session, committed
    try:
        assert client.get("/api/v1/partner/", headers=bearer).status_code == 403
    finally:  # PostgreSQL keeps the ab_ tables between tests
        _grant(app, "Sales", read, give=True)
    assert client.get("/api/v1/partner/", headers=bearer).status_code == 200


def test_a_deactivated_user_is_refused_on_the_next_request(app, login_as):
    sales = login_as("Sales")
    assert sales.get("/partnerview/list/").status_code == 200
    before = read_version(db.session)
    _set_active(app, "sales", False)
    try:
        assert sales.get("/partnerview/list/").status_code == 302  # to the sign-in page
    finally:
        _set_active(app, "sales", True)
    assert read_version(db.session) == before  # users are not cached: nothing to bump


def test_a_rolled_back_change_of_rights_keeps_the_stamp(app):
    sm = app.appbuilder.sm
    before = read_version(db.session)
    role = sm.find_role("Sales")
    role.permissions.remove(sm.find_permission_view_menu(perm(ACTION_READ), RESOURCE_PARTNER))
    db.session.flush()
    assert read_version(db.session) != before  # bumped in the change's transaction
    db.session.rollback()
    assert read_version(db.session) == before


def _grant(app, role_name: str, pair: tuple[str, str], give: bool) -> None:
    sm = app.appbuilder.sm
    role_id, pv_id = sm.find_role(role_name).id, sm.find_permission_view_menu(*pair).id
    db.session.remove()  # SQLite: one writer at a time
    with Session(db.engine) as other:
        role, pv = other.get(sm.role_model, role_id), other.get(sm.permissionview_model, pv_id)
        if give:
            role.permissions.append(pv)
        else:
            role.permissions.remove(pv)
        other.commit()
    db.session.remove()


def _set_active(app, username: str, active: bool) -> None:
    sm = app.appbuilder.sm
    user_id = sm.find_user(username=username).id
    db.session.remove()  # SQLite: one writer at a time
    with Session(db.engine) as other:
        other.get(sm.user_model, user_id).active = active
        other.commit()
    db.session.remove()
