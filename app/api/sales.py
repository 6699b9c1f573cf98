"""REST API of the sales context: orders (create, confirm, cancel, analyse), shipments (ship), invoices
and acts (issue from an order, pay), payments, order lines, popular items.

Registers are read here; every change goes through app.services.sales (validated, all problems at
once as a 422 with translated messages, nothing half-saved) exactly as in the pages.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import request
from flask_appbuilder.api import expose, protect, safe
from flask_babel import gettext

from app.api.base import ReadOnlyApi
from app.domain.errors import DomainError
from app.extensions import db
from app.models.sales import Payment, SalesInvoice, SalesInvoiceLine, SalesOrder, SalesOrderLine, Shipment
from app.permissions import (
    ACTION_APPROVE,
    ACTION_POST,
    ACTION_READ,
    ACTION_WRITE,
    READ_ONLY,
    RESOURCE_INVOICE,
    RESOURCE_SALES_ORDER,
    RESOURCE_SHIPMENT,
)
from app.services.sales import invoices as inv_svc
from app.services.sales import orders as order_svc
from app.services.sales import shipments as ship_svc
from app.services.sales.analysis import analyse, run_analysis
from app.views.base import FabrikaInterface


class _Api(ReadOnlyApi):
    """Base of this context's APIs."""


def _problems(exc: DomainError):
    return {"message": exc.messages(gettext)}


def _dec(value: Any) -> Any:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return value  # the service refuses it with a clear message


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


def _analysis_json(result) -> dict:
    return {
        "order_id": result.order_id, "number": result.number, "promise_date": _iso(result.promise_date),
        "created": [p.render(gettext) for p in result.created],
        "lines": [{
            "line_no": ln.line_no, "item": ln.code, "to_deliver": str(ln.open), "reserved": str(ln.reserved),
            "available": str(ln.available), "in_production": str(ln.in_production), "to_produce": str(ln.to_produce),
            "requested": str(ln.requested), "to_buy": str(ln.to_buy), "promise_date": _iso(ln.promise_date),
            "why": [n.render(gettext) for n in ln.notes],
            "components": [{"level": c.level, "item": c.code, "required": str(c.required),
                            "from_stock": str(c.from_stock), "in_production": str(c.in_production),
                            "to_produce": str(c.to_produce), "requested": str(c.requested), "to_buy": str(c.to_buy),
                            "lead_days": c.lead_days, "why": [n.render(gettext) for n in c.notes]}
                           for c in ln.components],
        } for ln in result.lines],
    }


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


