"""Coded columns of every register shown as words: lists, cards, filters and exports, in one place.

BaseModelView calls `install` for each view: a column whose values are codes (the view's own
select choices, or app/services/vocabulary.py's registry for its table) and every boolean column
get a formatter giving the reader's word, a filter with a select of those words instead of a text
box where one types "draft", and the same words in the CSV / XLSX export. A formatter the view
declares itself (a coloured state badge) is kept.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from markupsafe import Markup

from app.services.vocabulary import labels_for, yes_no


def _renderers() -> dict[tuple[str, str], Callable[[Any], Any]]:
    """Columns whose stored text is rendered for the reader (a job's message kept as msgid + parameters)."""
    from app.services.job_messages import message_text
    from app.views.audit_display import changes_table, readable_summary

    return {("job_run", "message"): message_text, ("audit_log", "summary"): readable_summary,
            ("audit_log", "changes"): changes_table, ("outbox_message", "error"): _translated,
            ("import_run", "result"): message_text}


def _translated(value: Any) -> str:
    """A stored message that is a msgid (the mail service's "not configured"), in the reader's language."""
    from flask_babel import gettext

    return gettext(value) if value else ""


def _choices_of(view: Any) -> dict[str, Mapping[str, Any]]:
    """{column: {code: label}} from the view's select fields (choice_field) in its forms."""
    from wtforms import SelectField
    from wtforms.fields.core import UnboundField

    out: dict[str, Mapping[str, Any]] = {}
    for fields in (getattr(view, "add_form_extra_fields", None), getattr(view, "edit_form_extra_fields", None)):
        for name, field in (fields or {}).items():
            if isinstance(field, UnboundField) and issubclass(field.field_class, SelectField):
                choices = field.kwargs.get("choices")
                if isinstance(choices, (list, tuple)) and choices and isinstance(choices[0], tuple):
                    out.setdefault(name, dict(choices))
    return out


def _table(view: Any):
    model = getattr(view.datamodel, "obj", None)
    return getattr(model, "__table__", None)


def code_map(view: Any) -> dict[str, Callable[[Any], Any]]:
    """{column: value -> the reader's word} for the view's columns holding codes, booleans or stored messages."""
    table = _table(view)
    if table is None:
        return {}
    out: dict[str, Callable[[Any], Any]] = {c: _words(labels) for c, labels in _choices_of(view).items()}
    renderers = _renderers()
    for column in table.columns:
        if column.key in out:
            continue
        labels = labels_for(table.name, column.key)
        if labels:
            out[column.key] = _words(labels)
        elif (table.name, column.key) in renderers:
            out[column.key] = renderers[(table.name, column.key)]
        elif _python_type(column) is bool:
            out[column.key] = yes_no
    return out


def _words(labels: Mapping[str, Any]) -> Callable[[Any], Any]:
    def word(value: Any) -> Any:
        return "" if value is None else str(labels.get(value, value))

    word.labels = labels  # the filter's select offers them
    return word


def _python_type(column: Any) -> type | None:
    try:
        return column.type.python_type
    except NotImplementedError:
        return None


def text(codes: Mapping[str, Callable[[Any], Any]], column: str, value: Any) -> Any:
    """The word for `value` of `column` (a code, a boolean, a stored message); other values unchanged."""
    render = codes.get(column)
    if render is not None:
        shown = render(value)
        return shown.striptags() if isinstance(shown, Markup) else shown
    return yes_no(value) if isinstance(value, bool) else value


def install(view: Any) -> None:
    """Formatters and word filters for the view's coded and boolean columns (before FAB builds forms)."""
    codes = code_map(view)
    view._code_columns = codes
    formatters = dict(view.formatters_columns or {})
    for column, render in codes.items():
        formatters.setdefault(column, render)
    view.formatters_columns = formatters
    extra = dict(getattr(view, "search_form_extra_fields", None) or {})
    for column in view.search_columns or ():
        labels = getattr(codes.get(column), "labels", None)
        if labels and column not in extra:
            extra[column] = _select(view, column, labels)
    view.search_form_extra_fields = extra
    _common_labels(view)


def _common_labels(view: Any) -> None:
    """A label for each of the model's columns and relations the view does not label itself: the common
    word (COMMON_LABELS), else FAB's own label made from the name ("Holidays"), looked up in the catalog,
    so a name that is a msgid elsewhere reads in the reader's language (FAB would show the English)."""
    from flask_babel import lazy_gettext
    from sqlalchemy import inspect as sa_inspect

    from app.views.labels import COMMON_LABELS

    model = getattr(view.datamodel, "obj", None)
    if model is None:
        return
    labels = dict(view.label_columns or {})
    for key in sa_inspect(model).attrs.keys():
        if key not in labels:
            labels[key] = COMMON_LABELS.get(key) or lazy_gettext(key.replace("_", " ").capitalize())
    view.label_columns = labels


def _select(view: Any, column: str, labels: Mapping[str, Any]):
    from app.views.base import choice_field

    label = (view.label_columns or {}).get(column, column)
    return choice_field(label, list(labels.items()))


def _none_as_blank(value: Any) -> Any:
    return "" if value is None else value


def _names(values: Any) -> str:
    """Related rows (a user's roles, groups) as "A, B", not Python's "[A, B]"; a role named by a msgid
    ("Sales", "Warehouse": ROLE_CONFIGS) in the reader's language."""
    from flask_babel import gettext

    return ", ".join(gettext(str(v)) for v in values or ())


def fab_user_view() -> type:
    """FAB's user register with Yes / No for booleans, blanks for nothing, roles as a plain list.

    FAB's own security views are not BaseModelViews; the security manager uses this one
    (app/security.py) so the users list and card read like every other register.
    """
    from flask_appbuilder.security.views import UserDBModelView

    from app.views.base import fmt_date

    class FabrikaUserDBModelView(UserDBModelView):
        # FAB's name for the resource: every role's self-service grants (profile, password, language in
        # app/security.py SELF_SERVICE) name it, and a subclass would otherwise be a new resource.
        class_permission_name = "UserDBModelView"
        formatters_columns = {
            "active": yes_no, "roles": _names, "groups": _names, "last_login": fmt_date, "created_on": fmt_date,
            "changed_on": fmt_date, "created_by": _none_as_blank, "changed_by": _none_as_blank,
            "login_count": _none_as_blank, "fail_login_count": _none_as_blank,
        }

    return FabrikaUserDBModelView
