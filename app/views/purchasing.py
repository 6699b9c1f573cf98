"""Purchasing views: the product matrix, purchase requests (with the reason of every line), purchase
orders with receiving, reorder points, run history; the pages (dashboard, methods, ABC, settings)
live in app/views/purchasing_pages.py.

Views only configure and call app.services.purchasing; a DomainError becomes translated flash
messages. Permissions: read to see, write to edit and generate, post to send / confirm / receive.
"""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any

from flask import Response, abort, flash, redirect, request, url_for
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from app.domain.documents import PURCHASE_ORDER, PURCHASE_REQUEST
from app.domain.errors import DomainError
from app.extensions import db
from app.models.purchasing import (
    PO_DRAFT,
    REQ_DRAFT,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseReceipt,
    PurchaseRequest,
    PurchaseRequestLine,
    PurchasingRun,
    ReorderPoint,
    SupplierOffer,
)
from app.permissions import ACTION_POST, ACTION_READ, CRUD, READ_ONLY, RESOURCE_PURCHASING
from app.services.base import current_actor
from app.services.purchasing import orders as order_svc
from app.services.purchasing import registers, requests, sending
from app.services.sequences import next_number
from app.services.workflow import check
from app.views.access import may_open
from app.views.base import (
    BaseModelView,
    ReadOnlyModelView,
    flash_domain_error,
    fmt_money,
    fmt_qty,
    interface,
    pdf_response,
)
from app.views.fields import input_text
from app.views.production.common import ShowWithActions, action, guarded
from app.views.purchasing_labels import (
    LABELS,
    REORDER_LABELS,
    fmt_count,
    fmt_method,
    fmt_methods,
    fmt_order_state,
    fmt_request_state,
    fmt_source_ref,
    fmt_trigger,
    fmt_yes_no,
    reason_short,
    reason_table,
)
from app.views.titles import one_form, titles
from app.views.versioned import VersionedEditMixin

CAT = "PurchasingMenu"




class _PurchasingView:
    """Purchasing registers and documents: one permission, one label table."""

    class_permission_name = RESOURCE_PURCHASING
    label_columns = LABELS

@titles(_l("Product matrix"), _l("Supplier offer"), _l("New supplier offer"), _l("Edit supplier offer"))
class SupplierOfferView(_PurchasingView, VersionedEditMixin, BaseModelView):
    datamodel = interface(SupplierOffer)
    list_columns = ["item", "supplier", "price", "currency", "valid_from", "valid_to", "min_qty", "pack_qty",
                    "lead_time_days", "supplier_item_code", "active"]
    add_columns = edit_columns = ["supplier", "item", "price", "currency", "valid_from", "valid_to", "min_qty",
                                  "pack_qty", "lead_time_days", "supplier_item_code", "characteristics", "active"]
    show_columns = add_columns
    search_columns = ["item", "supplier", "currency", "valid_from", "valid_to", "lead_time_days", "active",
                      "supplier_item_code"]
    formatters_columns = {"active": fmt_yes_no, "lead_time_days": fmt_count}
    base_order = ("id", "desc")

    def pre_add(self, item: SupplierOffer) -> None:
        guarded(lambda: registers.validate_offer(item))

    def pre_update(self, item: SupplierOffer) -> None:
        super().pre_update(item)  # the version it was opened with
        guarded(lambda: registers.validate_offer(item))


@titles(_l("Reorder points (min / max)"), _l("Reorder point"), _l("New reorder point"), _l("Edit reorder point"))
@one_form("item", "warehouse", "min_qty", "max_qty", "active")
class ReorderPointView(_PurchasingView, BaseModelView):
    datamodel = interface(ReorderPoint)
    search_columns = ["item", "warehouse", "min_qty", "max_qty", "active"]
    label_columns = REORDER_LABELS
    formatters_columns = {"active": fmt_yes_no}
    base_order = ("id", "asc")

    def pre_add(self, item: ReorderPoint) -> None:
        guarded(lambda: registers.validate_reorder_point(item))

    def pre_update(self, item: ReorderPoint) -> None:
        guarded(lambda: registers.validate_reorder_point(item))


