"""Pages of correcting the past: cost corrections with their allocation and impact preview, a backdated
receipt's re-costing preview, and the accounting periods with close / reopen.

Every button runs the same service as the REST API (app/api/costing.py) through run_command.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, flash, jsonify, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.domain.costing import BASIS_LABELS, CORRECTION_KIND_LABELS, COST_CORRECTION, IMPACT_LABELS, PERIOD_STATES
from app.domain.errors import DomainError
from app.extensions import db
from app.models.catalog import Item
from app.models.costing import AccountingPeriod, CostCorrection, CostCorrectionLine, PeriodStockValue
from app.models.stock import DOC_RECEIPT, StockDocument
from app.permissions import (
    ACTION_APPROVE,
    ACTION_POST,
    ACTION_READ,
    ACTION_WRITE,
    READ_ONLY,
    RESOURCE_COSTING,
    RESOURCE_PERIOD,
    RESOURCE_STOCK_DOCUMENT,
)
from app.services.costing import backdated, corrections, lookup, periods
from app.services.costing.recost import Plan
from app.views.base import (
    BaseModelView,
    ReadOnlyModelView,
    flash_domain_error,
    fmt_money,
    fmt_qty,
    interface,
    run_command,
)
from app.views.dates import date_format
from app.views.production.common import ShowWithActions, action
from app.views.show import show_page
from app.views.stock import CAT_STOCK
from app.views.titles import titles

STATE_WORDS = COST_CORRECTION.states  # plain msgids, translated by _word
LABELS = {
    "number": _l("Number"), "doc_date": _l("Date"), "corrects_date": _l("Corrects the date"), "state": _l("State"),
    "kind": _l("Kind"), "basis": _l("Allocation"), "amount": _l("Amount"), "partner": _l("Supplier"),
    "description": _l("Description"), "note": _l("Note"), "posted_by": _l("Posted by"), "posted_at": _l("Posted at"),
    "cancelled_by": _l("Cancelled by"), "cancelled_at": _l("Cancelled at"), "line_no": _l("No."),
    "item": _l("Item"), "qty": _l("Quantity"), "basis_value": _l("Allocation basis"),
    "correction": _l("Cost correction"),
    "month_start": _l("Month"), "month_end": _l("Last day"), "stock_value": _l("Stock value at the close"),
    "closed_at": _l("Closed at"), "closed_by": _l("Closed by"), "reopened_at": _l("Reopened at"),
    "reopened_by": _l("Reopened by"), "warehouse": _l("Warehouse"), "value": _l("Value"), "period": _l("Period"),
}


def _word(words: dict) -> Any:
    """A code shown as its word in the reader's language (the domain's labels are plain msgids)."""
    return lambda value: gettext(words[value]) if value in words else str(value)


def _month(value: date | None) -> str:
    return value.strftime("%Y-%m") if value else ""


@titles(_l("Allocation lines"), _l("Allocation line"))
class CostCorrectionLineView(ReadOnlyModelView):
    datamodel = interface(CostCorrectionLine)
    class_permission_name = RESOURCE_COSTING
    list_columns = ["line_no", "item", "qty", "basis_value", "amount"]
    show_columns = ["correction", *list_columns]
    base_order = ("line_no", "asc")
    label_columns = LABELS


def plan_rows(plan: Plan) -> dict[str, Any]:
    """The preview for a template: totals per target (in words) and the lines, items named."""
    ids = {i.item_id for i in plan.impacts if i.item_id}
    items = {it.id: str(it) for it in db.session.scalars(select(Item).where(Item.id.in_(ids or {0})))}
    word = _word(IMPACT_LABELS)
    totals = [(word(k), fmt_money(v)) for k, v in sorted(plan.totals().items())]
    lines = [{"target": word(i.target), "document": i.doc_number or "",
              "item": items.get(i.item_id, ""), "qty": fmt_qty(i.qty) if i.qty else "", "amount": fmt_money(i.amount)}
             for i in plan.impacts]
    # an average-cost warehouse has no lots to follow: its balance takes the change (said on the page)
    average = any(i.lot_id is None and i.target in ("lot", "expense") for i in plan.impacts)
    return {"totals": totals, "lines": lines, "average": average}


@titles(_l("Cost corrections"), _l("Cost correction"))
class CostCorrectionView(ShowWithActions):
    """Freight, customs, a supplier's price change on posted receipts: list, card with preview, post / cancel."""

    datamodel = interface(CostCorrection)
    class_permission_name = RESOURCE_COSTING
    method_permission_name = READ_ONLY | {"new": ACTION_WRITE, "receipts": ACTION_WRITE, "post_doc": ACTION_POST,
                                          "cancel_doc": ACTION_POST}
    include_route_methods = {"list", "show", "export", "new", "receipts", "post_doc", "cancel_doc"}
    show_template = "fabrika/cost_correction_show.html"
    list_template = "fabrika/cost_correction_list.html"
    list_columns = ["number", "doc_date", "state", "kind", "basis", "amount", "description", "posted_by"]
    search_columns = ["number", "doc_date", "state", "kind", "description"]
    show_columns = ["number", "doc_date", "corrects_date", "state", "kind", "basis", "amount", "partner",
                    "description", "note", "posted_by", "posted_at", "cancelled_by", "cancelled_at"]
    base_order = ("id", "desc")
    label_columns = LABELS
    formatters_columns = {"state": _word(STATE_WORDS), "kind": _word(CORRECTION_KIND_LABELS),
                          "basis": _word(BASIS_LABELS)}
    related_views = [CostCorrectionLineView]

    def _doc_actions(self, item: CostCorrection) -> list[dict]:
        out = []
        if item.state == "draft" and self._can(ACTION_POST):
            out.append(action("post_doc", _l("Post"), "fa-check", "btn-primary", method="post",
                              confirm=gettext("Post the correction and re-cost what it reaches?")))
        if item.state == "posted" and self._can(ACTION_POST):
            out.append(action("cancel_doc", _l("Cancel"), "fa-undo", "btn-danger", method="post",
                              confirm=gettext("Cancel the correction: post the opposite change today?")))
        return out

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        return show_page(self, pk, self._show_extra)

    def _show_extra(self, item: CostCorrection) -> dict[str, Any]:
        extra: dict[str, Any] = {"doc_actions": self._doc_actions(item), "doc_locked": True, "preview": None}
        if item.state != "cancelled":
            try:
                extra["preview"] = plan_rows(corrections.preview_correction(db.session, item.id))
            except DomainError as exc:
                flash_domain_error(exc)
            extra["preview_title"] = (_l("What posting will change") if item.state == "draft"
                                      else _l("What cancelling would change"))
        return extra

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def new(self) -> Response | str:
        """The new correction's form: receipts, amount, allocation; saved as a draft to preview."""
        if request.method == "POST":
            form = request.form
            data = corrections.CorrectionInput(
                [int(x) for x in form.getlist("receipt_ids") if x.isdigit()], form.get("amount"),
                form.get("basis", "value"), form.get("kind", "landed"), _parse_day(form.get("doc_date")),
                description=form.get("description", ""))
            try:
                corr = corrections.create_correction(db.session, data)
            except DomainError as exc:
                flash_domain_error(exc)
            else:
                flash(gettext("Draft saved: check the preview, then post it"), "success")
                return redirect(url_for(f"{self.endpoint}.show", pk=corr.id))
        picked = [int(x) for x in request.form.getlist("receipt_ids") if x.isdigit()]
        return self.render_template("fabrika/cost_correction_new.html", title=_l("New cost correction"),
                                    receipts=lookup.chosen(db.session, picked, date_format()), bases=BASIS_LABELS,
                                    kinds=CORRECTION_KIND_LABELS, receipts_url=url_for(f"{self.endpoint}.receipts"),
                                    today=date.today().isoformat(), form=request.form)

    @expose("/receipts.json", methods=["GET"])
    @has_access
    def receipts(self) -> Response:
        """Posted receipts for the form's picker, by number, supplier, item or date (select2 ajax)."""
        return jsonify(results=lookup.receipt_choices(db.session, request.args.get("q", ""), day=date_format()))

    @expose("/post/<int:pk>", methods=["POST"])
    @has_access
    def post_doc(self, pk: int) -> Response:
        return run_command(lambda: corrections.post_correction(db.session, pk),
                           lambda c: gettext("Correction %(number)s posted", number=c.number),
                           url_for(f"{self.endpoint}.show", pk=pk))

    @expose("/cancel/<int:pk>", methods=["POST"])
    @has_access
    def cancel_doc(self, pk: int) -> Response:
        return run_command(lambda: corrections.cancel_correction(db.session, pk),
                           lambda c: gettext("Correction %(number)s cancelled", number=c.number),
                           url_for(f"{self.endpoint}.show", pk=pk))


