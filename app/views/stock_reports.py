"""Warehouse report pages: item card, valuation at a date, turnover for a period, stock on hand.

Each page reads its filters from a GET form, calls app.services.stock.reports and shows one page of
rows with numbers in the user's locale; the same filters with `?export=xlsx` or `?export=csv`
download every row, and the stock on hand report also prints as PDF. No query lives here: the
views parse arguments, call the service and render.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Response, flash, request, url_for
from flask_appbuilder import BaseView
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.permissions import ACTION_READ, RESOURCE_STOCK_REPORT
from app.services.export import to_csv, to_xlsx
from app.services.stock import reports
from app.services.vocabulary import MOVE_KIND_LABELS
from app.views.base import EXPORT_LIMIT, fmt_date, fmt_money, fmt_number, fmt_qty, locale_name
from app.views.stock import CAT_STOCK, DOC_VIEWS

PAGE_SIZE = 50
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

KIND_LABELS = MOVE_KIND_LABELS  # one vocabulary of ledger kinds (lists, item card, exports)
#: doc_type -> endpoint of the document's page, for links from the item card.
DOC_ENDPOINTS = {view.doc_type: view.__name__ for view in DOC_VIEWS}


@dataclass
class Filters:
    """The report filters as read from the query string (None: not chosen)."""

    item: int | None = None
    warehouse: int | None = None
    group: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    on_date: date | None = None
    all_rows: bool = False
    page: int = 1


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "").strip()
    return int(value) if value.isdigit() else None


def _date_arg(name: str, default: date | None) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        flash(gettext("Not a date: %(value)s", value=raw), "warning")
        return default


def read_filters(date_from: date | None = None, date_to: date | None = None,
                 on_date: date | None = None) -> Filters:
    """The filters of the current request, with the page's defaults for missing dates."""
    return Filters(
        item=_int_arg("item"), warehouse=_int_arg("warehouse"), group=_int_arg("group"),
        date_from=_date_arg("date_from", date_from), date_to=_date_arg("date_to", date_to),
        on_date=_date_arg("on_date", on_date), all_rows=request.args.get("all") == "1",
        page=max(_int_arg("page") or 1, 1),
    )


