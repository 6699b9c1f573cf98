"""Warehouse views: stock documents per type, their lines, the ledger, lots and balances.

Views only configure and call app.services.stock; a DomainError becomes translated flash
messages. Posted documents are read-only here: edits and deletes are refused before they happen.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, abort, flash, g, jsonify, redirect, request, url_for
from flask_appbuilder.baseviews import expose
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from app.domain.documents import STOCK_DOCUMENT
from app.domain.errors import DomainError
from app.extensions import db
from app.models.base import DocState
from app.models.stock import (
    DOC_COUNT,
    DOC_CUSTOMER_RETURN,
    DOC_ISSUE,
    DOC_OPENING,
    DOC_RECEIPT,
    DOC_SUPPLIER_RETURN,
    DOC_TRANSFER,
    StockBalance,
    StockDocument,
    StockDocumentLine,
    StockLot,
    StockMove,
)
from app.permissions import (
    ACTION_POST,
    ACTION_READ,
    ACTION_WRITE,
    CRUD,
    RESOURCE_STOCK_DOCUMENT,
    RESOURCE_STOCK_REPORT,
)
from app.services.base import run_use_case
from app.services.job_messages import message_text
from app.services.stock import assert_editable, cancel_document, post_document
from app.services.stock.drafts import fill_from_shipment, validate_header, validate_line
from app.services.stock.grid import item_choices, save_lines
from app.services.workflow import lazy_state_labels
from app.views.base import (
    BaseModelView,
    ReadOnlyModelView,
    flash_domain_error,
    fmt_date,
    interface,
    locale_name,
    run_command,
)
from app.views.labels import COMMON_LABELS
from app.views.partners.widgets import partner_lookup
from app.views.show import printed_form, show_page
from app.views.stock_grid import grid_context, read_grid, typed_rows
from app.views.titles import titles

CAT_STOCK = "StockMenu"

STATE_LABELS = lazy_state_labels(STOCK_DOCUMENT)
DOC_LABELS = COMMON_LABELS | {
    "partner_name": _l("Partner"), "reason": _l("Reason"), "source_ref": _l("Source"), "unit_cost": _l("Unit cost"),
    "lot": _l("Lot"), "book_qty": _l("Book quantity"), "move_date": _l("Date"), "kind": _l("Operation"),
    "doc_number": _l("Document"), "revaluation": _l("Revaluation"), "received_on": _l("Received"), "code": _l("Lot"),
    "qty_remaining": _l("Remaining"), "value_remaining": _l("Remaining value"), "age_days": _l("Age, days"),
    "reserved": _l("Reserved"), "available": _l("Available"), "last_move_date": _l("Last move"),
    "partner": _l("Partner"), "counterparty": _l("Partner"), "shipment": _l("Shipment"),
}


def fmt_shipment(shipment: Any) -> str:
    """A return's shipment with the order and invoices it belongs to: "SH-2026-00001 (SO-2026-00003, INV-...)"."""
    if shipment is None:
        return ""
    from sqlalchemy import select

    from app.models.sales import DOC_CANCELLED, SalesInvoice

    invoices = db.session.scalars(select(SalesInvoice.number).where(
        SalesInvoice.order_id == shipment.order_id, SalesInvoice.state != DOC_CANCELLED).order_by(SalesInvoice.id))
    refs = [n for n in (shipment.order.number if shipment.order is not None else "", *invoices) if n]
    return f"{shipment.number} ({', '.join(refs)})" if refs else shipment.number


def fmt_state(value: Any) -> Markup:
    label = STATE_LABELS.get(value, value)
    return Markup('<span class="state-%s">%s</span>') % (value, label)


def refuse_as_page(check) -> None:
    """Run a service check in a FAB form hook: its problems become the form's error message, nothing saved."""
    try:
        with db.session.no_autoflush:
            check()
    except DomainError as exc:
        db.session.rollback()
        raise ValueError(" ".join(exc.messages(gettext))) from exc