class SalesOrderApi(_Api):
    """Customer orders; create / confirm / cancel / analyse through the services."""

    resource_name = "sales_order"
    class_permission_name = RESOURCE_SALES_ORDER
    method_permission_name = READ_ONLY | {"create_order": ACTION_WRITE, "confirm": ACTION_POST,
                                          "cancel": ACTION_POST, "analysis": ACTION_READ, "analyse": ACTION_POST,
                                          "popular": ACTION_READ}
    include_route_methods = {"get", "get_list", "info", "create_order", "confirm", "cancel", "analysis", "analyse",
                             "popular"}
    datamodel = FabrikaInterface(SalesOrder)
    list_columns = ["id", "number", "order_date", "state", "partner.id", "partner.name", "currency.code",
                    "amount_net", "amount_tax", "amount_total", "delivery_date", "warehouse.id"]
    show_columns = list_columns + ["tax_rate", "rate", "delivery_address", "delivery_terms", "payment_terms_days",
                                   "note", "proposal_id", "confirmed_by", "confirmed_at"]
    search_columns = ["number", "order_date", "state", "partner", "delivery_date"]
    order_columns = ["id", "number", "order_date", "amount_total", "delivery_date"]

    @expose("/draft", methods=["POST"])
    @protect()
    @safe
    def create_order(self):
        """Create a draft order (prices from the price list when a line has none).
        ---
        post:
          requestBody:
            content:
              application/json:
                schema:
                  type: object
          responses:
            201: {description: created}
            422: {description: validation problems}
        """
        body = request.get_json(silent=True) or {}
        try:
            data = order_svc.OrderInput(
                partner_id=body.get("partner_id") or 0, currency_code=body.get("currency"),
                order_date=_date(body.get("order_date")), delivery_address=body.get("delivery_address", ""),
                note=body.get("note", ""), proposal_id=body.get("proposal_id"), tax_rate=_dec(body.get("tax_rate")),
                warehouse_id=body.get("warehouse_id"), delivery_terms=body.get("delivery_terms", ""),
                delivery_date=_date(body.get("delivery_date")), payment_terms_days=body.get("payment_terms_days"),
                lines=[order_svc.OrderLineInput(
                    item_id=ln.get("item_id"), qty=_dec(ln.get("qty")), unit_price=_dec(ln.get("unit_price")),
                    discount_pct=_dec(ln.get("discount_pct")) or Decimal(0), description=ln.get("description", ""),
                    calculator_version_id=ln.get("calculator_version_id"),
                    calculator_inputs=ln.get("calculator_inputs"), proposal_line_id=ln.get("proposal_line_id"),
                    unit_cost_estimate=_dec(ln.get("unit_cost_estimate"))) for ln in body.get("lines", [])])
            order = order_svc.create_order(db.session, data)
        except DomainError as exc:
            return self.response(422, **_problems(exc))
        except (ValueError, TypeError, AttributeError) as exc:
            return self.response(400, message=str(exc))
        return self.response(201, id=order.id, number=order.number, state=order.state,
                             amount_total=str(order.amount_total))

    @expose("/<int:pk>/confirm", methods=["POST"])
    @protect()
    @safe
    def confirm(self, pk: int):
        """Confirm a draft order and reserve its stock ({"override": true} needs the approve permission).
        ---
        post:
          responses:
            200: {description: confirmed}
            422: {description: refused}
        """
        body = request.get_json(silent=True) or {}
        override = bool(body.get("override")) and self.appbuilder.sm.has_access(
            f"can_{ACTION_APPROVE}", RESOURCE_SALES_ORDER)
        try:
            order = order_svc.confirm_order(db.session, pk, override=override)
        except DomainError as exc:
            return self.response(422, **_problems(exc))
        return self.response(200, id=order.id, number=order.number, state=order.state)

    @expose("/<int:pk>/cancel", methods=["POST"])
    @protect()
    @safe
    def cancel(self, pk: int):
        """Cancel an order that shipped nothing; its reservations are released.
        ---
        post:
          responses:
            200: {description: cancelled}
            422: {description: refused}
        """
        try:
            order = order_svc.cancel_order(db.session, pk)
        except DomainError as exc:
            return self.response(422, **_problems(exc))
        return self.response(200, id=order.id, number=order.number, state=order.state)

    @expose("/<int:pk>/analysis", methods=["GET"])
    @protect()
    @safe
    def analysis(self, pk: int):
        """The logistics analysis of an order, line by line, every figure explained (reads only).
        ---
        get:
          responses:
            200: {description: the analysis}
            422: {description: refused}
        """
        try:
            return self.response(200, **_analysis_json(analyse(db.session, pk)))
        except DomainError as exc:
            return self.response(422, **_problems(exc))

    @expose("/<int:pk>/analyse", methods=["POST"])
    @protect()
    @safe
    def analyse(self, pk: int):
        """Act on the analysis: reserve, request purchases, create production orders (safe to repeat).
        ---
        post:
          responses:
            200: {description: the analysis after acting}
            422: {description: refused}
        """
        try:
            return self.response(200, **_analysis_json(run_analysis(db.session, pk)))
        except DomainError as exc:
            db.session.rollback()
            return self.response(422, **_problems(exc))

    @expose("/popular", methods=["GET"])
    @protect()
    @safe
    def popular(self):
        """The most popular items for a client (?partner_id=) and overall.
        ---
        get:
          responses:
            200: {description: two lists}
        """
        from app.services.sales.popular import suggestions

        pid = request.args.get("partner_id", "")
        return self.response(200, **suggestions(db.session, int(pid) if pid.isdigit() else None))