@titles(_l("Lines"), _l("Request line"), _l("Add line"), _l("Edit line"))
class PurchaseRequestLineView(_PurchasingView, ShowWithActions):
    datamodel = interface(PurchaseRequestLine)
    list_columns = ["line_no", "item", "qty", "excess", "price", "currency", "amount_base", "need_by", "source",
                    "why"]
    add_columns = ["request", "item", "qty", "note"]
    edit_columns = ["item", "qty", "note"]
    show_columns = ["request", "line_no", "item", "qty", "price", "currency", "amount_base", "need_by", "source",
                    "source_ref", "note", "reason"]
    label_columns = LABELS | {"why": _l("Why")}
    show_template = "fabrika/purchasing_show.html"
    formatters_columns = {"reason": reason_table, "source": fmt_method, "why": reason_short,
                          "source_ref": fmt_source_ref, "excess": fmt_qty}
    base_order = ("line_no", "asc")
    page_size = 100

    def _guard(self, item: PurchaseRequestLine) -> None:
        req = item.request or (db.session.get(PurchaseRequest, item.request_id) if item.request_id else None)
        if req is None:
            raise ValueError(gettext("Choose the request"))
        guarded(lambda: registers.price_request_line(db.session, req, item))
        req.total_base = registers.request_total(req, item)  # in FAB's one commit of this save

    def pre_add(self, item: PurchaseRequestLine) -> None:
        self._guard(item)

    def pre_update(self, item: PurchaseRequestLine) -> None:
        self._guard(item)

    def pre_delete(self, item: PurchaseRequestLine) -> None:
        guarded(lambda: requests.assert_draft(item.request))
        item.request.total_base = registers.request_total(item.request, item, removed=True)


