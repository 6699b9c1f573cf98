"""Base views: permission vocabulary, locale number formatting, CSV/XLSX export of every list.

Every register's list is filterable, sortable, paginated and exportable: the export reuses the
list's own filters and ordering from the query string, so "what I see is what I export".
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from babel.dates import format_datetime
from babel.numbers import format_decimal
from flask import Response, abort, flash, redirect, request
from flask_appbuilder import ModelView
from flask_appbuilder.baseviews import expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.urltools import get_filter_args, get_order_args
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import asc, case, desc

from app.models.base import current_locale, localized
from app.models.types import Money, Quantity, Rate
from app.permissions import CRUD, READ_ONLY
from app.services.export import to_csv, to_xlsx
from app.views.code_columns import install as install_code_columns
from app.views.code_columns import text as code_text
from app.views.name_filters import add_any_name_filter, one_name_column

EXPORT_LIMIT = 100_000


def locale_name() -> str:
    loc = get_locale()
    return str(loc) if loc else "en"


def fmt_number(value: Any, places: int | None = None) -> Markup:
    """A number in the user's locale, right-aligned (span.num), red when negative."""
    if value is None:
        return Markup("")
    fmt = None if places is None else "#,##0." + "0" * places if places else "#,##0"
    text = format_decimal(value, format=fmt, locale=locale_name())
    cls = "num neg" if value < 0 else "num"
    return Markup('<span class="%s">%s</span>') % (cls, text)


def fmt_money(value: Any) -> Markup:
    return fmt_number(value, 2)


def fmt_qty(value: Any) -> Markup:
    if value is None:
        return Markup("")
    places = min(max(-value.normalize().as_tuple().exponent, 0), 6) if isinstance(value, Decimal) else 0
    return fmt_number(value, places)


def fmt_date(value: Any) -> str:
    """Dates as the trade writes them: 27.11.2026 (ru), 27/11/2026 (es), with the time for datetimes.

    Babel's "short" pattern gives Spanish 27/11/26, a two-digit year no printed form uses.
    """
    from app.printing.formatting import date as numeric_date

    if isinstance(value, datetime):
        time = format_datetime(value, format="HH:mm", locale=locale_name())
        return f"{numeric_date(value, locale_name())} {time}"
    if isinstance(value, date):
        return numeric_date(value, locale_name())
    return "" if value is None else str(value)


def _fmt_related(value: Any) -> str:
    return "" if value is None else str(value)


def _refusals() -> int:
    """How many error messages this request has flashed so far (FAB flashes a refused save)."""
    from flask import session

    return sum(1 for category, _ in session.get("_flashes", []) if category == "danger")