def export_response(name: str, fmt: str, headers: Sequence[Any], rows: Iterable[Sequence[Any]]) -> Response:
    """The report's rows as a CSV or XLSX download (the list exports' format and safety rules)."""
    labels = [str(h) for h in headers]
    if fmt == "csv":
        data, mime = to_csv(labels, rows), "text/csv; charset=utf-8"
    else:
        data, mime = to_xlsx(labels, rows, title=name), XLSX_MIME
    return Response(data, mimetype=mime, headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


def _url_with(**changes: Any) -> str:
    """This page's URL with some query arguments changed (pagination, export links)."""
    args = request.args.to_dict()
    args.update({k: v for k, v in changes.items() if v is not None})
    for key in [k for k, v in changes.items() if v is None]:
        args.pop(key, None)
    return url_for(request.endpoint, **args)


def _first_of_month(today: date) -> date:
    return today.replace(day=1)


class _StockReportView(BaseView):
    """Shared configuration and the one entry of every report page: permission, filters, paging,
    template helpers, export dispatch. A report declares its URL, template, title and export file
    name in its class line and builds its page in `build`."""

    class_permission_name = RESOURCE_STOCK_REPORT
    method_permission_name = {"index": ACTION_READ, "pdf": ACTION_READ}
    default_view = "index"
    template = ""
    title: Any = ""
    export_name = "report"

    def __init_subclass__(cls, route: str = "", template: str = "", title: Any = "", export: str = "report",
                          **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.route_base, cls.template, cls.title, cls.export_name = route, template, title, export

    def filter_defaults(self) -> dict[str, Any]:
        """The filters a report starts from when the URL gives none (a date, a period)."""
        return {}

    @expose("/")
    @has_access
    def index(self) -> Any:
        """Read the filters, take one page (or the whole report when exporting) and build the report."""
        f = read_filters(**self.filter_defaults())
        fmt = self.export_format()
        page, size = (1, EXPORT_LIMIT) if fmt else (f.page, PAGE_SIZE)
        return self.build(f, fmt, page, size)

    def build(self, f: Filters, fmt: str | None, page: int, size: int) -> Any:
        raise NotImplementedError

    def render_report(self, **context: Any) -> str:
        session = db.session
        locale = locale_name()
        return self.render_template(
            self.template, title=self.title, fmt_number=fmt_number, fmt_money=fmt_money, fmt_qty=fmt_qty,
            fmt_date=fmt_date, url_with=_url_with, kind_label=lambda kind: KIND_LABELS.get(kind, kind),
            doc_url=self._doc_url, warehouses=reports.warehouse_choices(session, locale),
            groups=reports.group_choices(session, locale), args=request.args, **context,
        )

    @staticmethod
    def _doc_url(doc_type: str, doc_id: int) -> str | None:
        endpoint = DOC_ENDPOINTS.get(doc_type)
        return url_for(f"{endpoint}.show", pk=doc_id) if endpoint else None

    @staticmethod
    def export_format() -> str | None:
        fmt = request.args.get("export")
        return fmt if fmt in ("csv", "xlsx") else None


class ItemCardView(_StockReportView, route="/stock/item-card", template="fabrika/stock_item_card.html",
                   title=_l("Item card"), export="item_card"):
    """An item's moves with the running balance (карточка товара / ficha de artículo)."""

    def build(self, f: Filters, fmt: str | None, page: int, size: int) -> Any:
        locale = locale_name()
        card = None
        if f.item is not None:
            try:
                card = reports.item_card(db.session, f.item, f.warehouse, f.date_from, f.date_to, page, size,
                                         locale=locale)
            except LookupError:
                flash(gettext("Item not found"), "warning")
        if fmt and card is not None:
            return export_response(f"{self.export_name}_{card.item_code}", fmt, *self._export(card))
        return self.render_report(filters=f, card=card, items=reports.item_choices(db.session, locale))

    @staticmethod
    def _export(card: reports.ItemCard) -> tuple[list, list]:
        headers = [_l("Date"), _l("Document"), _l("Operation"), _l("Warehouse"), _l("Incoming quantity"),
                   _l("Outgoing quantity"), _l("Incoming value"), _l("Outgoing value"), _l("Balance quantity"),
                   _l("Balance value")]
        opening = [card.date_from, str(_l("Opening balance")), "", "", None, None, None, None,
                   card.opening_qty, card.opening_value]
        rows = [[m.move_date, m.doc_number, str(KIND_LABELS.get(m.kind, m.kind)), m.warehouse_code, m.qty_in,
                 m.qty_out, m.value_in, m.value_out, m.balance_qty, m.balance_value] for m in card.rows]
        closing = [card.date_to, str(_l("Closing balance")), "", "", card.in_qty, card.out_qty, card.in_value,
                   card.out_value, card.closing_qty, card.closing_value]
        return headers, [opening, *rows, closing]


class ValuationView(_StockReportView, route="/stock/valuation", template="fabrika/stock_valuation.html",
                    title=_l("Stock valuation at a date"), export="stock_valuation"):
    """Quantity and value of stock at the end of a chosen day, from the ledger."""

    def filter_defaults(self) -> dict[str, Any]:
        return {"on_date": date.today()}

    def build(self, f: Filters, fmt: str | None, page: int, size: int) -> Any:
        report = reports.valuation_at(db.session, f.on_date or date.today(), f.warehouse, f.group, page, size,
                                      locale=locale_name())
        if fmt:
            headers = [_l("Code"), _l("Item"), _l("Unit"), _l("Warehouse"), _l("Quantity"), _l("Unit cost"),
                       _l("Value")]
            rows = [[r.item_code, r.item_name, r.unit, r.warehouse_code, r.qty, r.unit_cost, r.value]
                    for r in report.rows]
            return export_response(f"{self.export_name}_{report.on_date.isoformat()}", fmt, headers, rows)
        return self.render_report(filters=f, report=report)


class TurnoverView(_StockReportView, route="/stock/turnover", template="fabrika/stock_turnover.html",
                   title=_l("Stock turnover for a period"), export="stock_turnover"):
    """Opening, in, out and closing per item for a period (оборотная ведомость)."""

    def filter_defaults(self) -> dict[str, Any]:
        today = date.today()
        return {"date_from": _first_of_month(today), "date_to": today}

    def build(self, f: Filters, fmt: str | None, page: int, size: int) -> Any:
        today = date.today()
        date_from, date_to = f.date_from or _first_of_month(today), f.date_to or today
        if date_from > date_to:
            flash(gettext("The start of the period is after its end"), "warning")
        report = reports.turnover(db.session, date_from, date_to, f.warehouse, f.group, page, size,
                                  locale=locale_name())
        if fmt:
            headers = [_l("Code"), _l("Item"), _l("Unit"), _l("Opening quantity"), _l("Opening value"),
                       _l("Incoming quantity"), _l("Incoming value"), _l("Outgoing quantity"),
                       _l("Outgoing value"), _l("Closing quantity"), _l("Closing value")]
            rows = [[r.item_code, r.item_name, r.unit, *(getattr(r, c) for c in reports.TURNOVER_COLUMNS)]
                    for r in report.rows]
            name = f"{self.export_name}_{date_from.isoformat()}_{date_to.isoformat()}"
            return export_response(name, fmt, headers, rows)
        return self.render_report(filters=f, report=report, date_from=date_from, date_to=date_to)


class StockOnHandReportView(_StockReportView, route="/stock/on-hand", template="fabrika/stock_on_hand.html",
                            title=_l("Stock on hand report"), export="stock_on_hand"):
    """Stock on hand by warehouse and item group, with its printed form."""

    def build(self, f: Filters, fmt: str | None, page: int, size: int) -> Any:
        report = reports.on_hand(db.session, f.warehouse, f.group, not f.all_rows, page, size, locale=locale_name())
        if fmt:
            headers = [_l("Code"), _l("Item"), _l("Unit"), _l("Warehouse"), _l("Quantity"), _l("Reserved"),
                       _l("Available"), _l("Value")]
            rows = [[r.item_code, r.item_name, r.unit, r.warehouse_code, r.qty, r.reserved, r.available, r.value]
                    for r in report.rows]
            return export_response(self.export_name, fmt, headers, rows)
        same_filters = {k: v for k, v in request.args.items() if k in ("warehouse", "group", "all", "lang")}
        return self.render_report(filters=f, report=report, pdf_url=url_for(".pdf", **same_filters))

    @expose("/pdf")
    @has_access
    def pdf(self) -> Response:
        from app.services.stock.printing import stock_on_hand_pdf

        f = read_filters()
        data, filename = stock_on_hand_pdf(db.session, f.warehouse, f.group, not f.all_rows, request.args.get("lang"))
        return Response(data, mimetype="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{filename}"'})


REPORT_VIEWS: tuple[tuple[type[_StockReportView], str, Any, str], ...] = (
    (StockOnHandReportView, "Stock on hand report", _l("Stock on hand report"), "fa-list-alt"),
    (ItemCardView, "Item card", _l("Item card"), "fa-id-card-o"),
    (ValuationView, "Stock valuation", _l("Stock valuation at a date"), "fa-calculator"),
    (TurnoverView, "Stock turnover", _l("Stock turnover for a period"), "fa-refresh"),
)


def register(appbuilder: Any) -> None:
    """Add the report pages to the Warehouse menu, after the registers."""
    appbuilder.add_separator(CAT_STOCK)
    for view, name, label, icon in REPORT_VIEWS:
        appbuilder.add_view(view, name, label=label, icon=icon, category=CAT_STOCK)
