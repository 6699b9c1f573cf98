"""Read-only figures of the sales context that several of its services need (what was shipped).

Kept apart from the services that write, so orders, reservations, the analysis and shipments can all
import it at module level without importing each other.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models.sales import DOC_POSTED, Shipment, ShipmentLine


def shipped_by_line(session: Session, order_id: int, exclude_shipment: int | None = None) -> dict[int, Decimal]:
    """Per order line: quantity on posted shipments."""
    q = (select(ShipmentLine.order_line_id, func.sum(ShipmentLine.qty))
         .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
         .where(Shipment.order_id == order_id, Shipment.state == DOC_POSTED)
         .group_by(ShipmentLine.order_line_id))
    if exclude_shipment is not None:
        q = q.where(Shipment.id != exclude_shipment)
    return {lid: qty for lid, qty in session.execute(q)}