def _parse_day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


@titles(*[_l("Stock document")] * 4)  # its pages are the preview and the post; FAB's own titles would be English
class BackdatedRecostView(BaseModelView):
    """A draft receipt or issue dated in the past: what posting it with re-costing changes, and the button."""

    datamodel = interface(StockDocument)
    class_permission_name = RESOURCE_STOCK_DOCUMENT
    method_permission_name = {"preview": ACTION_READ, "post_doc": ACTION_POST}
    include_route_methods = {"preview", "post_doc"}

    @expose("/preview/<int:pk>", methods=["GET"])
    @has_access
    def preview(self, pk: int) -> Response | str:
        doc = db.session.get(StockDocument, pk)
        if doc is None or doc.doc_type not in backdated.BACKDATED_TYPES:
            return redirect(url_for("ReceiptView.list"))
        back = _doc_url(doc)
        try:
            rows = plan_rows(backdated.preview_backdated(db.session, pk))
        except DomainError as exc:
            flash_domain_error(exc)
            return redirect(back)
        return self.render_template("fabrika/costing_backdated.html", title=_l("Re-costing of later documents"),
                                    preview=rows, back=back, doc=db.session.get(StockDocument, pk),
                                    is_receipt=doc.doc_type == DOC_RECEIPT, day=doc.doc_date.strftime(date_format()),
                                    action=url_for(f"{self.endpoint}.post_doc", pk=pk))

    @expose("/post/<int:pk>", methods=["POST"])
    @has_access
    def post_doc(self, pk: int) -> Response:
        doc = db.session.get(StockDocument, pk)
        if doc is None or doc.doc_type not in backdated.BACKDATED_TYPES:
            return redirect(url_for("ReceiptView.list"))
        return run_command(lambda: backdated.post_backdated(db.session, pk)[0],
                           lambda d: gettext("Document %(number)s posted", number=d.number), _doc_url(doc))