class BaseModelView(ModelView):
    """A register's CRUD view with Fabrika's conventions."""

    page_size = 25
    method_permission_name = CRUD
    list_template = "fabrika/list.html"
    export_columns: list[str] | None = None

    def __init__(self, **kwargs: Any) -> None:
        install_code_columns(self)  # codes and booleans as words, before FAB builds the forms
        one_name_column(self)  # a three-language register's list: its name in the reader's language only
        super().__init__(**kwargs)
        self._auto_formatters()
        self._blank_choice_text()
        add_any_name_filter(self)

    def _list(self, **kwargs: Any):
        """FAB's list, with a page or page size in the address that is not a whole number (page >= 0,
        size >= 1) answered 400: FAB's int() raised a 500, and PostgreSQL refuses a negative LIMIT."""
        for key, value in request.args.items():
            if key.startswith("page_") and not (value.isascii() and value.isdigit() and int(value) < 10**9):
                abort(400)
            if key.startswith("psize_") and not (value.isascii() and value.isdigit() and 0 < int(value) <= 10_000):
                abort(400)
        return super()._list(**kwargs)

    def _add(self):
        """FAB's add; a save refused by pre_add or the database shows the form again with what the user
        typed and the refusal above it (FAB redirects away and the typing is lost)."""
        refusals = _refusals()
        widget = super()._add()
        if widget is None and _refusals() > refusals:
            from app.extensions import db

            db.session.rollback()
            return self._get_add_widget(form=self.add_form.refresh(),
                                        exclude_cols=self._filters.get_relation_cols())
        return widget

    def _edit(self, pk):
        """FAB's edit; a refused save shows the form again as typed (see _add). Views with related lists
        on the edit page keep FAB's redirect: those lists are built from the saved row."""
        refusals = _refusals()
        widgets = super()._edit(pk)
        if widgets is None and _refusals() > refusals and not self._related_views:
            from app.extensions import db

            db.session.rollback()  # populate_obj changed the row in the session: none of it is kept
            form = self.edit_form.refresh(request.form)
            form._id = pk
            return self._get_edit_widget(form=form, exclude_cols=self._filters.get_relation_cols())
        return widgets

    def _blank_choice_text(self) -> None:
        """Empty related selects read "—": FAB's blank option has no text, so select2 shows "__None"."""
        from flask_appbuilder.fields import QuerySelectField
        from wtforms.fields.core import UnboundField

        for form in (getattr(self, "add_form", None), getattr(self, "edit_form", None)):
            for name in dir(form) if form is not None else ():
                field = getattr(form, name, None)
                if (isinstance(field, UnboundField) and field.field_class is QuerySelectField
                        and field.kwargs.get("allow_blank")):
                    field.kwargs["blank_text"] = "—"

    def _auto_formatters(self) -> None:
        formatters = dict(self.formatters_columns or {})
        for col in self.list_columns + list(self.show_columns or []):
            if col not in formatters and "." not in col and self.datamodel.is_relation_many_to_one(col):
                formatters[col] = _fmt_related
        for col in self.list_columns + list(self.show_columns or []):
            if col in formatters or "." in col:
                continue
            column = self.datamodel.obj.__table__.columns.get(col) if hasattr(self.datamodel, "obj") else None
            if column is None:
                continue
            if isinstance(column.type, Money):
                formatters[col] = fmt_money
            elif isinstance(column.type, (Quantity, Rate)):
                formatters[col] = fmt_qty
            elif column.type.python_type in (date, datetime):
                formatters[col] = fmt_date
            elif column.nullable:
                formatters[col] = _fmt_related  # an empty cell, not "None"
        self.formatters_columns = formatters

    @expose("/export/<string:fmt>")
    @has_access
    def export(self, fmt: str) -> Response:
        """Export the current list (its filters and order) as CSV or XLSX."""
        if fmt not in ("csv", "xlsx"):
            return redirect(self.get_redirect())
        get_filter_args(self._filters, disallow_if_not_in_search=False)
        order_column, order_direction = get_order_args().get(self.__class__.__name__, ("", ""))
        # the view's fixed filters (e.g. "my own actions only") apply to the export as to the list
        filters = self._filters.get_joined_filters(self._base_filters)
        count, items = self.datamodel.query(filters, order_column, order_direction, page=None, page_size=EXPORT_LIMIT)
        columns = self.export_columns or self.list_columns
        headers = [str(self.label_columns.get(c, c)) for c in columns]
        rows = ([self._export_value(item, c) for c in columns] for item in items)
        name = self.__class__.__name__.replace("View", "").lower()
        if count > EXPORT_LIMIT:
            flash(str(_l("Export limited to the first %(n)s rows", n=EXPORT_LIMIT)), "warning")
        if fmt == "csv":
            data, mime = to_csv(headers, rows), "text/csv; charset=utf-8"
        else:
            data = to_xlsx(headers, rows, title=name)
            mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return Response(
            data, mimetype=mime, headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'}
        )

    def _export_value(self, item: Any, column: str) -> Any:
        if column in _translated_columns(type(item), self.export_columns or self.list_columns):
            return localized(item, column)  # as the list shows it
        value = item
        for part in column.split("."):
            value = getattr(value, part, None) if value is not None else None
            if callable(value):
                value = value()
        if column in self._code_columns or isinstance(value, bool):
            return code_text(self._code_columns, column, value)
        if isinstance(value, (str, int, Decimal, date, datetime, bool)) or value is None:
            return value
        return str(value)


class ReadOnlyModelView(BaseModelView):
    """A register that is never edited from the UI (logs, ledgers, posted history)."""

    method_permission_name = READ_ONLY
    include_route_methods = {"list", "show", "export"}


