"""The audit log writer: every create, update, delete and document transition, with its actor.

Changes of models marked `Audited` are captured from the ORM flush, row by row through mapper
events, so no view or service can forget them and lines deleted as orphans count as deleted.
Document transitions are recorded explicitly with `record`. Rows are inserted on the flushing
connection, inside the same transaction as the change: no change without its trace.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, attributes, object_session

from app.models.audit import AuditLog
from app.models.base import Audited, utcnow
from app.services import driver_sql
from app.services.base import current_actor

_AS_IS = frozenset({str, int, float, bool, type(None)})


def _plain(value: Any) -> Any:
    if type(value) in _AS_IS:  # most values: one set lookup instead of four isinstance checks
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _columns(obj: Any) -> list[str]:
    return _class_columns(type(obj))


@cache
def _class_columns(cls: type) -> list[str]:
    """The audited columns of a class, once per class (every audit row reads them)."""
    exclude = set(getattr(cls, "__audit_exclude__", ()))
    return [c.key for c in inspect(cls).column_attrs if c.key not in exclude]


def _changes(obj: Any, action: str) -> dict[str, list[Any]]:
    """{field: [before, after]} read without loading anything: the row may already be gone."""
    out: dict[str, list[Any]] = {}
    state = inspect(obj)
    if action == "create":
        held = state.dict
        for key in _columns(obj):
            value = held.get(key)
            if value is not None:
                out[key] = [None, _plain(value)]
        return out
    for key in _columns(obj):
        hist = attributes.get_history(obj, key, passive=attributes.PASSIVE_NO_INITIALIZE)
        if action == "delete":
            value = hist.unchanged[0] if hist.unchanged else (hist.deleted[0] if hist.deleted else None)
            out[key] = [_plain(value), None]
        elif hist.has_changes():
            before = hist.deleted[0] if hist.deleted else None
            after = hist.added[0] if hist.added else None
            if _plain(before) != _plain(after):
                out[key] = [_plain(before), _plain(after)]
    return out


# json.dumps with these options builds a new encoder per call: one, built once, gives the same text
_JSON = json.JSONEncoder(ensure_ascii=False, default=str).encode


def _row(action: str, entity: str, entity_id: Any, summary: str = "", changes: dict | None = None,
         actor: Any = None, at: Any = None) -> dict:
    """One audit_log row; `actor` and `at` are given once for the rows of one write (created_rows)."""
    actor = actor or current_actor()
    return {
        "at": at or utcnow(),
        "user_id": actor.user_id,
        "username": actor.username[:100],
        "ip": actor.ip[:64],
        "action": action,
        "entity": entity[:64],
        "entity_id": str(entity_id if entity_id is not None else "")[:64],
        "summary": summary[:300],
        "changes": _JSON(changes or {}),
    }


_INSERT_CORE = AuditLog.__table__.insert()  # plain rows: no need for the ORM's bulk-insert machinery


def event_row(action: str, obj: Any, summary: str = "", changes: dict | None = None) -> dict:
    """The audit row of a document transition (post, cancel, ...) or any explicit event, not yet written."""
    entity = type(obj).__name__ if not isinstance(obj, str) else obj
    entity_id = getattr(obj, "id", "") if not isinstance(obj, str) else ""
    return _row(action, entity, entity_id, summary, changes)


def values_row(action: str, entity: str, entity_id: Any, summary: str, values: dict[str, Any]) -> dict:
    """The audit row of a row written from plain values (bulk inserts: imports), not yet written."""
    return _row(action, entity, entity_id, summary, {k: [None, _plain(v)] for k, v in values.items() if v is not None})


def record(session: Session, action: str, obj: Any, summary: str = "", changes: dict | None = None) -> None:
    """Record a document transition (post, cancel, ...) or any explicit event."""
    write(session, [event_row(action, obj, summary, changes)])


def created_rows(objs: list[Any], related: list[dict[str, Any]] | None = None) -> list[dict]:
    """The "create" rows of objects written without the unit of work, as its events would write them,
    not yet written: the objects hold what was written (ids included). `related` (one dict per object)
    gives what a title reads of a relationship left unset (a new line's item as a row: its code)."""
    related = related or [{}] * len(objs)
    actor, at = current_actor(), utcnow()
    return [_row("create", type(obj).__name__, _entity_id(obj), _summary(obj, extra), _changes(obj, "create"),
                 actor, at) for obj, extra in zip(objs, related, strict=True)]


def record_created(session: Session, objs: list[Any]) -> None:
    """The "create" rows of objects written without the unit of work, as its events would write them.

    For services that insert Audited rows with Core statements (stock documents are created in
    bulk on the hot path): call it after the insert, with the objects holding what was written
    (ids included), in the same transaction.
    """
    write(session, created_rows(objs))


def write(session: Session, rows: list[dict]) -> None:
    """Audit rows made by event_row / created_rows, in one INSERT (a use case that creates and posts
    a document writes both rows together)."""
    driver_sql.execute_many(session, _INSERT_CORE, rows)


_PENDING = "_audit_pending"
_TRANSITIONS = "_audit_transitions"


def transition(session: Session, action: str, obj: Any) -> None:
    """Record the next flush's update of `obj` as `action` (post, cancel): one row, with the changes.

    Call before the flush that writes the state change; the transition and its field changes
    then share a single audit row instead of an "update" plus a separate event.
    """
    session.info.setdefault(_TRANSITIONS, {})[id(obj)] = action


def update_row(session: Session, obj: Any) -> dict | None:
    """The audit row a flush would write for `obj`'s pending column changes, or None when none changed.

    For writers that UPDATE rows with Core statements instead of a flush (production.order_rows): the
    same changes, and the transition noted by `transition` (else "update"), as `_queue` records them.
    """
    changes = _changes(obj, "update")
    if not changes:
        return None
    action = session.info.get(_TRANSITIONS, {}).pop(id(obj), "update")
    return event_row(action, obj, _summary(obj), changes)


def _entity_id(obj: Any) -> Any:
    """The primary key as the flush wrote it (a new object has no identity key until after it)."""
    state = inspect(obj)
    keys = _primary_keys(state.mapper)
    if len(keys) == 1 and keys[0] in state.dict:  # the common case: read from what the object holds
        return state.dict[keys[0]]
    key = state.mapper.primary_key_from_instance(obj)
    return key[0] if len(key) == 1 else tuple(key)


@cache
def _primary_keys(mapper: Any) -> tuple[str, ...]:
    """The attribute names of a mapper's primary key columns, once per class."""
    return tuple(mapper.get_property_by_column(c).key for c in mapper.primary_key)


def _queue(action: str, target: Any) -> None:
    """Note one written row's change; the flush's log rows are inserted together afterwards.

    Mapper events see every row the flush writes, including lines deleted as orphans (removed
    from their document's collection), which never appear in `session.deleted`. After the
    statement, inserts have their keys and a relationship change shows in its foreign key.
    """
    changes = _changes(target, action)
    if action == "update" and not changes:
        return
    session = object_session(target)
    if session is not None:
        if action == "update":
            action = session.info.get(_TRANSITIONS, {}).pop(id(target), action)
        session.info.setdefault(_PENDING, []).append((action, target, changes))


def _on_insert(mapper, connection, target) -> None:
    _queue("create", target)


def _on_update(mapper, connection, target) -> None:
    _queue("update", target)


def _on_delete(mapper, connection, target) -> None:
    _queue("delete", target)


_UNREADABLE = re.compile(r"\bNone\b|object at 0x|^\?|^\d+: ?$|\(\w+\)$")


def _summary(obj: Any, related: dict[str, Any] | None = None) -> str:
    """A title a reader recognises the object by: its number or code, a line's document,
    position and item; else its text, unless that text says nothing ("14: None", "<... object at 0x>")."""
    title = _title({**inspect(obj).dict, **related} if related else inspect(obj).dict)
    if title:
        return title[:300]
    try:
        text = str(obj)
    except SQLAlchemyError:  # a deleted row whose repr needs an attribute that was never loaded
        return ""
    return "" if _UNREADABLE.search(text) else text[:300]


def _title(values: dict[str, Any]) -> str:
    """The title from what is loaded (nothing is read from the database during the flush)."""
    code = values.get("number") or values.get("code")
    name = values.get("name")
    if code:  # a code reads the same in every language; a name is written in one of them
        return str(code)
    parents = [v for v in values.values() if isinstance(getattr(v, "number", None), str) and v.number]
    item = values.get("item")
    parts = [parents[0].number] if parents else []
    if values.get("line_no") is not None:
        parts.append(f"#{values['line_no']}")
    if item is not None and getattr(item, "code", None):
        parts.append(item.code)
    if parts:
        return " ".join(parts)
    return str(name) if isinstance(name, str) and name else ""


def _start_flush(session: Session, flush_context, instances) -> None:
    """Forget a failed flush's notes; load what is about to be deleted (explicitly), so its
    values can still be read once the DELETE has run."""
    session.info.pop(_PENDING, None)
    for obj in session.deleted:
        if isinstance(obj, Audited):
            for key in _columns(obj):
                getattr(obj, key)


def _write(session: Session, flush_context) -> None:
    """Insert the flush's log rows on its connection: same transaction as the change."""
    pending = session.info.pop(_PENDING, None)
    if pending:
        rows = [
            _row(action, type(obj).__name__, _entity_id(obj), _summary(obj), changes)
            for action, obj, changes in pending
        ]
        session.connection().execute(insert(AuditLog), rows)


def install() -> None:
    """Hook the audit writer into every ORM session and every Audited model (idempotent)."""
    if event.contains(Session, "after_flush", _write):
        return
    event.listen(Session, "before_flush", _start_flush)
    event.listen(Session, "after_flush", _write)
    event.listen(Audited, "after_insert", _on_insert, propagate=True)
    event.listen(Audited, "after_update", _on_update, propagate=True)
    event.listen(Audited, "after_delete", _on_delete, propagate=True)