def _doc_url(doc: StockDocument) -> str:
    """The backdated document's own page (a receipt or an issue)."""
    return url_for("ReceiptView.show" if doc.doc_type == DOC_RECEIPT else "IssueView.show", pk=doc.id)


@titles(_l("Frozen stock values"), _l("Frozen stock value"))
class PeriodStockValueView(ReadOnlyModelView):
    datamodel = interface(PeriodStockValue)
    class_permission_name = RESOURCE_PERIOD
    list_columns = ["warehouse", "qty", "value"]
    show_columns = ["period", *list_columns]
    label_columns = LABELS


@titles(_l("Accounting periods"), _l("Accounting period"))
class AccountingPeriodView(ShowWithActions):
    """Months of the books: close one (its stock value is frozen), reopen it with the permission to."""

    datamodel = interface(AccountingPeriod)
    class_permission_name = RESOURCE_PERIOD
    method_permission_name = READ_ONLY | {"close": ACTION_POST, "reopen": ACTION_APPROVE}
    include_route_methods = {"list", "show", "export", "close", "reopen"}
    list_template = "fabrika/costing_periods.html"
    list_columns = ["month_start", "state", "stock_value", "closed_by", "closed_at", "reopened_by", "reopened_at"]
    search_columns = ["month_start", "state", "closed_by"]
    show_columns = list_columns
    base_order = ("month_start", "desc")
    label_columns = LABELS
    formatters_columns = {"state": _word(PERIOD_STATES), "month_start": _month}
    related_views = [PeriodStockValueView]

    def _doc_actions(self, item: AccountingPeriod) -> list[dict]:
        if item.state == "closed" and self._can(ACTION_APPROVE):
            return [action("reopen", _l("Reopen"), "fa-unlock", "btn-warning", method="post",
                           confirm=gettext("Reopen the period? Documents may then be posted in it again"))]
        return []

    @expose("/close", methods=["POST"])
    @has_access
    def close(self) -> Response:
        day = _parse_day(request.form.get("month"))
        if day is None:
            flash(gettext("Choose the month to close"), "danger")
            return redirect(url_for(f"{self.endpoint}.list"))
        return run_command(lambda: periods.close_period(db.session, day),
                           lambda p: gettext("Period %(period)s closed", period=repr(p)),
                           url_for(f"{self.endpoint}.list"))

    @expose("/reopen/<int:pk>", methods=["POST"])
    @has_access
    def reopen(self, pk: int) -> Response:
        period = db.session.get(AccountingPeriod, pk)
        back = url_for(f"{self.endpoint}.show", pk=pk)
        if period is None:
            return redirect(url_for(f"{self.endpoint}.list"))
        return run_command(lambda: periods.reopen_period(db.session, period.month_start),
                           lambda p: gettext("Period %(period)s reopened", period=repr(p)), back)


def register(appbuilder) -> None:
    appbuilder.add_view(CostCorrectionView, "Cost corrections", icon="fa-truck", category=CAT_STOCK,
                        label=_l("Cost corrections"))
    appbuilder.add_view(AccountingPeriodView, "Accounting periods", icon="fa-calendar-check-o", category=CAT_STOCK,
                        label=_l("Accounting periods"))
    for view in (CostCorrectionLineView, PeriodStockValueView, BackdatedRecostView):
        appbuilder.add_view_no_menu(view)
