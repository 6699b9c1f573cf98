"""The security stamp's version: read with the signed-in user, bumped by any flush that changes rights.

Why a stamp and not a time limit: the web workers keep the roles' (permission, view) pairs in memory
(app/security.py), and a right taken away must stop working on the very next request, in every
worker and on every host. A short time-to-live would leave a window where a revoked right still
works; a version read in the statement that loads the user anyway costs no extra round trip.

What bumps it: a flush that adds, deletes or changes a role's permissions or name, a group's roles,
or any permission, view or permission-view row: FAB's role and permission pages, `sync_roles`, the
`fab` commands and tests all go through the ORM, so a session event sees them all. The bump is an
upsert in the same transaction, so it commits or rolls back with the change. The user, their roles
and their groups are not cached at all (they are loaded on every request), so deactivating a user,
changing a password or a user's roles needs no bump. A change written by hand in SQL is not seen:
run `UPDATE security_stamp SET version = version + 1` after it (docs/deploy.md).
"""

from __future__ import annotations

import secrets
from importlib import import_module
from typing import Any

from flask_appbuilder.security.sqla.models import Group, Permission, PermissionView, Role, ViewMenu
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from app.models.security import STAMP_ID, SecurityStamp

_PENDING = "fabrika_rights_changed"
# Rows whose every change matters, and for the others the attributes that carry rights.
_ANY_CHANGE = (Permission, PermissionView, ViewMenu)
_RIGHTS_ATTRS: dict[type, tuple[str, ...]] = {Role: ("permissions", "name"), Group: ("roles", "name")}


def version_column() -> Any:
    """The stamp's version as a scalar subquery (0 before the first bump), to add to another select."""
    stamp = SecurityStamp.__table__
    return func.coalesce(select(stamp.c.version).where(stamp.c.id == STAMP_ID).scalar_subquery(), 0)


def read_version(session: Session) -> int:
    """The stamp's version, in one statement."""
    return int(session.execute(select(version_column())).scalar_one())


def _changes_rights(session: Session) -> bool:
    for obj in (*session.new, *session.deleted):
        if isinstance(obj, (*_ANY_CHANGE, *_RIGHTS_ATTRS)):
            return True
    for obj in session.dirty:
        if isinstance(obj, _ANY_CHANGE) and session.is_modified(obj):
            return True
        attrs = next((names for model, names in _RIGHTS_ATTRS.items() if isinstance(obj, model)), ())
        state = obj._sa_instance_state if attrs else None
        if state is not None and any(state.attrs[name].history.has_changes() for name in attrs):
            return True
    return False


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    if _changes_rights(session):
        session.info[_PENDING] = True


def _after_flush(session: Session, _context: Any) -> None:
    if session.info.pop(_PENDING, False):
        bump(session)


def bump(session: Session) -> None:
    """A new random version in the session's transaction (the row is made on the first bump).

    Random, not + 1: a version then names one state of the rights for good. Restoring a backup (or a
    test's template database) brings back an older version together with the rights it stood for, so
    a worker's pairs kept under it are still right; a counter would hand out the same number again
    for different rights.
    """
    stamp = SecurityStamp.__table__
    version = secrets.randbits(62) + 1
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        insert = import_module(f"sqlalchemy.dialects.{dialect}").insert
        session.connection().execute(
            insert(stamp).values(id=STAMP_ID, version=version)
            .on_conflict_do_update(index_elements=[stamp.c.id], set_={"version": version}))
        return
    done = session.connection().execute(stamp.update().where(stamp.c.id == STAMP_ID).values(version=version))
    if not done.rowcount:
        session.connection().execute(stamp.insert().values(id=STAMP_ID, version=version))


def install() -> None:
    """Listen on every session (once per process)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_flush", _after_flush)