class FabrikaInterface(SQLAInterface):
    """FAB's model interface, except a column with a default is optional in forms (note = ""), and a
    list's `name` (or an article's `title`) column of a register named in three languages shows the reader's:
    the column stays the real one, so sorting and filtering on it keep working (the list leaves out name_ru
    and name_es: app.views.name_filters.one_name_column). The show page and the forms keep the three."""

    def apply_order_by(self, query, order_column, order_direction, *args, **kwargs):
        """Sorting by `name` follows the names shown: the reader's language, else the default name."""
        if order_column not in _translated_columns(self.obj, [order_column]):
            return super().apply_order_by(query, order_column, order_direction, *args, **kwargs)
        mine, default = getattr(self.obj, f"{order_column}_{current_locale()}", None), getattr(self.obj, order_column)
        if mine is None:  # English: the default text
            return super().apply_order_by(query, order_column, order_direction, *args, **kwargs)
        direction = asc if order_direction == "asc" else desc
        return query.order_by(direction(case((mine != "", mine), else_=default)), direction(self.obj.id))

    def get_values(self, lst, list_columns):
        shown = _translated_columns(self.obj, list_columns)
        for row, values in zip(lst, super().get_values(lst, list_columns), strict=True):
            for column in shown:  # the name or title (not a unit's label(), which is its short code)
                values[column] = localized(row, column)
            yield values

    def is_nullable(self, col_name: str) -> bool:
        column = self.list_columns.get(col_name)
        if column is not None and getattr(column, "default", None) is not None:
            return True
        return super().is_nullable(col_name)


def _translated_columns(model: type, columns: list[str]) -> list[str]:
    """The list's columns written in three languages (name, an article's title) whose `_ru` / `_es` versions
    the list does not show itself: there the reader's version takes the column's place."""
    return [c for c in ("name", "title") if c in columns and f"{c}_ru" not in columns
            and hasattr(model, f"{c}_ru") and hasattr(model, f"{c}_es")]


def interface(model: type) -> SQLAInterface:
    return FabrikaInterface(model)


def request_ip() -> str:
    return request.remote_addr or ""


def choice_field(label: Any, choices: list[tuple[str, Any]], default: str | None = None):
    """A select box for a string column with a fixed vocabulary (kind, valuation, state)."""
    from flask_appbuilder.fieldwidgets import Select2Widget
    from wtforms import SelectField

    return SelectField(label, choices=choices, default=default, widget=Select2Widget())


def flash_domain_error(exc: Exception) -> None:
    """Show every problem of a DomainError, translated into the user's language."""
    from flask_babel import gettext

    from app.domain.errors import DomainError

    if isinstance(exc, DomainError):
        for message in exc.messages(gettext):
            flash(message, "danger")
    else:
        flash(str(exc), "danger")


def run_command(command, success, back: str) -> Response:
    """Run a service command from a page (post, cancel): flash its result or every problem, go back.

    `command` calls the service; `success` turns its result into the translated message. The command
    is one use case (one transaction, retried on a deadlock), exactly as its REST endpoint runs it.
    """
    from app.domain.errors import DomainError
    from app.extensions import db
    from app.services.base import run_use_case

    try:
        result = run_use_case(db.session, command)
        flash(success(result), "success")
    except DomainError as exc:
        flash_domain_error(exc)
    return redirect(back)


def command_button(url: str, label: str, icon: str, css: str = "btn-default", method: str = "get",
                   confirm: str = "", override: bool = False) -> dict:
    """A button of a document page's action bar (a link, or a form posting to a command)."""
    return dict(url=url, label=label, icon=icon, css=css, method=method, confirm=confirm, override=override)


def file_response(data: bytes, filename: str) -> Response:
    """A stored file as a download (never shown by the browser: a kept .html can't run as our page), its name
    in UTF-8 for the browsers that read it and in ASCII for the others."""
    from urllib.parse import quote

    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    return Response(data, mimetype="application/octet-stream",
                    headers={"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"})


def pdf_response(data: bytes, filename: str) -> Response:
    """A printed form, shown in the browser's PDF viewer."""
    return Response(data, mimetype="application/pdf", headers={"Content-Disposition": f'inline; filename="{filename}"'})
