"""The audit log in the reader's words: the object's title, and the changes as a table of fields.

A row keeps what was written then (field codes, values, the object's text); the page shows the
field by its label on the register's pages, yes / no for booleans, "—" for nothing, and leaves out
an object text that says nothing ("14: None" written before titles were kept).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from flask import current_app
from markupsafe import Markup, escape

from app.services.audit import _UNREADABLE
from app.services.vocabulary import yes_no


def readable_summary(value: Any) -> str:
    """The stored title, or nothing when it is no title at all."""
    text = "" if value is None else str(value)
    return "" if _UNREADABLE.search(text) else text


@cache
def _field_labels() -> dict[str, str]:
    """Column -> its label, from every registered view (the first view naming it wins)."""
    out: dict[str, Any] = {}
    for view in current_app.appbuilder.baseviews:
        for column, label in (getattr(view, "label_columns", None) or {}).items():
            if "." not in column and not isinstance(label, str):  # a declared (lazy) label, not FAB's English
                out.setdefault(column, label)
    return out


def _value(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return yes_no(value)
    return str(value)


def _label(labels: dict[str, Any], field: str) -> str:
    """A field by its label; a foreign key ("stage_id") by its relation's ("stage")."""
    return str(labels.get(field) or labels.get(field.removesuffix("_id"), field))


def _pair(pair: Any) -> tuple[str, str]:
    before, after = pair if isinstance(pair, list) and len(pair) == 2 else (None, pair)
    return _value(before), _value(after)


def changes_table(value: Any) -> Markup:
    """The stored {field: [before, after]} as a small table of labelled fields."""
    try:
        changes = json.loads(value) if value else {}
    except ValueError:
        return Markup(escape(value))
    if not isinstance(changes, dict) or not changes:
        return Markup("")
    labels = _field_labels()
    rows = [Markup("<tr><th>%s</th><td>%s</td><td>→</td><td>%s</td></tr>") % (_label(labels, field), *_pair(pair))
            for field, pair in changes.items() if field != "id"]
    return Markup('<table class="table table-condensed audit-changes">%s</table>') % Markup("").join(rows)


def _model_classes() -> dict[str, type]:
    from flask_appbuilder import Model

    return {m.class_.__name__: m.class_ for m in Model.registry.mappers}


def current_titles(rows: list[Any]) -> dict[int, str]:
    """Audit row id -> the object's name in the reader's language, for rows about a register named in three
    languages whose title is its (English) default name: one query per register on the page."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models.base import LocalizedName

    classes = _model_classes()
    wanted: dict[type, dict[int, list[Any]]] = {}
    for row in rows:
        cls = classes.get(row.entity)
        if cls is not None and issubclass(cls, LocalizedName) and str(row.entity_id).isdigit():
            wanted.setdefault(cls, {}).setdefault(int(row.entity_id), []).append(row)
    out: dict[int, str] = {}
    for cls, by_id in wanted.items():
        for obj in db.session.scalars(select(cls).where(cls.id.in_(sorted(by_id)))):
            for row in by_id[obj.id]:
                if row.summary == obj.name:  # a title that is the name, not a code or a number
                    out[row.id] = LocalizedName.label(obj)
    return out
