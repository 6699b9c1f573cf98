"""Customer returns linked to the shipment the goods come back from: what may still be returned.

A customer return names its shipment (and through it the order and its invoices). Its lines are
the shipment's items, each up to the quantity shipped minus what posted returns of that shipment
already took back (read from the ledger, so a cancelled return gives its quantity back). Choosing
the shipment fills the lines with that remainder, at the cost that left with the goods; the grid,
the API and posting refuse a line beyond it, naming the line and the item.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain.errors import Collector
from app.domain.money import ZERO, exact, round_money, round_qty
from app.models.sales import DOC_POSTED, Shipment, ShipmentLine
from app.models.stock import DOC_CUSTOMER_RETURN, StockDocument, StockMove

MSG_NOT_SHIPPED = "%(item)s was not shipped in %(shipment)s"
MSG_TOO_MANY = ("%(item)s: %(qty)s to return, but %(shipped)s were shipped in %(shipment)s and %(returned)s "
                "already came back, so at most %(left)s")
MSG_SHIPMENT = "Choose a posted shipment of this client"


@dataclass
class Returnable:
    """One item of a shipment: shipped, already returned (base units) and the unit cost that left."""

    item_id: int
    shipped: Decimal
    returned: Decimal
    unit_cost: Decimal | None

    @property
    def left(self) -> Decimal:
        return max(self.shipped - self.returned, ZERO)


def returnable(session: Session, shipment_id: int, exclude_doc_id: int | None = None) -> dict[int, Returnable]:
    """Per item of the shipment: what was shipped and what posted returns (other than this one) took back."""
    shipped = session.execute(
        select(ShipmentLine.item_id, func.sum(ShipmentLine.qty), func.sum(ShipmentLine.cost))
        .where(ShipmentLine.shipment_id == shipment_id).group_by(ShipmentLine.item_id)).all()
    returns = select(StockDocument.id).where(StockDocument.doc_type == DOC_CUSTOMER_RETURN,
                                             StockDocument.shipment_id == shipment_id)
    if exclude_doc_id is not None:
        returns = returns.where(StockDocument.id != exclude_doc_id)
    back = dict(session.execute(
        select(StockMove.item_id, func.sum(StockMove.qty)).where(
            StockMove.doc_type == DOC_CUSTOMER_RETURN, StockMove.doc_id.in_(returns))
        .group_by(StockMove.item_id)).all())
    out = {}
    for item_id, qty, cost in shipped:
        qty = round_qty(Decimal(qty))
        with exact():
            unit_cost = round_money(Decimal(cost) / qty) if cost is not None and qty else None
        out[item_id] = Returnable(item_id, qty, round_qty(Decimal(back.get(item_id) or 0)), unit_cost)
    return out


def lines_to_return(session: Session, shipment_id: int) -> list:
    """The lines a new return of the shipment starts with: every item that can still come back."""
    from app.services.stock.documents import LineInput

    return [LineInput(r.item_id, r.left, unit_cost=r.unit_cost if r.unit_cost is not None else ZERO)
            for r in returnable(session, shipment_id).values() if r.left > 0]


def check_shipment(session: Session, doc: StockDocument, problems: Collector) -> Shipment | None:
    """The return's shipment: posted, and the same client as the return (when one is given)."""
    if doc.shipment_id is None:
        return None
    shipment = session.get(Shipment, doc.shipment_id)
    if (shipment is None or shipment.state != DOC_POSTED or doc.doc_type != DOC_CUSTOMER_RETURN
            or (doc.partner_id is not None and doc.partner_id != shipment.partner_id)):
        problems.add(MSG_SHIPMENT, field="shipment")
        return None
    return shipment


def validate_return_limits(session: Session, doc: StockDocument, lines: list, items: dict, problems: Collector
                           ) -> None:
    """Refuse lines of a return beyond what its shipment can still give back (base units, lines in order)."""
    if doc.doc_type != DOC_CUSTOMER_RETURN or doc.shipment_id is None:
        return
    from app.services.stock.documents import _unit_factor

    # the shipment row locked: two returns of it posted at once are checked one after the other
    number = session.scalar(select(Shipment.number).where(Shipment.id == doc.shipment_id).with_for_update())
    limits = returnable(session, doc.shipment_id, exclude_doc_id=doc.id)
    used: dict[int, Decimal] = {}
    cache: dict = {}
    for line in lines:
        item = items.get(line.item_id)
        if item is None or line.qty is None:
            continue
        code = item.code
        limit = limits.get(line.item_id)
        if limit is None:
            problems.add(MSG_NOT_SHIPPED, line=line.line_no, field="item_id", item=code, shipment=number)
            continue
        factor = _unit_factor(session, item, line.unit_id, cache) or Decimal(1)
        used[line.item_id] = used.get(line.item_id, ZERO) + round_qty(line.qty * factor)
        if used[line.item_id] > limit.left:
            problems.add(MSG_TOO_MANY, line=line.line_no, field="qty", item=code, qty=used[line.item_id],
                         shipped=limit.shipped, shipment=number, returned=limit.returned, left=limit.left)