@titles(_l("Lines"), _l("Line"), _l("Add line"), _l("Edit line"))
class StockDocumentLineView(BaseModelView):
    datamodel = interface(StockDocumentLine)
    class_permission_name = RESOURCE_STOCK_DOCUMENT
    list_columns = ["line_no", "item", "unit", "qty", "unit_cost", "book_qty", "value", "note"]
    add_columns = edit_columns = ["document", "item", "unit", "qty", "unit_cost", "note"]
    show_columns = list_columns
    base_order = ("line_no", "asc")
    label_columns = DOC_LABELS
    page_size = 100

    def pre_add(self, item: StockDocumentLine) -> None:
        self._guard(item.document)
        item.line_no = 1 + max((ln.line_no for ln in item.document.lines if ln is not item), default=0)
        refuse_as_page(lambda: validate_line(db.session, item))

    def pre_update(self, item: StockDocumentLine) -> None:
        self._guard(item.document)
        refuse_as_page(lambda: validate_line(db.session, item))

    def pre_delete(self, item: StockDocumentLine) -> None:
        self._guard(item.document)

    def _guard(self, doc: StockDocument | None) -> None:
        if doc is None:
            raise ValueError(gettext("Choose the document"))
        try:
            assert_editable(doc)
        except DomainError as exc:
            db.session.rollback()
            raise ValueError(" ".join(exc.messages(gettext))) from exc