class _SupplierDocumentView(ShowWithActions):
    """Shared: print in the supplier's language or ru / es, XLSX / CSV export, e-mail to the supplier."""

    kind = "request"

    @expose("/print/<int:pk>")
    @has_access
    def print_doc(self, pk: int) -> Response:
        from app.services.company import printed_by

        try:
            data, name = sending.pdf(db.session, self.kind, pk, request.args.get("lang"), printed_by())
        except DomainError:
            abort(404)
        return pdf_response(data, name)

    @expose("/file/<int:pk>/<string:fmt>")
    @has_access
    def export_doc(self, pk: int, fmt: str) -> Response:
        try:
            data, name, mime = sending.export(db.session, self.kind, pk, fmt, gettext)
        except DomainError:
            abort(404)
        return Response(data, mimetype=mime, headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @expose("/email/<int:pk>", methods=["POST"])
    @has_access
    def email_doc(self, pk: int) -> Response:
        from app.services.company import printed_by

        try:
            msg = sending.email(db.session, self.kind, pk, request.form.get("lang") or None, printed_by())
            flash(gettext("Sent to %(address)s", address=msg.recipients), "success")
        except DomainError as exc:
            flash_domain_error(exc)
        return redirect(url_for(f"{self.endpoint}.show", pk=pk))

    def _file_actions(self) -> list[dict]:
        return [action("print_doc", gettext("PDF"), "fa-print"),
                dict(action("export_doc", "XLSX", "fa-file-excel-o"), fmt="xlsx"),
                dict(action("export_doc", "CSV", "fa-file-text-o"), fmt="csv")]

    def _command(self, pk: int, fn, message: str) -> Response:
        try:
            result = fn()
            flash(message % {"number": getattr(result, "number", "")}, "success")
        except DomainError as exc:
            flash_domain_error(exc)
        return redirect(url_for(f"{self.endpoint}.show", pk=pk))


@titles(_l("Purchase requests"), _l("Purchase request"), _l("New purchase request"), _l("Edit purchase request"))
class PurchaseRequestView(_PurchasingView, _SupplierDocumentView):
    kind = "request"
    datamodel = interface(PurchaseRequest)
    method_permission_name = CRUD | {
        "print_doc": ACTION_READ, "export_doc": ACTION_READ, "email_doc": ACTION_POST, "send_doc": ACTION_POST,
        "confirm_doc": ACTION_POST, "cancel_doc": ACTION_POST,
    }
    show_template = "fabrika/purchasing_show.html"
    related_views = [PurchaseRequestLineView]
    list_columns = ["number", "request_date", "state", "supplier", "warehouse", "total_base", "created_by", "sent_at"]
    add_columns = ["supplier", "warehouse", "request_date", "note"]
    edit_columns = ["supplier", "warehouse", "note"]
    show_columns = ["number", "request_date", "state", "supplier", "warehouse", "total_base", "note", "created_by",
                    "sent_by", "sent_at"]
    search_columns = ["number", "request_date", "state", "supplier", "warehouse", "created_by"]
    formatters_columns = {"state": fmt_request_state}
    base_order = ("id", "desc")

    def pre_add(self, item: PurchaseRequest) -> None:
        item.state = REQ_DRAFT
        item.request_date = item.request_date or date.today()
        item.number = next_number(db.session, requests.DOC_TYPE, item.request_date, requests.PREFIX)
        item.created_by = current_actor().username

    def pre_update(self, item: PurchaseRequest) -> None:
        """Another supplier chosen: the lines take that supplier's prices (kept when it has no offer)."""
        guarded(lambda: requests.assert_draft(item))
        for line in item.lines:
            registers.price_request_line(db.session, item, line)
        item.total_base = registers.request_total(item)


    def pre_delete(self, item: PurchaseRequest) -> None:
        guarded(lambda: requests.assert_draft(item))

    def _doc_actions(self, item: PurchaseRequest) -> list[dict]:
        out = []
        allows = partial(PURCHASE_REQUEST.allows, item.state)
        if self._can(ACTION_POST):
            if allows("send"):
                out += [action("email_doc", gettext("E-mail to the supplier"), "fa-envelope", "btn-primary", "post",
                               gettext("Send this request to the supplier by e-mail?")),
                        action("send_doc", gettext("Mark as sent"), "fa-paper-plane", "btn-default", "post",
                               gettext("Mark this request as sent to the supplier?"))]
            if allows("confirm"):
                out.append(action("confirm_doc", gettext("Confirmed: make the order"), "fa-check", "btn-success",
                                  "post", gettext("The supplier confirmed? A purchase order will be made.")))
            if allows("cancel"):
                out.append(action("cancel_doc", gettext("Cancel the request"), "fa-ban", "btn-warning", "post",
                                  gettext("Cancel this request?")))
        return out + self._file_actions()

    @expose("/send/<int:pk>", methods=["POST"])
    @has_access
    def send_doc(self, pk: int) -> Response:
        return self._command(pk, lambda: requests.mark_sent(db.session, pk), gettext("Request %(number)s sent"))

    @expose("/confirm/<int:pk>", methods=["POST"])
    @has_access
    def confirm_doc(self, pk: int) -> Response:
        try:
            orders = order_svc.orders_from_request(db.session, pk)
            flash(gettext("Purchase order %(number)s made", number=", ".join(o.number for o in orders)), "success")
            return redirect(url_for("PurchaseOrderView.show", pk=orders[0].id))
        except DomainError as exc:
            flash_domain_error(exc)
        return redirect(url_for(f"{self.endpoint}.show", pk=pk))

    @expose("/cancel/<int:pk>", methods=["POST"])
    @has_access
    def cancel_doc(self, pk: int) -> Response:
        return self._command(pk, lambda: requests.cancel_request(db.session, pk),
                             gettext("Request %(number)s cancelled"))


@titles(_l("Lines"), _l("Order line"), _l("Add line"), _l("Edit line"))
class PurchaseOrderLineView(_PurchasingView, BaseModelView):
    datamodel = interface(PurchaseOrderLine)
    list_columns = ["line_no", "item", "supplier_item_code", "qty", "price", "amount", "received_qty"]
    add_columns = ["order", "item", "qty", "price", "supplier_item_code"]
    edit_columns = ["item", "qty", "price", "supplier_item_code"]
    show_columns = ["order", *list_columns]
    base_order = ("line_no", "asc")
    page_size = 100

    def _guard(self, item: PurchaseOrderLine) -> None:
        order = item.order or (db.session.get(PurchaseOrder, item.order_id) if item.order_id else None)
        if order is None:
            raise ValueError(gettext("Choose the order"))
        guarded(lambda: registers.price_order_line(order, item))
        order.total = registers.order_total(order, item)  # in FAB's one commit of this save

    def pre_add(self, item: PurchaseOrderLine) -> None:
        self._guard(item)

    def pre_update(self, item: PurchaseOrderLine) -> None:
        self._guard(item)

    def pre_delete(self, item: PurchaseOrderLine) -> None:
        guarded(lambda: check(PURCHASE_ORDER, item.order, "edit"))
        item.order.total = registers.order_total(item.order, item, removed=True)



def _stock_document_link(doc: Any) -> Markup | str:
    """The goods receipt posted for the order, one click away in the stock register."""
    if doc is None:
        return ""
    if not may_open("ReceiptView.show"):
        return doc.number
    return Markup('<a href="%s">%s</a>') % (url_for("ReceiptView.show", pk=doc.id), doc.number)


@titles(_l("Receipts against orders"), _l("Receipt against an order"))
class PurchaseReceiptView(_PurchasingView, ReadOnlyModelView):
    datamodel = interface(PurchaseReceipt)
    list_columns = ["document", "receipt_date", "order", "price_difference", "received_by"]
    show_columns = list_columns
    search_columns = ["doc_number", "receipt_date", "order", "price_difference"]
    label_columns = LABELS | {"document": LABELS["doc_number"]}
    base_order = ("id", "desc")
    formatters_columns = {"price_difference": lambda v: Markup('<span class="label label-warning">%s</span>') % (
        gettext("Price differs"),) if v else "", "document": _stock_document_link}


@titles(_l("Purchase orders"), _l("Purchase order"), _l("New purchase order"), _l("Edit purchase order"))
class PurchaseOrderView(_PurchasingView, _SupplierDocumentView):
    kind = "order"
    datamodel = interface(PurchaseOrder)
    method_permission_name = CRUD | {
        "print_doc": ACTION_READ, "export_doc": ACTION_READ, "email_doc": ACTION_POST, "send_doc": ACTION_POST,
        "confirm_doc": ACTION_POST, "cancel_doc": ACTION_POST, "receive": ACTION_POST, "close_doc": ACTION_POST,
    }
    show_template = "fabrika/purchasing_show.html"
    related_views = [PurchaseOrderLineView, PurchaseReceiptView]
    list_columns = ["number", "order_date", "state", "supplier", "warehouse", "total", "currency", "expected_date"]
    add_columns = ["supplier", "warehouse", "currency", "order_date", "expected_date", "note"]
    edit_columns = ["supplier", "warehouse", "currency", "expected_date", "note"]
    show_columns = ["number", "order_date", "state", "supplier", "warehouse", "currency", "total", "expected_date",
                    "request", "note", "sent_by", "sent_at", "confirmed_by", "confirmed_at"]
    search_columns = ["number", "order_date", "state", "supplier", "warehouse", "expected_date", "request"]
    formatters_columns = {"state": fmt_order_state}
    base_order = ("id", "desc")

    def pre_add(self, item: PurchaseOrder) -> None:
        item.state = PO_DRAFT
        item.order_date = item.order_date or date.today()
        item.number = next_number(db.session, order_svc.DOC_TYPE, item.order_date, order_svc.PREFIX)

    def pre_update(self, item: PurchaseOrder) -> None:
        guarded(lambda: check(PURCHASE_ORDER, item, "edit"))

    pre_delete = pre_update

    def _doc_actions(self, item: PurchaseOrder) -> list[dict]:
        out = []
        allows = partial(PURCHASE_ORDER.allows, item.state)
        if self._can(ACTION_POST):
            if allows("send"):
                out += [action("email_doc", gettext("E-mail to the supplier"), "fa-envelope", "btn-primary", "post",
                               gettext("Send this order to the supplier by e-mail?")),
                        action("send_doc", gettext("Mark as sent"), "fa-paper-plane", "btn-default", "post",
                               gettext("Mark this order as sent to the supplier?"))]
            if allows("confirm"):
                out.append(action("confirm_doc", gettext("Confirmed by the supplier"), "fa-check", "btn-default",
                                  "post", gettext("Mark this order as confirmed by the supplier?")))
            if allows("receive"):
                out.append(action("receive", gettext("Receive goods"), "fa-truck", "btn-success"))
            if allows("close"):
                out.append(action("close_doc", gettext("Close: the rest will not come"), "fa-stop", "btn-warning",
                                  "post", gettext("Close this order? The rest will no longer count as on order.")))
            if allows("cancel"):
                out.append(action("cancel_doc", gettext("Cancel the order"), "fa-ban", "btn-warning", "post",
                                  gettext("Cancel this order?")))
        return out + self._file_actions()

    @expose("/send/<int:pk>", methods=["POST"])
    @has_access
    def send_doc(self, pk: int) -> Response:
        return self._command(pk, lambda: order_svc.mark_order_sent(db.session, pk), gettext("Order %(number)s sent"))

    @expose("/confirm/<int:pk>", methods=["POST"])
    @has_access
    def confirm_doc(self, pk: int) -> Response:
        return self._command(pk, lambda: order_svc.confirm_order(db.session, pk),
                             gettext("Order %(number)s confirmed"))

    @expose("/cancel/<int:pk>", methods=["POST"])
    @has_access
    def cancel_doc(self, pk: int) -> Response:
        return self._command(pk, lambda: order_svc.cancel_order(db.session, pk), gettext("Order %(number)s cancelled"))

    @expose("/close/<int:pk>", methods=["POST"])
    @has_access
    def close_doc(self, pk: int) -> Response:
        return self._command(pk, lambda: order_svc.close_short(db.session, pk), gettext("Order %(number)s closed"))

    @expose("/receive/<int:pk>", methods=["GET", "POST"])
    @has_access
    def receive(self, pk: int) -> Any:
        order = db.session.get(PurchaseOrder, pk) or abort(404)
        ask_backdated = False
        if request.method == "POST":
            lines = [order_svc.ReceiveLine(ln.id, request.form.get(f"qty_{ln.id}", ""),
                                           request.form.get(f"price_{ln.id}") or None) for ln in order.lines]
            on = request.form.get("date", "")
            confirmed = request.form.get("confirm_backdated") == "1"
            try:
                receipt = order_svc.receive_order(db.session, pk, lines, date.fromisoformat(on) if on else None,
                                                  request.form.get("note", ""), confirm_backdated=confirmed)
                flash(gettext("Goods receipt %(number)s posted", number=receipt.doc_number), "success")
                if receipt.price_difference:
                    flash(gettext("Prices differ from the order on some lines: settle them with the supplier"),
                          "warning")
                return redirect(url_for(f"{self.endpoint}.show", pk=pk))
            except ValueError:
                flash(gettext("Not a date: %(value)s", value=on), "danger")
            except DomainError as exc:
                from app.services.stock.backdating import is_backdated_refusal

                ask_backdated = is_backdated_refusal(exc)  # the form comes back with the confirm box
                flash_domain_error(exc)
        return self.render_template("fabrika/purchasing_receive.html", order=order, fmt_qty=fmt_qty, plain=_plain,
                                    fmt_money=fmt_money, today=date.today(), form=request.form,
                                    ask_backdated=ask_backdated,
                                    title=gettext("Receive goods against order %(number)s", number=order.number))


def _plain(value: Any) -> str:
    """A Decimal for an input box in the reader's format, which the one parser reads back (40, 1,125)."""
    return input_text(value) if value is not None else ""


@titles(_l("Reorder runs"), _l("Reorder run"))
class PurchasingRunView(_PurchasingView, ReadOnlyModelView):
    datamodel = interface(PurchasingRun)
    method_permission_name = READ_ONLY
    list_columns = ["started_at", "trigger", "methods", "username", "requests_created", "lines_created",
                    "lines_updated", "value_base"]
    show_columns = list_columns
    search_columns = ["started_at", "trigger", "methods", "username"]
    formatters_columns = {"trigger": fmt_trigger, "methods": fmt_methods, "requests_created": fmt_count,
                          "lines_created": fmt_count, "lines_updated": fmt_count}
    base_order = ("id", "desc")


def register(appbuilder) -> None:
    from app.views import purchasing_pages

    cat = dict(category=CAT)
    appbuilder.add_view(purchasing_pages.PurchasingDashboardView, "Purchasing dashboard",
                        label=_l("Purchasing dashboard"), icon="fa-tachometer", category=CAT,
                        category_label=_l("Purchasing"), category_icon="fa-shopping-cart")
    appbuilder.add_view(PurchaseRequestView, "Purchase requests", label=_l("Purchase requests"), icon="fa-list-alt",
                        **cat)
    appbuilder.add_view(PurchaseOrderView, "Purchase orders", label=_l("Purchase orders"), icon="fa-file-text-o",
                        **cat)
    appbuilder.add_view(SupplierOfferView, "Product matrix", label=_l("Product matrix"), icon="fa-table", **cat)
    appbuilder.add_view(ReorderPointView, "Reorder points", label=_l("Reorder points (min / max)"),
                        icon="fa-sliders", **cat)
    appbuilder.add_separator(CAT)
    appbuilder.add_view(purchasing_pages.GenerateView, "Generate requests", label=_l("Generate requests"),
                        icon="fa-magic", **cat)
    appbuilder.add_view(purchasing_pages.AbcView, "ABC analysis", label=_l("ABC analysis"), icon="fa-bar-chart",
                        **cat)
    appbuilder.add_view(purchasing_pages.BestOfferView, "Best offer", label=_l("Best offer"), icon="fa-trophy", **cat)
    appbuilder.add_view(PurchasingRunView, "Reorder runs", label=_l("Reorder runs"), icon="fa-history", **cat)
    appbuilder.add_view(purchasing_pages.PurchasingSettingsView, "Purchasing settings",
                        label=_l("Purchasing settings"), icon="fa-cog", **cat)
    appbuilder.add_view_no_menu(PurchaseRequestLineView)
    appbuilder.add_view_no_menu(PurchaseOrderLineView)
    appbuilder.add_view_no_menu(PurchaseReceiptView)

