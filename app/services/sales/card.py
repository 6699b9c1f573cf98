"""The client card's sales sections: orders, shipments, invoices and acts, payments, and the balance.

Each section costs one LIMITed query that also counts (app.services.partner_card's contract), so a
client with thousands of documents opens as fast as a new one.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.core import Currency
from app.models.sales import Payment, SalesInvoice, SalesOrder, Shipment
from app.services.sales.labels import invoice_kind_label, order_state_label, payment_status_label, state_label


def _url(endpoint: str, **values: Any) -> str | None:
    try:
        from flask import url_for

        return url_for(endpoint, **values)
    except Exception:  # noqa: BLE001 - outside a request (bench, jobs): no links
        return None


def card_sections(session: Session, partner_id: int, limit: int = 20) -> list:
    """The partner's orders, shipments, invoices, payments and balance for the client card."""
    return [
        _balance(session, partner_id),
        _orders(session, partner_id, limit),
        _shipments(session, partner_id, limit),
        _invoices(session, partner_id, limit),
        _payments(session, partner_id, limit),
    ]


def _section(**kw):
    from app.services.partner_card import CardSection

    return CardSection(**kw)


def _limited(session: Session, stmt, limit: int) -> tuple[list, int]:
    from app.services.partner_card import limited_rows

    return limited_rows(session, stmt, limit)


def _balance(session: Session, partner_id: int):
    from app.services.sales.invoices import client_balance

    rows = client_balance(session, partner_id)
    return _section(
        key="sales_balance", title=_l("Client balance"), total=len(rows),
        columns=[("currency", _l("Currency")), ("invoiced", _l("Invoiced")), ("paid", _l("Paid")),
                 ("due", _l("Outstanding")), ("overdue", _l("Overdue"))],
        rows=[{"currency": r.currency, "invoiced": r.invoiced, "paid": r.paid, "due": r.due, "overdue": r.overdue,
               "url": None} for r in rows],
        more_url=_url("SalesInvoiceView.list", _flt_0_partner=partner_id),
    )


def _orders(session: Session, partner_id: int, limit: int):
    rows, total = _limited(session, select(
        SalesOrder.id, SalesOrder.number, SalesOrder.order_date, SalesOrder.state, SalesOrder.amount_total,
        Currency.code).join(Currency, Currency.id == SalesOrder.currency_id)
        .where(SalesOrder.partner_id == partner_id).order_by(SalesOrder.order_date.desc(), SalesOrder.id.desc()), limit)
    return _section(
        key="sales_orders", title=_l("Customer orders"), total=total,
        columns=[("number", _l("Number")), ("date", _l("Date")), ("state", _l("State")),
                 ("amount", _l("Amount")), ("currency", _l("Currency"))],
        rows=[{"number": r.number, "date": r.order_date, "state": order_state_label(r.state),
               "amount": r.amount_total, "currency": r.code, "url": _url("SalesOrderView.show", pk=r.id)}
              for r in rows],
        more_url=_url("SalesOrderView.list", _flt_0_partner=partner_id),
    )


def _shipments(session: Session, partner_id: int, limit: int):
    rows, total = _limited(session, select(
        Shipment.id, Shipment.number, Shipment.ship_date, Shipment.state, Shipment.delivery_date,
        Shipment.amount_total, SalesOrder.number.label("order_number"))
        .join(SalesOrder, SalesOrder.id == Shipment.order_id)
        .where(Shipment.partner_id == partner_id).order_by(Shipment.ship_date.desc(), Shipment.id.desc()), limit)
    return _section(
        key="sales_shipments", title=_l("Shipments"), total=total,
        columns=[("number", _l("Number")), ("date", _l("Date")), ("order", _l("Customer order")),
                 ("state", _l("State")),
                 ("delivery_date", _l("Delivery date")), ("amount", _l("Amount"))],
        rows=[{"number": r.number, "date": r.ship_date, "order": r.order_number, "state": state_label(r.state),
               "delivery_date": r.delivery_date, "amount": r.amount_total,
               "url": _url("ShipmentView.show", pk=r.id)} for r in rows],
        more_url=_url("ShipmentView.list", _flt_0_partner=partner_id),
    )


def _invoices(session: Session, partner_id: int, limit: int):
    rows, total = _limited(session, select(SalesInvoice).where(SalesInvoice.partner_id == partner_id)
                           .order_by(SalesInvoice.invoice_date.desc(), SalesInvoice.id.desc()), limit)
    return _section(
        key="sales_invoices", title=_l("Invoices and acts"), total=total,
        columns=[("number", _l("Number")), ("kind", _l("Kind")), ("date", _l("Date")), ("due_date", _l("Due date")),
                 ("amount", _l("Amount")), ("paid", _l("Paid")), ("status", _l("Status"))],
        rows=[{"number": r.number, "kind": invoice_kind_label(r.kind), "date": r.invoice_date,
               "due_date": r.due_date, "amount": r.amount_total, "paid": r.amount_paid,
               "status": payment_status_label(r.payment_status), "url": _url("SalesInvoiceView.show", pk=r.id)}
              for r in rows],
        more_url=_url("SalesInvoiceView.list", _flt_0_partner=partner_id),
    )


def _payments(session: Session, partner_id: int, limit: int):
    rows, total = _limited(session, select(
        Payment.id, Payment.number, Payment.pay_date, Payment.amount, Payment.state,
        SalesInvoice.number.label("invoice_number"))
        .join(SalesInvoice, SalesInvoice.id == Payment.invoice_id)
        .where(Payment.partner_id == partner_id).order_by(Payment.pay_date.desc(), Payment.id.desc()), limit)
    return _section(
        key="sales_payments", title=_l("Payments"), total=total,
        columns=[("number", _l("Number")), ("date", _l("Date")), ("invoice", _l("Invoice")),
                 ("amount", _l("Amount")), ("state", _l("State"))],
        rows=[{"number": r.number, "date": r.pay_date, "invoice": r.invoice_number, "amount": r.amount,
               "state": state_label(r.state), "url": _url("PaymentView.show", pk=r.id)} for r in rows],
        more_url=_url("PaymentView.list", _flt_0_partner=partner_id),
    )