class _DocumentView(BaseModelView):
    """Common configuration of the six stock document views (one per document type)."""

    doc_type = DOC_RECEIPT
    datamodel = interface(StockDocument)
    class_permission_name = RESOURCE_STOCK_DOCUMENT
    method_permission_name = CRUD | {"post_doc": ACTION_POST, "cancel_doc": ACTION_POST, "print_doc": ACTION_READ,
                                     "save_lines": ACTION_WRITE, "items": ACTION_READ}
    show_template = "fabrika/stock_document_show.html"
    list_columns = ["number", "doc_date", "state", "warehouse", "counterparty", "posted_by"]
    search_columns = ["number", "doc_date", "state", "warehouse", "partner"]
    add_columns = edit_columns = ["doc_date", "warehouse", "partner", "note"]
    show_columns = ["number", "doc_date", "state", "warehouse", "counterparty", "note", "posted_by", "posted_at",
                    "cancelled_by", "cancelled_at"]
    base_order = ("id", "desc")
    label_columns = DOC_LABELS
    formatters_columns = {"state": fmt_state, "shipment": fmt_shipment}
    add_form_extra_fields = edit_form_extra_fields = search_form_extra_fields = {
        "partner": partner_lookup(_l("Partner"), interface(StockDocument), "partner")}

    def __init__(self, **kwargs: Any) -> None:
        self.base_filters = [["doc_type", FilterEqual, self.doc_type]]
        super().__init__(**kwargs)

    def pre_add(self, item: StockDocument) -> None:
        """The API's checks (create_document's), so a page refuses what the API refuses, in the same words."""
        item.doc_type = self.doc_type
        item.state = DocState.DRAFT
        refuse_as_page(lambda: validate_header(db.session, item))
        fill_from_shipment(db.session, item)

    def post_add(self, item: StockDocument) -> None:
        g.stock_document_added = item.id

    def post_add_redirect(self) -> Response:
        """A saved header opens its draft, where the lines are entered (not the list, to find it again)."""
        added = getattr(g, "stock_document_added", None)
        return redirect(url_for(f"{self.endpoint}.show", pk=added)) if added else super().post_add_redirect()

    def post_edit_redirect(self) -> Response:
        pk = request.view_args.get("pk") if request.view_args else None
        return redirect(url_for(f"{self.endpoint}.show", pk=pk)) if pk else super().post_edit_redirect()

    def pre_update(self, item: StockDocument) -> None:
        self._guard(item)
        refuse_as_page(lambda: validate_header(db.session, item))

    def pre_delete(self, item: StockDocument) -> None:
        self._guard(item)

    def _guard(self, item: StockDocument) -> None:
        try:
            assert_editable(item)
        except DomainError as exc:
            db.session.rollback()
            raise ValueError(" ".join(exc.messages(gettext))) from exc

    def _doc_actions(self, item: StockDocument) -> list[dict]:
        actions = []
        sm = self.appbuilder.sm
        if STOCK_DOCUMENT.allows(item.state, "post") and sm.has_access(f"can_{ACTION_POST}",
                                                                       self.class_permission_name):
            actions.append(dict(endpoint="post_doc", method="post", label=gettext("Post"), icon="fa-check",
                                css="btn-primary", confirm=gettext("Post this document? It moves stock.")))
        if STOCK_DOCUMENT.allows(item.state, "cancel") and sm.has_access(f"can_{ACTION_POST}",
                                                                         self.class_permission_name):
            actions.append(dict(endpoint="cancel_doc", method="post", label=gettext("Cancel posting"),
                                icon="fa-undo", css="btn-warning",
                                confirm=gettext("Cancel this document? Reversal entries will be posted today.")))
        actions.append(dict(endpoint="print_doc", method="get", label=gettext("Print"), icon="fa-print",
                            css="btn-default"))
        return actions

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk, rows: list[dict] | None = None):
        return show_page(self, pk, lambda item: dict(
            doc_actions=self._doc_actions(item), doc_locked=item.state != DocState.DRAFT,
            grid=grid_context(item, self._can_edit(item), rows)))

    def _can_edit(self, item: StockDocument) -> bool:
        return STOCK_DOCUMENT.allows(item.state, "edit") and self.appbuilder.sm.has_access(
            f"can_{ACTION_WRITE}", self.class_permission_name)

    @expose("/lines/<int:pk>", methods=["POST"])
    @has_access
    def save_lines(self, pk: int):
        """Save the draft's whole grid of lines (one use case); a refusal shows the grid again as typed."""
        self._check_type(pk)
        rows = typed_rows()
        try:
            run_use_case(db.session, lambda: save_lines(db.session, pk, read_grid(rows),
                                                        request.form.get("row_version")))
        except DomainError as exc:
            db.session.rollback()
            flash_domain_error(exc)
            return self.show(pk, rows), 400
        flash(gettext("Lines saved"), "success")
        return redirect(url_for(f"{self.endpoint}.show", pk=pk))

    @expose("/items.json", methods=["GET"])
    @has_access
    def items(self) -> Response:
        """Items whose code or name contains q (any language, any case), with the units a line may use."""
        return jsonify(item_choices(db.session, request.args.get("q", ""), locale_name()[:2]))

    @expose("/post/<int:pk>", methods=["POST"])
    @has_access
    def post_doc(self, pk: int) -> Response:
        """Post; a backdated document that later documents depend on gets a confirm step naming them."""
        from app.services.stock.backdating import is_backdated_refusal

        self._check_type(pk)
        confirmed = request.form.get("confirm_backdated") == "1"
        back = url_for(f"{self.endpoint}.show", pk=pk)
        try:
            doc = post_document(db.session, pk, confirm_backdated=confirmed)
        except DomainError as exc:
            if not confirmed and is_backdated_refusal(exc):
                return self.render_template("fabrika/stock_backdated_confirm.html", back=back,
                                            messages=exc.messages(gettext),
                                            action=url_for(f"{self.endpoint}.post_doc", pk=pk),
                                            recost=url_for("BackdatedRecostView.preview", pk=pk)
                                            if self.doc_type in (DOC_RECEIPT, DOC_ISSUE) else None)
            flash_domain_error(exc)
            return redirect(back)
        flash(gettext("Document %(number)s posted", number=doc.number), "success")
        return redirect(back)

    @expose("/cancel/<int:pk>", methods=["POST"])
    @has_access
    def cancel_doc(self, pk: int) -> Response:
        self._check_type(pk)
        return run_command(lambda: cancel_document(db.session, pk, date.today()),
                           lambda doc: gettext("Document %(number)s cancelled", number=doc.number),
                           url_for(f"{self.endpoint}.show", pk=pk))

    @expose("/print/<int:pk>")
    @has_access
    def print_doc(self, pk: int) -> Response:
        self._check_type(pk)
        from app.services.stock.printing import stock_document_pdf

        return printed_form(stock_document_pdf, pk)

    def _check_type(self, pk: int) -> None:
        doc = db.session.get(StockDocument, pk)
        if doc is None or doc.doc_type != self.doc_type:
            abort(404)


