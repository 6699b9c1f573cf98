"""REST API of the sales context: orders (create, confirm, cancel, analyse), shipments (ship), invoices
and acts (issue from an order, pay), payments, order lines, popular items.

Registers are read here; every change goes through app.services.sales (validated, all problems at
once as a 422 with translated messages, nothing half-saved) exactly as in the pages.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_appbuilder.api import expose, protect, safe
from flask_babel import gettext

from app.api import params as p
from app.api.base import ReadOnlyApi, command_doc
from app.extensions import db
from app.models.partners import Partner
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


def _order_input(body: dict) -> order_svc.OrderInput:
    """A draft order as the service takes it: ids, dates, texts and lines checked, every problem at once."""
    partner_id, currency, order_date, proposal_id, warehouse_id, delivery_date, terms_days, address, terms, note, \
        lines = p.collect(
            lambda: p.ident(body.get("partner_id"), "partner_id", required=True),
            lambda: p.text(body.get("currency"), "currency", max_len=3) or None,
            lambda: p.day(body.get("order_date"), "order_date"),
            lambda: p.ident(body.get("proposal_id"), "proposal_id"),
            lambda: p.ident(body.get("warehouse_id"), "warehouse_id"),
            lambda: p.day(body.get("delivery_date"), "delivery_date"),
            lambda: p.integer(body.get("payment_terms_days"), "payment_terms_days"),
            lambda: p.text(body.get("delivery_address"), "delivery_address"),
            lambda: p.text(body.get("delivery_terms"), "delivery_terms", max_len=p.size(SalesOrder.delivery_terms)),
            lambda: p.text(body.get("note"), "note"),
            lambda: [_order_line(n, ln) for n, ln in p.lines(body, required=True)])
    tax_rate = p.number(body.get("tax_rate"), "tax_rate")
    return order_svc.OrderInput(
        partner_id=partner_id, currency_code=currency, order_date=order_date, delivery_address=address, note=note,
        proposal_id=proposal_id, tax_rate=tax_rate, warehouse_id=warehouse_id, delivery_terms=terms,
        delivery_date=delivery_date, payment_terms_days=terms_days, lines=lines)


def _order_line(n: int, ln: dict) -> order_svc.OrderLineInput:
    item_id, qty, price, discount, description, version_id, inputs, proposal_line_id, cost = p.collect(
        lambda: p.ident(ln.get("item_id"), "item_id", line=n),
        lambda: p.number(ln.get("qty"), "qty", required=True, line=n),
        lambda: p.number(ln.get("unit_price"), "unit_price", money=True, line=n),
        lambda: p.number(ln.get("discount_pct"), "discount_pct", line=n),
        lambda: p.text(ln.get("description"), "description", max_len=p.size(SalesOrderLine.description), line=n),
        lambda: p.ident(ln.get("calculator_version_id"), "calculator_version_id", line=n),
        lambda: p.mapping(ln.get("calculator_inputs"), "calculator_inputs") if ln.get("calculator_inputs") else None,
        lambda: p.ident(ln.get("proposal_line_id"), "proposal_line_id", line=n),
        lambda: p.number(ln.get("unit_cost_estimate"), "unit_cost_estimate", money=True, line=n))
    return order_svc.OrderLineInput(
        item_id=item_id, qty=qty, unit_price=price, discount_pct=discount or Decimal(0), description=description,
        calculator_version_id=version_id, calculator_inputs=inputs, proposal_line_id=proposal_line_id,
        unit_cost_estimate=cost)


def _line_parts(body: dict) -> list[tuple[int, object]] | None:
    """[{"order_line_id", "qty"}] as (order line id, raw qty) pairs; None when absent (the service's default)."""
    numbered = p.lines(body)
    if numbered is None:
        return None
    return [(p.ident(ln.get("order_line_id"), "order_line_id", SalesOrderLine, required=True, line=n),
             p.number(ln.get("qty"), "qty", line=n)) for n, ln in numbered]


def _ship_input(body: dict) -> ship_svc.ShipmentInput:
    order_id, on, parts, carrier_id, vehicle, driver, address, delivery, window_from, window_to, cost, note = \
        p.collect(
            lambda: p.ident(body.get("order_id"), "order_id", SalesOrder, required=True),
            lambda: p.day(body.get("ship_date"), "ship_date"),
            lambda: _line_parts(body),
            lambda: p.ident(body.get("carrier_id"), "carrier_id", Partner),
            lambda: p.text(body.get("vehicle"), "vehicle", max_len=p.size(Shipment.vehicle)),
            lambda: p.text(body.get("driver"), "driver", max_len=p.size(Shipment.driver)),
            lambda: p.text(body.get("delivery_address"), "delivery_address"),
            lambda: p.day(body.get("delivery_date"), "delivery_date"),
            lambda: p.text(body.get("window_from"), "window_from", max_len=p.size(Shipment.window_from)),
            lambda: p.text(body.get("window_to"), "window_to", max_len=p.size(Shipment.window_to)),
            lambda: p.number(body.get("transport_cost"), "transport_cost", money=True),
            lambda: p.text(body.get("note"), "note"))
    lines = None if parts is None else [ship_svc.ShipmentLineInput(line_id, qty) for line_id, qty in parts]
    return ship_svc.ShipmentInput(
        order_id=order_id, ship_date=on, lines=lines,
        transport=ship_svc.TransportInput(carrier_id=carrier_id, vehicle=vehicle, driver=driver,
                                          delivery_address=address, delivery_date=delivery, window_from=window_from,
                                          window_to=window_to, transport_cost=cost, note=note))


def _state(doc) -> dict:
    return {"id": doc.id, "number": doc.number, "state": doc.state}


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
    @command_doc("SalesOrderCreated", "the draft", body="SalesOrderDraft", status=201)
    def create_order(self):
        """Create a draft order (prices from the price list when a line has none)."""
        return self.command(lambda: order_svc.create_order(db.session, _order_input(p.json_body(required=True))),
                            lambda o: {**_state(o), "amount_total": str(o.amount_total)}, status=201)

    @expose("/<int:pk>/confirm", methods=["POST"])
    @protect()
    @safe
    @command_doc("DocumentState", "confirmed", body="ConfirmBody", required=False)
    def confirm(self, pk: int):
        """Confirm a draft order and reserve its stock ({"override": true} needs the approve permission)."""
        def use_case():
            override = p.flag(p.json_body().get("override"), "override") and self.appbuilder.sm.has_access(
                f"can_{ACTION_APPROVE}", RESOURCE_SALES_ORDER)
            return order_svc.confirm_order(db.session, pk, override=override)

        return self.command(use_case, _state)

    @expose("/<int:pk>/cancel", methods=["POST"])
    @protect()
    @safe
    @command_doc("DocumentState", "cancelled")
    def cancel(self, pk: int):
        """Cancel an order that shipped nothing; its reservations are released."""
        return self.command(lambda: order_svc.cancel_order(db.session, pk), _state)

    @expose("/<int:pk>/analysis", methods=["GET"])
    @protect()
    @safe
    @command_doc("OrderAnalysis", "the analysis", verb="get")
    def analysis(self, pk: int):
        """The logistics analysis of an order, line by line, every figure explained (reads only)."""
        return self.command(lambda: analyse(db.session, pk), _analysis_json)

    @expose("/<int:pk>/analyse", methods=["POST"])
    @protect()
    @safe
    @command_doc("OrderAnalysis", "the analysis after acting")
    def analyse(self, pk: int):
        """Act on the analysis: reserve, request purchases, create production orders (safe to repeat)."""
        return self.command(lambda: run_analysis(db.session, pk), _analysis_json)

    @expose("/popular", methods=["GET"])
    @protect()
    @safe
    def popular(self):
        """The most popular items for a client (?partner_id=) and overall.
        ---
        get:
          parameters:
          - {in: query, name: partner_id, required: false, schema: {type: integer, minimum: 1}}
          responses:
            200:
              description: two lists
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/Popular'}
        """
        from app.services.sales.popular import suggestions

        return self.command(lambda: suggestions(db.session, p.query_id("partner_id", Partner)), lambda r: r)



class SalesOrderLineApi(_Api):
    resource_name = "sales_order_line"
    class_permission_name = RESOURCE_SALES_ORDER
    datamodel = FabrikaInterface(SalesOrderLine)
    list_columns = ["id", "order.id", "line_no", "item.id", "item.code", "description", "qty", "unit_price",
                    "base_price", "price_rate", "discount_pct", "amount_net", "amount_tax", "amount_total",
                    "promise_date", "calculator_version_id", "calculator_inputs", "proposal_line_id"]


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
    @command_doc("Shipped", "posted", body="ShipBody", status=201)
    def ship(self):
        """Ship (part of) an order: {"order_id", "lines": [{"order_line_id", "qty"}], transport fields}."""
        return self.command(lambda: ship_svc.ship_order(db.session, _ship_input(p.json_body(required=True))),
                            lambda ship: {**_state(ship), "lines": [{"order_line_id": sl.order_line_id,
                                                                     "qty": str(sl.qty)} for sl in ship.lines]},
                            status=201)

    @expose("/<int:pk>/cancel", methods=["POST"])
    @protect()
    @safe
    @command_doc("DocumentState", "cancelled")
    def cancel(self, pk: int):
        """Cancel a shipment (a posted one is reversed and its goods held for the order again)."""
        return self.command(lambda: ship_svc.cancel_shipment(db.session, pk), _state)



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
        def use_case():
            body = p.json_body(required=True)
            order_id, parts, on, currency = p.collect(
                lambda: p.ident(body.get("order_id"), "order_id", SalesOrder, required=True),
                lambda: _line_parts(body), lambda: p.day(body.get("invoice_date"), "invoice_date"),
                lambda: p.text(body.get("currency"), "currency", max_len=3))
            # a currency other than the order's is refused by the service, saying so (never silently ignored)
            return make(db.session, order_id, parts, on, currency_code=currency or None)

        return self.command(use_case, lambda inv: {"id": inv.id, "number": inv.number, "kind": inv.kind,
                                                   "amount_total": str(inv.amount_total)}, status=201)

    @expose("/invoice", methods=["POST"])
    @protect()
    @safe
    @command_doc("Issued", "issued", body="IssueBody", status=201)
    def invoice(self):
        """Issue an invoice from an order: {"order_id", "lines": [{"order_line_id", "qty"}] (optional: all)}."""
        return self._issue(inv_svc.create_invoice)

    @expose("/act", methods=["POST"])
    @protect()
    @safe
    @command_doc("Issued", "issued", body="IssueBody", status=201)
    def act(self):
        """Issue an act of services from an order's service lines."""
        return self._issue(inv_svc.create_act)

    @expose("/<int:pk>/pay", methods=["POST"])
    @protect()
    @safe
    @command_doc("PaymentRegistered", "registered", body="PaymentBody", status=201)
    def pay(self, pk: int):
        """Register a payment against the invoice: {"amount", "pay_date", "method", "reference"}."""
        def use_case():
            body = p.json_body(required=True)
            amount, on, method, reference = p.collect(
                lambda: p.number(body.get("amount"), "amount", money=True, required=True),
                lambda: p.day(body.get("pay_date"), "pay_date"),
                lambda: p.choice(body.get("method"), "method", inv_svc.PAYMENT_METHODS, default="bank"),
                lambda: p.text(body.get("reference"), "reference", max_len=p.size(Payment.reference)))
            pay = inv_svc.register_payment(db.session, inv_svc.PaymentInput(
                invoice_id=pk, amount=amount, pay_date=on, method=method, reference=reference))
            return pay, db.session.get(SalesInvoice, pk)

        return self.command(use_case, lambda r: {"id": r[0].id, "number": r[0].number,
                                                 "amount_paid": str(r[1].amount_paid), "status": r[1].payment_status},
                            status=201)

    @expose("/<int:pk>/cancel", methods=["POST"])
    @protect()
    @safe
    @command_doc("DocumentState", "cancelled")
    def cancel(self, pk: int):
        """Cancel an unpaid invoice or act."""
        return self.command(lambda: inv_svc.cancel_invoice(db.session, pk), _state)


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
