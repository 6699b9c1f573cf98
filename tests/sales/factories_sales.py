"""Builders for sales tests: clients, carriers, priced items, stock on the shelf, orders through the services."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from app.extensions import db
from app.models.catalog import Item, PriceList, PriceListItem
from app.models.partners import Partner
from app.models.sales import (
    Payment,
    SalesInvoice,
    SalesInvoiceLine,
    SalesOrder,
    SalesOrderDemand,
    SalesOrderLine,
    Shipment,
    ShipmentLine,
)
from app.services.partners import normalize_name
from app.services.sales import OrderInput, OrderLineInput, create_order
from tests import factories as f

D = Decimal
SALES_TABLES = (SalesOrder, SalesOrderLine, SalesOrderDemand, Shipment, ShipmentLine, SalesInvoice, SalesInvoiceLine,
                Payment)


def client(name: str = "Robokids", **kw) -> Partner:
    p = Partner(name=name, name_norm=normalize_name(name), is_customer=True,
                email=kw.pop("email", "office@robokids.example"), **kw)
    db.session.add(p)
    db.session.commit()
    return p


def carrier(name: str = "Delovye Linii") -> Partner:
    p = Partner(name=name, is_customer=False, is_carrier=True)
    db.session.add(p)
    db.session.commit()
    return p


def priced_item(code: str, price: str | None, kind: str = "product", cost: str | None = None) -> Item:
    """An item with a price in the RUB price list (created on first use)."""
    it = f.item(code, kind=kind, standard_cost=cost)
    if price is not None:
        rub = f.currency("RUB")
        pl = db.session.scalar(select(PriceList).where(PriceList.currency_id == rub.id))
        if pl is None:
            pl = PriceList(name="Base", currency=rub)
            db.session.add(pl)
        db.session.add(PriceListItem(price_list=pl, item=it, price=D(price)))
        db.session.commit()
    return it


def stock(wh, it: Item, qty, cost="100", on: date | None = None):
    return f.receipt(wh, [(it, qty, cost)], on=on or date(2026, 11, 1))


def order(partner: Partner, lines: list[tuple], **kw) -> SalesOrder:
    """lines: (item, qty[, unit_price[, discount]]) tuples or OrderLineInput."""
    f.currency("RUB")
    out = []
    for ln in lines:
        if isinstance(ln, OrderLineInput):
            out.append(ln)
            continue
        it, qty, *rest = ln
        price = D(str(rest[0])) if rest and rest[0] is not None else None
        disc = D(str(rest[1])) if len(rest) > 1 else D(0)
        out.append(OrderLineInput(it.id, D(str(qty)), unit_price=price, discount_pct=disc))
    kw.setdefault("order_date", date(2026, 11, 10))
    kw.setdefault("tax_rate", D(20))
    return create_order(db.session, OrderInput(partner_id=partner.id, lines=out, **kw))


def sales_counts() -> dict[str, int]:
    """Rows in every sales table plus the ledger's: compared before and after a refused operation."""
    counts = {m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) for m in SALES_TABLES}
    return counts | f.row_counts()