@titles(_l("Goods receipts"), _l("Goods receipt"), _l("New goods receipt"), _l("Edit goods receipt"))
class ReceiptView(_DocumentView):
    doc_type = DOC_RECEIPT
    add_columns = edit_columns = ["doc_date", "warehouse", "partner", "currency", "rate", "note"]
    show_columns = _DocumentView.show_columns + ["currency", "rate"]


def _shown_reason(text: str | None) -> str:
    """A reason in the reader's language when the service desk wrote it (a repair's issue of parts)."""
    from app.services.service_desk.repairs import shown_reason

    return shown_reason(text)


@titles(_l("Goods issues and write-offs"), _l("Goods issue"), _l("New goods issue"), _l("Edit goods issue"))
class IssueView(_DocumentView):
    doc_type = DOC_ISSUE
    formatters_columns = {**_DocumentView.formatters_columns, "reason": lambda v: _shown_reason(v)}
    list_columns = ["number", "doc_date", "state", "warehouse", "reason", "posted_by"]
    add_columns = edit_columns = ["doc_date", "warehouse", "reason", "partner", "note"]
    show_columns = _DocumentView.show_columns + ["reason"]


@titles(_l("Transfers"), _l("Transfer"), _l("New transfer"), _l("Edit transfer"))
class TransferView(_DocumentView):
    doc_type = DOC_TRANSFER
    list_columns = ["number", "doc_date", "state", "warehouse", "dest_warehouse", "posted_by"]
    add_columns = edit_columns = ["doc_date", "warehouse", "dest_warehouse", "note"]
    show_columns = _DocumentView.show_columns + ["dest_warehouse"]


@titles(_l("Stock counts"), _l("Stock count"), _l("New stock count"), _l("Edit stock count"))
class CountView(_DocumentView):
    doc_type = DOC_COUNT
    add_columns = edit_columns = ["doc_date", "warehouse", "note"]


@titles(_l("Customer returns"), _l("Customer return"), _l("New customer return"), _l("Edit customer return"))
class CustomerReturnView(_DocumentView):
    """A return names the shipment the goods come back from: its lines start as what can still come back."""

    doc_type = DOC_CUSTOMER_RETURN
    add_columns = edit_columns = ["doc_date", "warehouse", "shipment", "partner", "note"]
    show_columns = _DocumentView.show_columns + ["shipment"]
    add_form_query_rel_fields = edit_form_query_rel_fields = {"shipment": [["state", FilterEqual, DocState.POSTED]]}
    description_columns = {"shipment": _l("The lines are filled with what was shipped and not yet returned")}


@titles(_l("Returns to suppliers"), _l("Return to supplier"),
        _l("New return to supplier"), _l("Edit return to supplier"))
class SupplierReturnView(_DocumentView):
    doc_type = DOC_SUPPLIER_RETURN


@titles(_l("Opening balances"), _l("Opening balance"), _l("New opening balance"), _l("Edit opening balance"))
class OpeningBalanceView(_DocumentView):
    """A warehouse's opening balance (moving in, mostly from an import): posted and cancelled like a receipt."""

    doc_type = DOC_OPENING
    formatters_columns = {**_DocumentView.formatters_columns, "reason": lambda v: message_text(v)}
    list_columns = ["number", "doc_date", "state", "warehouse", "reason", "posted_by"]
    add_columns = edit_columns = ["doc_date", "warehouse", "note"]
    show_columns = _DocumentView.show_columns + ["reason"]


