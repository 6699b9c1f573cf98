"""Reservations of a customer order: hold what the batch warehouse has, up to what is still to ship.

Held per item under ("sales_order", order id) through app.services.stock.reservations, so the
warehouse's own rules (locked balance rows, never more than available) apply. Topping up is safe to
repeat: it only adds the difference between what the order still needs and what it already holds.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy.orm import Session

from app.domain.money import ZERO
from app.models.sales import DOC_SALES_ORDER, SalesOrder
from app.services.sales.queries import shipped_by_line
from app.services.stock.ledger import lock_balances
from app.services.stock.reservations import reserve, reserved_for


def open_needs(session: Session, order: SalesOrder) -> dict[int, Decimal]:
    """Per item: ordered minus shipped, over the order's stocked lines."""

    shipped = shipped_by_line(session, order.id)
    needs: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for line in order.lines:
        if line.item is not None and line.item.kind != "service":
            needs[line.item_id] += max(line.qty - shipped.get(line.id, ZERO), ZERO)
    return dict(needs)


def top_up_reservations(session: Session, order: SalesOrder) -> dict[int, Decimal]:
    """Reserve, per item, what is available up to the open need; return what was added now."""
    if order.warehouse_id is None:
        return {}
    wh = order.warehouse_id
    needs = open_needs(session, order)
    held = reserved_for(session, DOC_SALES_ORDER, order.id)
    balances = lock_balances(session, {(i, wh) for i in needs})
    added: dict[int, Decimal] = {}
    for item_id in sorted(needs):
        missing = needs[item_id] - held.get((item_id, wh), ZERO)
        bal = balances[(item_id, wh)]
        qty = min(missing, bal.qty - bal.reserved)
        if qty > 0:
            reserve(session, DOC_SALES_ORDER, order.id, order.number, item_id, wh, qty)
            added[item_id] = qty
    return added
