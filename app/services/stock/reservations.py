"""Reservations: goods held for a customer document so nothing else can issue them.

The reserved total lives on the balance row (locked like any posting), the detail per document in
StockReservation. Only what is on hand and not reserved by others can be reserved.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.errors import DomainError
from app.domain.money import ZERO
from app.models.stock import StockReservation
from app.services.stock.ledger import lock_balances


def reserve(session: Session, doc_type: str, doc_id: int, doc_number: str, item_id: int, warehouse_id: int,
            qty: Decimal, label: str = "") -> StockReservation:
    """Hold qty of an item for a document; refuse beyond what is available."""
    if not qty.is_finite() or qty <= 0:
        raise DomainError("Quantity must be positive")
    bal = lock_balances(session, {(item_id, warehouse_id)})[(item_id, warehouse_id)]
    available = bal.qty - bal.reserved
    if qty > available:
        raise DomainError(
            "Cannot reserve %(requested)s of %(item)s: available %(available)s",
            requested=qty, item=label or item_id, available=max(available, ZERO),
        )
    bal.reserved = bal.reserved + qty
    row = StockReservation(item_id=item_id, warehouse_id=warehouse_id, qty=qty, doc_type=doc_type,
                           doc_id=doc_id, doc_number=doc_number)
    session.add(row)
    session.flush()
    return row


def release(session: Session, doc_type: str, doc_id: int) -> Decimal:
    """Release everything a document still holds; return the quantity released."""
    rows = list(session.scalars(select(StockReservation).where(
        StockReservation.doc_type == doc_type, StockReservation.doc_id == doc_id, StockReservation.qty > 0)))
    if not rows:
        return ZERO
    balances = lock_balances(session, {(r.item_id, r.warehouse_id) for r in rows})
    total = ZERO
    for r in rows:
        bal = balances[(r.item_id, r.warehouse_id)]
        bal.reserved = bal.reserved - r.qty
        total += r.qty
        r.qty = ZERO
    return total


def reserved_for(session: Session, doc_type: str, doc_id: int) -> dict[tuple[int, int], Decimal]:
    out: dict[tuple[int, int], Decimal] = {}
    for r in session.scalars(select(StockReservation).where(
            StockReservation.doc_type == doc_type, StockReservation.doc_id == doc_id, StockReservation.qty > 0)):
        out[(r.item_id, r.warehouse_id)] = out.get((r.item_id, r.warehouse_id), ZERO) + r.qty
    return out
