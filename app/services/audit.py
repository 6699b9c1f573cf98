"""The audit log writer: every create, update, delete and document transition, with its actor.

Changes of models marked `Audited` are captured from the ORM flush (so no view or service can
forget them); document transitions are recorded explicitly with `record`. Rows are inserted on the
flushing connection, inside the same transaction as the change: no change without its trace.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session, attributes

from app.models.audit import AuditLog
from app.models.base import Audited, utcnow
from app.services.base import current_actor


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _columns(obj: Any) -> list[str]:
    exclude = set(getattr(obj, "__audit_exclude__", ()))
    return [c.key for c in inspect(obj).mapper.column_attrs if c.key not in exclude]


def _changes(obj: Any, action: str) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for key in _columns(obj):
        hist = attributes.get_history(obj, key)
        if action == "create":
            value = getattr(obj, key, None)
            if value is not None:
                out[key] = [None, _plain(value)]
        elif action == "delete":
            value = hist.unchanged[0] if hist.unchanged else (hist.deleted[0] if hist.deleted else None)
            out[key] = [_plain(value), None]
        elif hist.has_changes():
            before = hist.deleted[0] if hist.deleted else None
            after = hist.added[0] if hist.added else None
            if _plain(before) != _plain(after):
                out[key] = [_plain(before), _plain(after)]
    return out


def _row(action: str, entity: str, entity_id: Any, summary: str = "", changes: dict | None = None) -> dict:
    actor = current_actor()
    return {
        "at": utcnow(),
        "user_id": actor.user_id,
        "username": actor.username[:100],
        "ip": actor.ip[:64],
        "action": action,
        "entity": entity[:64],
        "entity_id": str(entity_id if entity_id is not None else "")[:64],
        "summary": summary[:300],
        "changes": json.dumps(changes or {}, ensure_ascii=False, default=str),
    }


def record(session: Session, action: str, obj: Any, summary: str = "", changes: dict | None = None) -> None:
    """Record a document transition (post, cancel, ...) or any explicit event."""
    entity = type(obj).__name__ if not isinstance(obj, str) else obj
    entity_id = getattr(obj, "id", "") if not isinstance(obj, str) else ""
    session.execute(insert(AuditLog), [_row(action, entity, entity_id, summary, changes)])


def _collect(session: Session) -> list[tuple[str, Any]]:
    pending: list[tuple[str, Any]] = []
    for obj in session.new:
        if isinstance(obj, Audited):
            pending.append(("create", obj))
    for obj in session.dirty:
        if isinstance(obj, Audited) and session.is_modified(obj, include_collections=False):
            pending.append(("update", obj))
    for obj in session.deleted:
        if isinstance(obj, Audited):
            pending.append(("delete", obj))
    return pending


def _before_flush(session: Session, flush_context, instances) -> None:
    # Capture before the flush: after it, the history of deleted and updated rows is gone.
    session.info.setdefault("_audit_pending", []).extend(
        (action, obj, _changes(obj, action) if action != "create" else None)
        for action, obj in _collect(session)
    )


def _after_flush(session: Session, flush_context) -> None:
    pending = session.info.pop("_audit_pending", [])
    rows = []
    for action, obj, changes in pending:
        if action == "create":
            changes = _changes(obj, "create")
        if action == "update" and not changes:
            continue
        ident = inspect(obj).identity
        entity_id = ident[0] if ident and len(ident) == 1 else (ident or "")
        rows.append(_row(action, type(obj).__name__, entity_id, str(obj)[:300], changes))
    if rows:
        session.connection().execute(insert(AuditLog), rows)


def _after_rollback(session: Session) -> None:
    session.info.pop("_audit_pending", None)


def install() -> None:
    """Hook the audit writer into every ORM session (idempotent)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "after_soft_rollback", lambda s, prev: _after_rollback(s))