class SalesOrderLineApi(_Api):
    resource_name = "sales_order_line"
    class_permission_name = RESOURCE_SALES_ORDER
    datamodel = FabrikaInterface(SalesOrderLine)
    list_columns = ["id", "order.id", "line_no", "item.id", "item.code", "description", "qty", "unit_price",
                    "discount_pct", "amount_net", "amount_tax", "amount_total", "promise_date",
                    "calculator_version_id", "calculator_inputs", "proposal_line_id"]


class ShipmentApi(_Api):
    """Shipments; "ship" creates and posts one from an order (lines optional: what is reserved)."""

    resource_name = "shipment"
    class_permission_name = RESOURCE_SHIPMENT
    method_permission_name = READ_ONLY | {"ship": ACTION_POST, "cancel": ACTION_POST}
    include_route_methods = {"get", "get_list", "info", "ship", "cancel"}
    datamodel = FabrikaInterface(Shipment)
    list_columns = ["id", "number", "ship_date", "state", "order.id", "order.number", "partner.id", "partner.name",
                    "carrier.id", "carrier.name", "vehicle", "driver", "delivery_address", "delivery_date",
                    "window_from", "window_to", "transport_cost", "amount_total"]
    search_columns = ["number", "ship_date", "state", "partner", "carrier", "delivery_date"]

    @expose("/ship", methods=["POST"])
    @protect()
    @safe
    def ship(self):
        """Ship (part of) an order: {"order_id", "lines": [{"order_line_id", "qty"}], transport fields}.
        ---
        post:
          responses:
            201: {description: posted}
            422: {description: refused}
        """
        body = request.get_json(silent=True) or {}
        try:
            lines = body.get("lines")
            data = ship_svc.ShipmentInput(
                order_id=body.get("order_id") or 0, ship_date=_date(body.get("ship_date")),
                lines=None if lines is None else [ship_svc.ShipmentLineInput(ln.get("order_line_id"), ln.get("qty"))
                                                  for ln in lines],
                transport=ship_svc.TransportInput(
                    carrier_id=body.get("carrier_id"), vehicle=body.get("vehicle", ""), driver=body.get("driver", ""),
                    delivery_address=body.get("delivery_address", ""), delivery_date=_date(body.get("delivery_date")),
                    window_from=body.get("window_from", ""), window_to=body.get("window_to", ""),
                    transport_cost=body.get("transport_cost"), note=body.get("note", "")))
            ship = ship_svc.ship_order(db.session, data)
        except DomainError as exc:
            return self.response(422, **_problems(exc))
        except (ValueError, TypeError, AttributeError) as exc:
            return self.response(400, message=str(exc))
        return self.response(201, id=ship.id, number=ship.number, state=ship.state,
                             lines=[{"order_line_id": sl.order_line_id, "qty": str(sl.qty)} for sl in ship.lines])

    @expose("/<int:pk>/cancel", methods=["POST"])
    @protect()
    @safe
    def cancel(self, pk: int):
        """Cancel a shipment (a posted one is reversed and its goods held for the order again).
        ---
        post:
          responses:
            200: {description: cancelled}
            422: {description: refused}
        """
        try:
            ship = ship_svc.cancel_shipment(db.session, pk)
        except DomainError as exc:
            return self.response(422, **_problems(exc))
        return self.response(200, id=ship.id, number=ship.number, state=ship.state)


