"""Printed sales forms: customer order, invoice for payment, act of services rendered, waybill (ru / es / en).

Each form is a plain dict built here and rendered by app.printing from app/printing/templates/
sales_*.html. Amounts are in the document's currency with the amount in words; the builders take
the locale and a gettext and need no Flask (the `*_pdf` functions are the Flask edge).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.domain.money import ZERO, round_amount
from app.models.sales import (
    INVOICE_KIND_ACT,
    SalesInvoice,
    SalesInvoiceLine,
    SalesOrder,
    SalesOrderLine,
    Shipment,
    ShipmentLine,
)
from app.printing import render_pdf
from app.services.company import company_view_model, current_company, print_locale, printed_by, safe_filename
from app.services.stock.printing import unit_label, words

Gettext = Callable[[str], str]


def _plain(value) -> str:
    """20.00000000 -> "20", 12.5 -> "12.5": a rate as people write it (never "2E+1")."""
    return format(value.normalize(), "f") if value is not None else "0"


def _lang(locale: str) -> str:
    return (locale or "en").split("_")[0]


def _partner(p) -> dict[str, Any]:
    if p is None:
        return {}
    legal = [a for a in p.addresses if a.kind == "legal"]
    return {"name": p.legal_name or p.name, "tax_id": p.tax_id, "tax_id2": p.tax_id2,
            "address": repr(legal[0]) if legal else "", "phone": p.phone, "email": p.email}


def _load_invoice(session: Session, invoice_id: int) -> SalesInvoice:
    inv = session.scalar(select(SalesInvoice).where(SalesInvoice.id == invoice_id).options(
        selectinload(SalesInvoice.lines).selectinload(SalesInvoiceLine.item)))
    if inv is None:
        raise LookupError(f"sales invoice {invoice_id} not found")
    return inv


def invoice_context(session: Session, inv: SalesInvoice, locale: str, gettext: Gettext | None = None,
                    user: str = "", printed_at: date | None = None) -> dict[str, Any]:
    """The view-model of an invoice's or an act's printed form."""
    lang = _lang(locale)
    currency = inv.currency.code
    lines = [{
        "no": ln.line_no, "code": ln.item.code if ln.item else "",
        "name": ln.description or (ln.item.label(lang) if ln.item else ""),
        "unit": unit_label(ln.item.unit, locale) if ln.item else "", "qty": ln.qty, "price": ln.price,
        "amount": ln.amount, "tax": ln.amount_tax, "total": ln.amount_total,
    } for ln in inv.lines]
    return {
        "company": company_view_model(current_company(session), locale, gettext),
        "printed_at": printed_at or date.today(), "user": user,
        "doc": {"number": inv.number, "date": inv.invoice_date, "state": inv.state, "kind": inv.kind,
                "due_date": inv.due_date, "order": inv.order.number if inv.order else "",
                "order_date": inv.order.order_date if inv.order else None, "note": inv.note,
                "tax_rate": _plain(inv.tax_rate)},
        "is_act": inv.kind == INVOICE_KIND_ACT,
        "client": _partner(inv.partner),
        "currency": currency, "lines": lines,
        "totals": {"net": inv.amount_net, "tax": inv.amount_tax, "total": inv.amount_total,
                   "paid": inv.amount_paid, "due": inv.amount_total - inv.amount_paid},
        "amount_words": words(inv.amount_total, currency, locale),
        "tax_words": words(inv.amount_tax, currency, locale),
    }


def invoice_pdf(session: Session, invoice_id: int, lang: str | None = None) -> tuple[bytes, str]:
    inv = _load_invoice(session, invoice_id)
    locale, translations = print_locale(lang)
    ctx = invoice_context(session, inv, locale, translations.gettext, user=printed_by())
    return render_pdf("sales_invoice.html", ctx, locale, translations), safe_filename(inv.number) + ".pdf"


def _load_shipment(session: Session, shipment_id: int) -> Shipment:
    ship = session.scalar(select(Shipment).where(Shipment.id == shipment_id).options(
        selectinload(Shipment.lines).selectinload(ShipmentLine.item),
        selectinload(Shipment.lines).selectinload(ShipmentLine.order_line)))
    if ship is None:
        raise LookupError(f"shipment {shipment_id} not found")
    return ship


def shipment_context(session: Session, ship: Shipment, locale: str, gettext: Gettext | None = None,
                     user: str = "", printed_at: date | None = None) -> dict[str, Any]:
    """The view-model of a shipment's waybill: goods at the order's prices with VAT, and the transport."""
    from app.services.sales.pricing import line_amounts, net_price

    lang = _lang(locale)
    order = ship.order
    lines, net, tax = [], ZERO, ZERO
    for ln in ship.lines:
        ol = ln.order_line
        amounts = line_amounts(ln.qty, ol.unit_price, ol.discount_pct, order.tax_rate)
        net, tax = net + amounts.net, tax + amounts.tax
        lines.append({"no": ln.line_no, "code": ln.item.code, "name": ln.item.label(lang),
                      "unit": unit_label(ln.item.unit, locale), "qty": ln.qty,
                      "price": net_price(ol.unit_price, ol.discount_pct), "amount": amounts.net, "tax": amounts.tax,
                      "total": amounts.total})
    currency = order.currency.code
    window = f"{ship.window_from}–{ship.window_to}" if ship.window_from and ship.window_to else ""
    return {
        "company": company_view_model(current_company(session), locale, gettext),
        "printed_at": printed_at or date.today(), "user": user,
        "doc": {"number": ship.number, "date": ship.ship_date, "state": ship.state, "order": order.number,
                "order_date": order.order_date,
                "warehouse": ship.warehouse.titled(_lang(locale)) if ship.warehouse else "",
                "tax_rate": _plain(order.tax_rate), "note": ship.note},
        "client": _partner(ship.partner),
        "transport": {"carrier": ship.carrier.name if ship.carrier else "", "vehicle": ship.vehicle,
                      "driver": ship.driver, "address": ship.delivery_address, "date": ship.delivery_date,
                      "window": window, "cost": ship.transport_cost if ship.transport_cost else None},
        "currency": currency, "lines": lines,
        "totals": {"qty": sum((ln["qty"] for ln in lines), ZERO), "net": net, "tax": tax, "total": net + tax},
        "amount_words": words(net + tax, currency, locale),
    }


def shipment_pdf(session: Session, shipment_id: int, lang: str | None = None) -> tuple[bytes, str]:
    ship = _load_shipment(session, shipment_id)
    locale, translations = print_locale(lang)
    ctx = shipment_context(session, ship, locale, translations.gettext, user=printed_by())
    return render_pdf("sales_waybill.html", ctx, locale, translations), safe_filename(ship.number) + ".pdf"


def order_context(session: Session, order: SalesOrder, locale: str, gettext: Gettext | None = None,
                  user: str = "", printed_at: date | None = None) -> dict[str, Any]:
    """The view-model of a customer order's printed form: what the client agreed to, at net prices per unit."""
    lang = _lang(locale)
    currency = order.currency.code
    lines = [{
        "no": ln.line_no, "code": ln.item.code if ln.item else "",
        "name": ln.description or (ln.item.label(lang) if ln.item else ""),
        "unit": unit_label(ln.item.unit, locale) if ln.item else "", "qty": ln.qty,
        "price": round_amount(ln.amount_net / ln.qty) if ln.discount_pct else ln.unit_price,
        "amount": ln.amount_net, "tax": ln.amount_tax, "total": ln.amount_total,
    } for ln in order.lines]
    return {
        "company": company_view_model(current_company(session), locale, gettext),
        "printed_at": printed_at or date.today(), "user": user,
        "doc": {"number": order.number, "date": order.order_date, "state": order.state,
                "delivery_address": order.delivery_address, "delivery_date": order.delivery_date,
                "delivery_terms": order.delivery_terms, "payment_terms_days": order.payment_terms_days,
                "note": order.note, "tax_rate": _plain(order.tax_rate)},
        "client": _partner(order.partner), "currency": currency, "lines": lines,
        "totals": {"net": order.amount_net, "tax": order.amount_tax, "total": order.amount_total},
        "amount_words": words(order.amount_total, currency, locale),
    }


def order_pdf(session: Session, order_id: int, lang: str | None = None) -> tuple[bytes, str]:
    order = session.scalar(select(SalesOrder).where(SalesOrder.id == order_id).options(
        selectinload(SalesOrder.lines).selectinload(SalesOrderLine.item)))
    if order is None:
        raise LookupError(f"sales order {order_id} not found")
    locale, translations = print_locale(lang)
    ctx = order_context(session, order, locale, translations.gettext, user=printed_by())
    return render_pdf("sales_order.html", ctx, locale, translations), safe_filename(order.number) + ".pdf"
