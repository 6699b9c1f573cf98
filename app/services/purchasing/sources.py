"""Where the methods' demand figures come from: the stock ledger and the sales invoices, aggregated in SQL.

Consumption is what left the warehouse to customers and to production: ledger moves of the kinds
in CONSUMPTION_KINDS (plus write-offs when asked), net of their cancellations (reversal moves
whose original was such a move). Each query is one GROUP BY item over the period, so a million
ledger rows cost one scan by date, never a loop in Python.

Invoices are read from app.models.sales (SalesInvoice / SalesInvoiceLine): posted invoices of
kind "invoice" in the period. `invoiced_not_shipped` subtracts what was already shipped against
the invoiced order lines, so only the part still owed to customers counts as demand.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, distinct, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from app.domain import move_kinds
from app.domain.money import ZERO
from app.models.catalog import Item
from app.models.purchasing import SupplierOffer
from app.models.stock import StockMove
from app.services.purchasing.bulk import rows_for_ids
from app.services.stock.reports import group_subtree

# the move kinds come from the one definition the posting code writes (app.domain.move_kinds)
CONSUMPTION_KINDS = move_kinds.CONSUMPTION_KINDS
WRITEOFF_KINDS = move_kinds.WRITEOFF_KINDS
BOUGHT_KINDS = ("material", "component")


@dataclass
class Usage:
    """One item's demand over a period: quantity, cost that left, revenue, number of documents."""

    qty: Decimal = ZERO
    cost: Decimal = ZERO
    revenue: Decimal | None = None
    documents: int = 0


def consumption(session: Session, date_from: date, date_to: date, warehouse_id: int | None = None,
                kinds: tuple[str, ...] = CONSUMPTION_KINDS, count_documents: bool = False) -> dict[int, Usage]:
    """item id -> Usage over [date_from, date_to] from the ledger (cancellations netted out).

    Documents are counted per (item, document type) with COUNT(DISTINCT doc_id) and added up in
    Python: a shipment and a production issue may share an id, and distinct over one integer
    column is three times cheaper on a million rows than over a concatenated key. A cancelled
    document's quantity is netted out, but the document itself still counts once.
    """
    original = aliased(StockMove)
    cancelled_consumption = and_(StockMove.kind == move_kinds.REVERSAL, exists().where(
        original.id == StockMove.reversal_of_id, original.kind.in_(kinds)))
    keys = [StockMove.item_id, StockMove.doc_type] if count_documents else [StockMove.item_id]
    columns = [*keys, func.sum(StockMove.qty), func.sum(StockMove.value)]
    if count_documents:
        columns.append(func.count(distinct(StockMove.doc_id)))
    stmt = (select(*columns)
            .where(StockMove.move_date >= date_from, StockMove.move_date <= date_to,
                   or_(StockMove.kind.in_(kinds), cancelled_consumption))
            .group_by(*keys))
    if warehouse_id is not None:
        stmt = stmt.where(StockMove.warehouse_id == warehouse_id)
    out: dict[int, Usage] = defaultdict(Usage)
    for row in session.execute(stmt):
        qty, value = row[-3 if count_documents else -2], row[-2 if count_documents else -1]
        u = out[row[0]]
        u.qty -= qty or ZERO
        u.cost -= value or ZERO
        if count_documents and (row[1] or "") != "reversal":
            u.documents += row[-1] or 0
    return {k: u for k, u in out.items() if u.qty > 0 or u.documents}


def _sales_models():
    """SalesInvoice / SalesInvoiceLine / ShipmentLine / Shipment when the sales context has them."""
    from app.models import sales

    return (getattr(sales, "SalesInvoice", None), getattr(sales, "SalesInvoiceLine", None),
            getattr(sales, "Shipment", None), getattr(sales, "ShipmentLine", None))


def invoiced(session: Session, date_from: date, date_to: date) -> dict[int, Usage]:
    """item id -> Usage from posted invoices in the period: qty, revenue in base currency, invoices.

    Revenue is each line's net amount times its invoice's rate; amounts and rates are summed per
    (item, rate) in SQL and multiplied in Python (two scaled columns are never multiplied in SQL).
    """
    invoice, line, _, _ = _sales_models()
    if invoice is None or line is None:
        return {}
    stmt = (select(line.item_id, invoice.rate, func.sum(line.qty), func.sum(line.amount),
                   func.count(distinct(invoice.id)))
            .join(invoice, invoice.id == line.invoice_id)
            .where(invoice.invoice_date >= date_from, invoice.invoice_date <= date_to, invoice.state == "posted",
                   invoice.kind == "invoice", line.item_id.is_not(None))
            .group_by(line.item_id, invoice.rate))
    out: dict[int, Usage] = defaultdict(Usage)
    for item_id, rate, qty, amount, count in session.execute(stmt):
        u = out[item_id]
        u.qty += qty or ZERO
        u.revenue = (u.revenue or ZERO) + (amount or ZERO) * (rate or Decimal(1))
        u.documents += count or 0
    return dict(out)


def invoiced_not_shipped(session: Session, date_from: date, date_to: date) -> dict[int, Decimal]:
    """item id -> quantity invoiced in the period (posted invoices) and not yet shipped.

    Shipped = posted shipment lines of the same sales order lines; an invoice line without an
    order line counts in full (nothing links it to a shipment).
    """
    invoice, line, shipment, ship_line = _sales_models()
    if invoice is None or line is None:
        return {}
    base = (select(line.item_id, line.order_line_id, func.sum(line.qty).label("qty"))
            .join(invoice, invoice.id == line.invoice_id)
            .where(invoice.invoice_date >= date_from, invoice.invoice_date <= date_to, invoice.state == "posted",
                   invoice.kind == "invoice", line.item_id.is_not(None))
            .group_by(line.item_id, line.order_line_id))
    rows = session.execute(base).all()
    shipped: dict[int, Decimal] = {}
    order_lines = {r[1] for r in rows if r[1] is not None}
    if shipment is not None and ship_line is not None and order_lines:
        for ol_id, qty in session.execute(
                select(ship_line.order_line_id, func.sum(ship_line.qty))
                .join(shipment, shipment.id == ship_line.shipment_id)
                .where(ship_line.order_line_id.in_(order_lines), shipment.state == "posted")
                .group_by(ship_line.order_line_id)):
            shipped[ol_id] = qty or ZERO
    out: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for item_id, ol_id, qty in rows:
        owed = (qty or ZERO) - shipped.get(ol_id, ZERO)
        if owed > 0:
            out[item_id] += owed
    return dict(out)


def bought_items(session: Session, item_ids: set[int] | None = None, group_id: int | None = None) -> set[int]:
    """The ids of the active items that are bought in (materials, components, or with a supplier offer).

    Products and nodes the factory makes itself are left out: their shortage is production's
    business, and buying a robot to cover robot sales is not what a buyer wants suggested.
    """
    has_offer = exists().where(SupplierOffer.item_id == Item.id, SupplierOffer.active.is_(True))
    stmt = select(Item.id).where(Item.active.is_(True), Item.kind != "service",
                                 or_(Item.kind.in_(BOUGHT_KINDS), has_offer))
    if group_id is not None:
        stmt = stmt.where(Item.group_id.in_(group_subtree(group_id)))
    if item_ids is None:
        return set(session.scalars(stmt))
    return {row[0] for row in rows_for_ids(session, stmt, Item.id, item_ids)}