class SalesInvoiceApi(_Api):
    """Invoices and acts; "invoice" / "act" issue one from an order, "pay" registers a payment."""

    resource_name = "sales_invoice"
    class_permission_name = RESOURCE_INVOICE
    method_permission_name = READ_ONLY | {"invoice": ACTION_POST, "act": ACTION_POST, "pay": ACTION_POST,
                                          "cancel": ACTION_POST}
    include_route_methods = {"get", "get_list", "info", "invoice", "act", "pay", "cancel"}
    datamodel = FabrikaInterface(SalesInvoice)
    list_columns = ["id", "number", "kind", "state", "invoice_date", "due_date", "partner.id", "partner.name",
                    "order.id", "order.number", "currency.code", "amount_net", "amount_tax", "amount_total",
                    "amount_paid", "payment_status"]
    search_columns = ["number", "kind", "state", "invoice_date", "due_date", "partner", "order"]

    def _issue(self, make):
        body = request.get_json(silent=True) or {}
        try:
            lines = body.get("lines")
            parts = None if lines is None else [(ln.get("order_line_id"), ln.get("qty")) for ln in lines]
            inv = make(db.session, body.get("order_id") or 0, parts, _date(body.get("invoice_date")))
        except DomainError as exc:
            return self.response(422, **_problems(exc))
        except (ValueError, TypeError, AttributeError) as exc:
            return self.response(400, message=str(exc))
        return self.response(201, id=inv.id, number=inv.number, kind=inv.kind, amount_total=str(inv.amount_total))

    @expose("/invoice", methods=["POST"])
    @protect()
    @safe
    def invoice(self):
        """Issue an invoice from an order: {"order_id", "lines": [{"order_line_id", "qty"}] (optional: all)}.
        ---
        post:
          responses:
            201: {description: issued}
            422: {description: refused}
        """
        return self._issue(inv_svc.create_invoice)

    @expose("/act", methods=["POST"])
    @protect()
    @safe
    def act(self):
        """Issue an act of services from an order's service lines.
        ---
        post:
          responses:
            201: {description: issued}
            422: {description: refused}
        """
        return self._issue(inv_svc.create_act)

    @expose("/<int:pk>/pay", methods=["POST"])
    @protect()
    @safe
    def pay(self, pk: int):
        """Register a payment against the invoice: {"amount", "pay_date", "method", "reference"}.
        ---
        post:
          responses:
            201: {description: registered}
            422: {description: refused}
        """
        body = request.get_json(silent=True) or {}
        try:
            pay = inv_svc.register_payment(db.session, inv_svc.PaymentInput(
                invoice_id=pk, amount=body.get("amount"), pay_date=_date(body.get("pay_date")),
                method=body.get("method", "bank"), reference=body.get("reference", "")))
        except DomainError as exc:
            return self.response(422, **_problems(exc))
        except (ValueError, TypeError) as exc:
            return self.response(400, message=str(exc))
        inv = db.session.get(SalesInvoice, pk)
        return self.response(201, id=pay.id, number=pay.number, amount_paid=str(inv.amount_paid),
                             status=inv.payment_status)

    @expose("/<int:pk>/cancel", methods=["POST"])
    @protect()
    @safe
    def cancel(self, pk: int):
        """Cancel an unpaid invoice or act.
        ---
        post:
          responses:
            200: {description: cancelled}
            422: {description: refused}
        """
        try:
            inv = inv_svc.cancel_invoice(db.session, pk)
        except DomainError as exc:
            return self.response(422, **_problems(exc))
        return self.response(200, id=inv.id, number=inv.number, state=inv.state)


class SalesInvoiceLineApi(_Api):
    resource_name = "sales_invoice_line"
    class_permission_name = RESOURCE_INVOICE
    datamodel = FabrikaInterface(SalesInvoiceLine)
    list_columns = ["id", "invoice.id", "invoice.number", "line_no", "item.id", "item.code", "description", "qty",
                    "price", "amount", "amount_tax", "amount_total"]


class PaymentApi(_Api):
    resource_name = "sales_payment"
    class_permission_name = RESOURCE_INVOICE
    datamodel = FabrikaInterface(Payment)
    list_columns = ["id", "number", "pay_date", "state", "invoice.id", "invoice.number", "partner.id", "partner.name",
                    "amount", "method", "reference"]
    search_columns = ["number", "pay_date", "state", "partner", "invoice"]


APIS = (SalesOrderApi, SalesOrderLineApi, ShipmentApi, SalesInvoiceApi, SalesInvoiceLineApi, PaymentApi)


def register(appbuilder) -> None:
    """Add this context's APIs."""
    for api in APIS:
        appbuilder.add_api(api)
