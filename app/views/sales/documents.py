"""Shipment, invoice and payment views: registers with print buttons, the shipping form (lines and
transport), the delivery schedule by date, invoicing from an order, registering payments.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from functools import partial

from flask import Response, abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView
from flask_appbuilder.baseviews import expose
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.domain.documents import SALES_INVOICE, SHIPMENT
from app.domain.errors import DomainError
from app.extensions import db
from app.models.partners import Partner
from app.models.sales import (
    DOC_CANCELLED,
    DOC_DRAFT,
    INVOICE_KIND_INVOICE,
    Payment,
    SalesInvoice,
    SalesInvoiceLine,
    SalesOrder,
    SalesOrderLine,
    Shipment,
    ShipmentLine,
)
from app.permissions import ACTION_POST, ACTION_READ, ACTION_WRITE, CRUD, READ_ONLY, RESOURCE_INVOICE, RESOURCE_SHIPMENT
from app.services.sales import invoices as inv_svc
from app.services.sales import shipments as ship_svc
from app.services.sales.labels import PAYMENT_METHOD_LABELS
from app.services.stock.reservations import reserved_for
from app.views.access import may_open
from app.views.base import BaseModelView, ReadOnlyModelView, flash_domain_error, fmt_date, interface, run_command
from app.views.base import command_button as _act
from app.views.fields import input_text
from app.views.sales.common import (
    LABELS,
    NumberSearch,
    can,
    eager_interface,
    fmt_doc_state,
    fmt_payment_status,
    form_date,
    page_helpers,
)
from app.views.sales.orders import _partner_lookup
from app.views.show import printed_form
from app.views.titles import titles

SHOW_TEMPLATE = "fabrika/sales_document_show.html"
SHIP_TEMPLATE = "fabrika/sales_ship_form.html"
SCHEDULE_TEMPLATE = "fabrika/sales_schedule.html"


# --- shipments ------------------------------------------------------------------------------------------


@titles(_l("Shipment lines"), _l("Shipment line"))
class ShipmentLineView(ReadOnlyModelView):
    datamodel = interface(ShipmentLine)
    class_permission_name = RESOURCE_SHIPMENT
    list_columns = ["line_no", "item", "qty", "cost"]
    show_columns = ["shipment", *list_columns]
    base_order = ("line_no", "asc")
    label_columns = LABELS | {"shipment": _l("Shipment")}


class ShipmentView(NumberSearch, BaseModelView):
    """Shipments with their transport; new ones are made from an order (the shipping form)."""

    datamodel = eager_interface(Shipment, "partner", "order", "carrier")
    class_permission_name = RESOURCE_SHIPMENT
    method_permission_name = CRUD | {"new": ACTION_POST, "post_doc": ACTION_POST, "cancel_doc": ACTION_POST,
                                     "print_doc": ACTION_READ}
    list_title = _l("Shipments")
    show_title = _l("Shipment")
    edit_title = _l("Edit transport")
    list_columns = ["number", "ship_date", "partner", "order", "state", "carrier", "delivery_date", "window_from",
                    "window_to", "amount_total"]
    search_columns = ["number", "ship_date", "partner", "state", "carrier", "delivery_date", "driver", "vehicle"]
    search_form_extra_fields = {"partner": _partner_lookup(Shipment, "partner"),
                                "carrier": _partner_lookup(Shipment, "carrier")}
    show_columns = ["number", "ship_date", "partner", "order", "warehouse", "state", "carrier", "vehicle", "driver",
                    "delivery_address", "delivery_date", "window_from", "window_to", "transport_cost",
                    "amount_total", "note", "posted_by", "posted_at"]
    edit_columns = ["carrier", "vehicle", "driver", "delivery_address", "delivery_date", "window_from", "window_to",
                    "transport_cost", "note"]
    base_order = ("id", "desc")
    label_columns = LABELS | {"amount_total": _l("Amount")}
    formatters_columns = {"state": fmt_doc_state}
    related_views = [ShipmentLineView]
    edit_form_query_rel_fields = {"carrier": [["is_carrier", FilterEqual, True]]}

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        flash(gettext("Shipments are made from a confirmed order: open it and press Ship"), "info")
        return redirect(url_for("SalesOrderView.list"))

    def pre_update(self, item: Shipment) -> None:
        """Transport only, through the service (its checks: carrier, window, cost)."""
        data = ship_svc.TransportInput(
            carrier_id=item.carrier.id if item.carrier else None, vehicle=item.vehicle, driver=item.driver,
            delivery_address=item.delivery_address, delivery_date=item.delivery_date, window_from=item.window_from,
            window_to=item.window_to, transport_cost=item.transport_cost, note=item.note)
        try:
            ship_svc.check_transport(db.session, item.state, data)
        except DomainError as exc:
            db.session.rollback()
            raise ValueError(" ".join(exc.messages(gettext))) from exc

    def pre_delete(self, item: Shipment) -> None:
        if not SHIPMENT.allows(item.state, "edit"):
            db.session.rollback()
            raise ValueError(gettext("Only a draft shipment can be deleted"))

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        item = self.datamodel.get(pk)
        if item is None:
            abort(404)
        actions = []
        post = can(self, ACTION_POST)
        allows = partial(SHIPMENT.allows, item.state)
        if allows("post") and post:
            actions.append(_act(url_for(".post_doc", pk=item.id), gettext("Ship"), "fa-truck", "btn-primary", "post",
                                gettext("Post the shipment? The goods leave the warehouse.")))
        if allows("cancel") and item.state != SHIPMENT.initial and post:  # a draft is deleted instead
            actions.append(_act(url_for(".cancel_doc", pk=item.id), gettext("Cancel posting"), "fa-undo",
                                "btn-warning", "post",
                                gettext("Cancel the shipment? The goods come back and are held for the order.")))
        if allows("transport") and can(self, ACTION_WRITE):
            actions.append(_act(url_for(".edit", pk=item.id), gettext("Edit transport"), "fa-edit"))
        actions.append(_act(url_for(".print_doc", pk=item.id), gettext("Print waybill"), "fa-print"))
        actions.append(_act(url_for("SalesOrderView.show", pk=item.order_id), gettext("Customer order"),
                            "fa-shopping-cart"))
        return _render(self, SHOW_TEMPLATE, pk=pk, title=self.show_title, widgets=self._show(pk),
                                    related_views=self._related_views, actions=actions)

    @expose("/new/<int:order_id>", methods=["GET", "POST"])
    @has_access
    def new(self, order_id: int):
        order = db.session.scalar(select(SalesOrder).where(SalesOrder.id == order_id).options(
            selectinload(SalesOrder.lines).selectinload(SalesOrderLine.item)))
        if order is None:
            abort(404)
        shipped = ship_svc.shipped_by_line(db.session, order.id)
        held = {i: q for (i, w), q in reserved_for(db.session, "sales_order", order.id).items()
                if w == order.warehouse_id}
        form = {"ship_date": date.today().isoformat(), "delivery_address": order.delivery_address,
                "delivery_date": (order.delivery_date or date.today()).isoformat(), "qty": {}}
        if request.method == "POST":
            form = dict(request.form) | {"qty": {ln.id: request.form.get(f"qty_{ln.id}", "") for ln in order.lines}}
            lines = [ship_svc.ShipmentLineInput(ln.id, q) for ln in order.lines
                     if (q := (request.form.get(f"qty_{ln.id}") or "").strip()) and q not in ("0",)]
            transport = ship_svc.TransportInput(
                carrier_id=int(request.form["carrier_id"]) if request.form.get("carrier_id", "").isdigit() else None,
                vehicle=request.form.get("vehicle", ""), driver=request.form.get("driver", ""),
                delivery_address=request.form.get("delivery_address", ""), delivery_date=form_date("delivery_date"),
                window_from=request.form.get("window_from", ""), window_to=request.form.get("window_to", ""),
                transport_cost=request.form.get("transport_cost") or None, note=request.form.get("note", ""))
            data = ship_svc.ShipmentInput(order.id, lines=lines, ship_date=form_date("ship_date"),
                                          transport=transport)
            try:
                if request.form.get("draft"):
                    ship = ship_svc.create_shipment(db.session, data)
                else:
                    ship = ship_svc.ship_order(db.session, data)
            except DomainError as exc:
                db.session.rollback()
                flash_domain_error(exc)
            else:
                flash(gettext("Shipment %(number)s saved", number=ship.number) if ship.state == DOC_DRAFT
                      else gettext("Shipment %(number)s posted", number=ship.number), "success")
                return redirect(url_for(".show", pk=ship.id))
        carriers = db.session.scalars(select(Partner).where(Partner.is_carrier.is_(True), Partner.active.is_(True))
                                      .order_by(Partner.name).limit(200)).all()
        rows = []
        left_held = dict(held)
        for ln in order.lines:
            if ln.item is None or ln.item.kind == "service":
                continue
            left = ln.qty - shipped.get(ln.id, 0)
            suggest = max(min(left, left_held.get(ln.item_id, 0)), 0)
            left_held[ln.item_id] = left_held.get(ln.item_id, 0) - suggest
            rows.append({"line": ln, "left": left, "held": held.get(ln.item_id, 0),
                         "value": form["qty"].get(ln.id, input_text(suggest) if suggest else "")})
        return _render(self, SHIP_TEMPLATE, order=order, rows=rows, carriers=carriers, form=form,
                                    title=gettext("Ship order %(number)s", number=order.number))

    @expose("/post/<int:pk>", methods=["POST"])
    @has_access
    def post_doc(self, pk: int) -> Response:
        return run_command(lambda: ship_svc.post_shipment(db.session, pk),
                           lambda s: gettext("Shipment %(number)s posted", number=s.number), url_for(".show", pk=pk))

    @expose("/cancel/<int:pk>", methods=["POST"])
    @has_access
    def cancel_doc(self, pk: int) -> Response:
        return run_command(lambda: ship_svc.cancel_shipment(db.session, pk),
                           lambda s: gettext("Shipment %(number)s cancelled", number=s.number), url_for(".show", pk=pk))

    @expose("/print/<int:pk>")
    @has_access
    def print_doc(self, pk: int) -> Response:
        from app.services.sales.printing import shipment_pdf

        return printed_form(shipment_pdf, pk, Shipment)


class DeliveryScheduleView(BaseView):
    """Deliveries by date: what leaves (or is due to arrive) each day, with carrier, vehicle and window."""

    route_base = "/sales/deliveries"
    class_permission_name = RESOURCE_SHIPMENT
    method_permission_name = {"index": ACTION_READ}
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        try:
            start = date.fromisoformat(request.args.get("from", ""))
        except ValueError:
            start = date.today()
        days = min(max(int(request.args.get("days", "7")) if request.args.get("days", "7").isdigit() else 7, 1), 31)
        end = start + timedelta(days=days - 1)
        rows = db.session.scalars(
            select(Shipment).where(Shipment.state != DOC_CANCELLED, Shipment.delivery_date.between(start, end))
            .options(selectinload(Shipment.partner), selectinload(Shipment.carrier), selectinload(Shipment.order))
            .order_by(Shipment.delivery_date, Shipment.window_from, Shipment.id).limit(1000)).all()
        by_day: dict[date, list[Shipment]] = {}
        for s in rows:
            by_day.setdefault(s.delivery_date, []).append(s)
        return _render(self, SCHEDULE_TEMPLATE, start=start, end=end, days=days, by_day=by_day,
                                    fmt_date=fmt_date, prev=(start - timedelta(days=days)).isoformat(),
                                    next=(start + timedelta(days=days)).isoformat(),
                                    title=gettext("Delivery schedule"))


# --- invoices and payments -------------------------------------------------------------------------------


@titles(_l("Invoice lines"), _l("Invoice line"))
class SalesInvoiceLineView(ReadOnlyModelView):
    datamodel = interface(SalesInvoiceLine)
    class_permission_name = RESOURCE_INVOICE
    list_columns = ["line_no", "item", "description", "qty", "price", "amount", "amount_tax", "amount_total"]
    show_columns = ["invoice", *list_columns]
    base_order = ("line_no", "asc")
    label_columns = LABELS


@titles(_l("Payments"), _l("Payment"))
class PaymentView(NumberSearch, ReadOnlyModelView):
    datamodel = eager_interface(Payment, "partner", "invoice")
    class_permission_name = RESOURCE_INVOICE
    method_permission_name = READ_ONLY | {"cancel_doc": ACTION_POST}
    include_route_methods = {"list", "show", "export", "cancel_doc"}
    list_columns = ["number", "pay_date", "partner", "invoice", "amount", "method", "reference", "state"]
    search_columns = ["number", "pay_date", "partner", "state", "method", "reference"]
    search_form_extra_fields = {"partner": _partner_lookup(Payment, "partner")}
    show_columns = [*list_columns, "posted_by"]
    base_order = ("id", "desc")
    label_columns = LABELS
    formatters_columns = {"state": fmt_doc_state,
                          "method": lambda v: str(PAYMENT_METHOD_LABELS.get(v, v))}

    @expose("/cancel/<int:pk>", methods=["POST"])
    @has_access
    def cancel_doc(self, pk: int) -> Response:
        return run_command(lambda: inv_svc.cancel_payment(db.session, pk),
                           lambda p: gettext("Payment %(number)s cancelled", number=p.number),
                           request.referrer or url_for(".list"))


@titles(_l("Invoices and acts"), _l("Invoice"))
class SalesInvoiceView(NumberSearch, ReadOnlyModelView):
    """Invoices and acts: made from an order, printed, paid (partially), cancelled while unpaid."""

    datamodel = eager_interface(SalesInvoice, "partner", "order", "currency")
    class_permission_name = RESOURCE_INVOICE
    method_permission_name = READ_ONLY | {"from_order": ACTION_POST, "act_from_order": ACTION_POST,
                                          "pay": ACTION_POST, "cancel_doc": ACTION_POST, "print_doc": ACTION_READ}
    include_route_methods = {"list", "show", "export", "from_order", "act_from_order", "pay", "cancel_doc",
                             "print_doc"}
    list_columns = ["number", "kind", "invoice_date", "partner", "order", "amount_total", "amount_paid", "due_date",
                    "payment_status", "currency"]
    search_columns = ["number", "kind", "invoice_date", "partner", "state", "due_date"]
    search_form_extra_fields = {"partner": _partner_lookup(SalesInvoice, "partner")}
    show_columns = ["number", "kind", "invoice_date", "partner", "order", "state", "currency", "tax_rate",
                    "amount_net", "amount_tax", "amount_total", "amount_paid", "due_date", "payment_status", "note",
                    "posted_by", "posted_at", "cancelled_by"]
    base_order = ("id", "desc")
    label_columns = LABELS
    formatters_columns = {"state": fmt_doc_state, "payment_status": fmt_payment_status,
                          "kind": lambda v: str({"invoice": _l("Invoice"), "act": _l("Act")}.get(v, v))}
    related_views = [SalesInvoiceLineView]

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        inv = self.datamodel.get(pk)
        if inv is None:
            abort(404)
        actions = [_act(url_for(".print_doc", pk=inv.id), gettext("Print"), "fa-print"),
                   _act(url_for(".print_doc", pk=inv.id, lang="ru"), "PDF ru", "fa-file-pdf-o"),
                   _act(url_for(".print_doc", pk=inv.id, lang="es"), "PDF es", "fa-file-pdf-o")]
        if inv.order_id:
            actions.append(_act(url_for("SalesOrderView.show", pk=inv.order_id), gettext("Customer order"),
                                "fa-shopping-cart"))
            if may_open("SalesOrderView.email"):
                actions.append(_act(url_for("SalesOrderView.email", pk=inv.order_id), gettext("E-mail"),
                                    "fa-envelope"))
        if SALES_INVOICE.allows(inv.state, "cancel") and inv.amount_paid == 0 and can(self, ACTION_POST):
            actions.append(_act(url_for(".cancel_doc", pk=inv.id), gettext("Cancel"), "fa-ban", "btn-warning", "post",
                                gettext("Cancel this invoice?")))
        payments = db.session.scalars(select(Payment).where(Payment.invoice_id == inv.id).order_by(Payment.id)).all()
        pay_form = (inv.kind == INVOICE_KIND_INVOICE and SALES_INVOICE.allows(inv.state, "pay")
                    and inv.amount_paid < inv.amount_total
                    and can(self, ACTION_POST))
        return _render(self, SHOW_TEMPLATE, pk=pk, title=self.show_title, widgets=self._show(pk),
                                    related_views=self._related_views, actions=actions, invoice=inv,
                                    payments=payments, pay_form=pay_form, methods=PAYMENT_METHOD_LABELS,
                                    can_post=can(self, ACTION_POST), today=date.today().isoformat(),
                                    due=input_text((inv.amount_total - inv.amount_paid).quantize(Decimal("0.01"))))

    @expose("/from_order/<int:order_id>", methods=["POST"])
    @has_access
    def from_order(self, order_id: int) -> Response:
        return self._issue(order_id, inv_svc.create_invoice)

    @expose("/act_from_order/<int:order_id>", methods=["POST"])
    @has_access
    def act_from_order(self, order_id: int) -> Response:
        return self._issue(order_id, inv_svc.create_act)

    def _issue(self, order_id: int, make) -> Response:
        try:
            inv = make(db.session, order_id)
        except DomainError as exc:
            db.session.rollback()
            flash_domain_error(exc)
            return redirect(url_for("SalesOrderView.show", pk=order_id))
        flash(gettext("%(number)s issued", number=inv.number), "success")
        return redirect(url_for(".show", pk=inv.id))

    @expose("/pay/<int:pk>", methods=["POST"])
    @has_access
    def pay(self, pk: int) -> Response:
        data = inv_svc.PaymentInput(invoice_id=pk, amount=request.form.get("amount", ""),
                                    pay_date=form_date("pay_date"), method=request.form.get("method", "bank"),
                                    reference=request.form.get("reference", ""))
        return run_command(lambda: inv_svc.register_payment(db.session, data),
                           lambda p: gettext("Payment %(number)s registered", number=p.number),
                           url_for(".show", pk=pk))

    @expose("/cancel/<int:pk>", methods=["POST"])
    @has_access
    def cancel_doc(self, pk: int) -> Response:
        return run_command(lambda: inv_svc.cancel_invoice(db.session, pk),
                           lambda i: gettext("%(number)s cancelled", number=i.number), url_for(".show", pk=pk))

    @expose("/print/<int:pk>")
    @has_access
    def print_doc(self, pk: int) -> Response:
        from app.services.sales.printing import invoice_pdf

        return printed_form(invoice_pdf, pk, SalesInvoice)


def _render(view, template: str, **ctx):
    return view.render_template(template, **(page_helpers() | ctx))
