"""Lost updates: a save over a newer version of a register row is refused, with who changed it and what.

Two users open the same client; the first saves a new phone, the second (still looking at the old
row) saves a new e-mail: without a check the second save writes back the old phone. Editable
registers carry `row_version` (app.models.base.Versioned). The edit form and the API client send
the version they opened the row with (a hidden field; the `If-Match` header); when the stored one
is newer the save is refused with "changed by X at HH:MM since you opened it" and, field by field,
both versions (theirs as saved, yours as sent), so the user can reapply their change on top.
The check runs after the row is locked (or inside the write transaction), and the UPDATE itself
checks the version it read, so a change committed in between cannot slip through either.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from app.domain.errors import DomainError, Problem, Word
from app.models.audit import AuditLog

MSG_CHANGED = "%(what)s was changed by %(user)s at %(time)s since you opened it; nothing was saved"
MSG_CHANGED_UNKNOWN = "%(what)s was changed since you opened it; nothing was saved"
MSG_BOTH = "%(field)s: saved “%(theirs)s”, yours “%(mine)s”"
MSG_REOPEN = "Open it again to see the saved version, then make your change once more"
MSG_RESAVE = "Your version is still in the form: save again to replace the saved one with it"
MSG_BAD_VERSION = "The version you opened (%(value)s) is not a whole number"
SKIP = frozenset({"row_version", "updated_at", "created_at", "name_norm", "phone_norm", "email_norm"})


def parse_version(raw: object) -> int | None:
    """The version a client sent: an int, a string ("3", an ETag such as W/"3"), or nothing (None)."""
    if raw is None or raw == "":
        return None
    text = str(raw).strip()
    if text.startswith("W/"):
        text = text[2:]
    text = text.strip('"')
    if not text.isdigit():
        raise DomainError(MSG_BAD_VERSION, value=str(raw)[:20])
    return int(text)


def stored_version(session: Session, obj: Any) -> int | None:
    """The row's version as committed (read without flushing the edit being checked)."""
    model = type(obj)
    with session.no_autoflush:
        return session.scalar(select(model.row_version).where(model.id == obj.id))


def check_opened_version(session: Session, obj: Any, opened: object, what: str,
                         mine: dict[str, Any] | None = None) -> None:
    """Refuse saving `obj` when it changed since the caller opened version `opened` (None: not checked).

    `mine` is what the caller sends (field -> value) when `obj` does not hold it yet (a service
    that applies the input after this check); otherwise the pending changes on `obj` are compared.
    """
    version = parse_version(opened)
    if version is None or obj.id is None:
        return
    stored = stored_version(session, obj)
    if stored is None or stored == version:
        return
    with session.no_autoflush:  # the refused edit must not reach the database (nor reset its history)
        problems = [_who(session, obj, what)]
        problems += [Problem(MSG_BOTH, {"field": Word(_label(name)), "theirs": _text(theirs), "mine": _text(yours)},
                             field=name) for name, theirs, yours in _differences(session, obj, mine)]
    problems.append(Problem(MSG_REOPEN if mine is None else MSG_RESAVE))
    raise DomainError(problems)


def is_version_conflict(exc: DomainError) -> bool:
    """True when the refusal is this module's (the row changed since it was opened)."""
    return any(p.msgid in (MSG_CHANGED, MSG_CHANGED_UNKNOWN) for p in exc.problems)


def _who(session: Session, obj: Any, what: str) -> Problem:
    """Who saved the row last and when, from the audit log (its newest row for this record)."""
    row = session.execute(select(AuditLog.username, AuditLog.at).where(
        AuditLog.entity == type(obj).__name__, AuditLog.entity_id == str(obj.id))
        .order_by(AuditLog.id.desc()).limit(1)).first()
    if row is None:
        return Problem(MSG_CHANGED_UNKNOWN, {"what": what})
    return Problem(MSG_CHANGED, {"what": what, "user": row.username or "?", "time": _hhmm(row.at)})


def _hhmm(at: datetime) -> str:
    return at.strftime("%H:%M")


def _differences(session: Session, obj: Any, mine: dict[str, Any] | None) -> Iterable[tuple[str, Any, Any]]:
    """(field, saved value, your value) for every field where the two differ."""
    state = inspect(obj)
    if mine is not None:
        model = type(obj)
        names = [n for n in mine if n not in SKIP and n in state.mapper.column_attrs]
        if not names:
            return []
        with session.no_autoflush:
            row = session.execute(select(*(getattr(model, n) for n in names)).where(model.id == obj.id)).first()
        saved = dict(zip(names, row, strict=True)) if row else {}
        return [(n, saved.get(n), mine[n]) for n in names if _norm(saved.get(n)) != _norm(mine[n])]
    out = []
    for attr in state.mapper.column_attrs:
        name = attr.key
        if name in SKIP:
            continue
        history = state.attrs[name].history
        if history.added and history.deleted and _norm(history.deleted[0]) != _norm(history.added[0]):
            out.append((name, history.deleted[0], history.added[0]))
    for rel in state.mapper.relationships:
        if rel.uselist:
            continue
        history = state.attrs[rel.key].history
        if history.added and history.deleted and history.added[0] is not history.deleted[0]:
            out.append((rel.key, history.deleted[0], history.added[0]))
    return out


def _norm(value: Any) -> Any:
    return "" if value is None else value


def _text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    return str(value)[:200]


def _label(name: str) -> str:
    """A field's label as the forms show it ("phone" -> "Phone"); translated where it is shown."""
    return name.replace("_id", "").replace("_", " ").capitalize()