class _LedgerView(ReadOnlyModelView):
    """The read-only ledger registers (balances, moves, lots): the stock-report permission, long pages."""

    class_permission_name = RESOURCE_STOCK_REPORT
    page_size = 50


@titles(_l("Stock on hand"), _l("Stock on hand"))
class StockBalanceView(_LedgerView):
    datamodel = interface(StockBalance)
    list_columns = ["item", "warehouse", "qty", "reserved", "value", "last_move_date"]
    show_columns = list_columns + ["last_unit_cost"]
    search_columns = ["item", "warehouse", "qty", "last_move_date"]
    label_columns = DOC_LABELS | {"last_unit_cost": _l("Last unit cost")}
    base_order = ("id", "asc")


@titles(_l("Stock ledger"), _l("Stock move"))
class StockMoveView(_LedgerView):
    datamodel = interface(StockMove)
    list_columns = ["move_date", "doc_number", "kind", "item", "warehouse", "qty", "value", "username"]
    show_columns = list_columns + ["lot", "revaluation", "created_at"]
    search_columns = ["move_date", "doc_number", "kind", "item", "warehouse"]
    label_columns = DOC_LABELS | {"created_at": _l("Created")}
    base_order = ("id", "desc")


@titles(_l("Lots"), _l("Lot"))
class StockLotView(_LedgerView):
    datamodel = interface(StockLot)
    list_columns = ["code", "item", "warehouse", "received_on", "qty", "unit_cost", "qty_remaining",
                    "value_remaining", "age_days"]
    show_columns = list_columns + ["doc_number"]
    search_columns = ["code", "item", "warehouse", "received_on", "qty_remaining"]
    label_columns = DOC_LABELS | {"qty": _l("Received quantity")}
    base_order = ("received_on", "asc")
    formatters_columns = {"received_on": fmt_date}


DOC_VIEWS = (ReceiptView, IssueView, TransferView, CountView, CustomerReturnView, SupplierReturnView,
             OpeningBalanceView)


def register(appbuilder) -> None:
    cat = dict(category=CAT_STOCK)
    appbuilder.add_view(ReceiptView, "Goods receipts", label=_l("Goods receipts"), icon="fa-sign-in",
                        category=CAT_STOCK, category_label=_l("Warehouse"), category_icon="fa-archive")
    appbuilder.add_view(IssueView, "Goods issues", label=_l("Goods issues and write-offs"), icon="fa-sign-out", **cat)
    appbuilder.add_view(TransferView, "Transfers", label=_l("Transfers"), icon="fa-exchange", **cat)
    appbuilder.add_view(CountView, "Stock counts", label=_l("Stock counts"), icon="fa-check-square-o", **cat)
    appbuilder.add_view(CustomerReturnView, "Customer returns", label=_l("Customer returns"), icon="fa-reply", **cat)
    appbuilder.add_view(SupplierReturnView, "Returns to suppliers", label=_l("Returns to suppliers"),
                        icon="fa-share", **cat)
    appbuilder.add_view(OpeningBalanceView, "Opening balances", label=_l("Opening balances"), icon="fa-flag-o", **cat)
    appbuilder.add_separator(CAT_STOCK)
    appbuilder.add_view(StockBalanceView, "Stock on hand", label=_l("Stock on hand"), icon="fa-cubes", **cat)
    appbuilder.add_view(StockLotView, "Lots", label=_l("Lots"), icon="fa-barcode", **cat)
    appbuilder.add_view(StockMoveView, "Stock ledger", label=_l("Stock ledger"), icon="fa-book", **cat)
    appbuilder.add_view_no_menu(StockDocumentLineView)
