"""Rebuild the stock caches from the ledger facts and report (or repair) any difference.

Balances and lot remainders are caches kept in the posting transaction; this is the independent
check that they still equal the sums of the insert-only moves and consumption rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain.money import ZERO
from app.models.stock import LotConsumption, StockBalance, StockLot, StockMove, StockReservation, Warehouse


@dataclass(frozen=True)
class Difference:
    what: str
    key: tuple
    cached: tuple
    ledger: tuple

    def __str__(self) -> str:
        return f"{self.what} {self.key}: cached {self.cached} != ledger {self.ledger}"


def _ledger_balances(session: Session) -> dict[tuple[int, int], tuple[Decimal, Decimal]]:
    rows = session.execute(
        select(StockMove.item_id, StockMove.warehouse_id, func.sum(StockMove.qty), func.sum(StockMove.value))
        .group_by(StockMove.item_id, StockMove.warehouse_id)
    ).all()
    return {(i, w): (q or ZERO, v or ZERO) for i, w, q, v in rows}


def _check_balances(session: Session) -> list[Difference]:
    ledger = _ledger_balances(session)
    reserved = dict(((i, w), q) for i, w, q in session.execute(
        select(StockReservation.item_id, StockReservation.warehouse_id, func.sum(StockReservation.qty))
        .group_by(StockReservation.item_id, StockReservation.warehouse_id)).all())
    out = []
    seen = set()
    for bal in session.scalars(select(StockBalance)):
        key = (bal.item_id, bal.warehouse_id)
        seen.add(key)
        q, v = ledger.get(key, (ZERO, ZERO))
        if (bal.qty, bal.value) != (q, v):
            out.append(Difference("balance", key, (bal.qty, bal.value), (q, v)))
        if bal.reserved != (reserved.get(key) or ZERO):
            out.append(Difference("reserved", key, (bal.reserved,), (reserved.get(key) or ZERO,)))
    for key in set(ledger) - seen:
        out.append(Difference("balance", key, (None, None), ledger[key]))
    return out


def _check_lots(session: Session) -> list[Difference]:
    consumed = {lot: (q or ZERO, v or ZERO) for lot, q, v in session.execute(
        select(LotConsumption.lot_id, func.sum(LotConsumption.qty), func.sum(LotConsumption.value))
        .group_by(LotConsumption.lot_id)).all()}
    out = []
    for lot in session.scalars(select(StockLot)):
        q, v = consumed.get(lot.id, (ZERO, ZERO))
        if (lot.qty_remaining, lot.value_remaining) != (lot.qty - q, lot.value - v):
            out.append(Difference("lot", (lot.id,), (lot.qty_remaining, lot.value_remaining),
                                  (lot.qty - q, lot.value - v)))
    fifo_sums = session.execute(
        select(StockLot.item_id, StockLot.warehouse_id, func.sum(StockLot.qty_remaining),
               func.sum(StockLot.value_remaining))
        .join(Warehouse, Warehouse.id == StockLot.warehouse_id).where(Warehouse.valuation == "fifo")
        .group_by(StockLot.item_id, StockLot.warehouse_id)).all()
    ledger = _ledger_balances(session)
    for i, w, q, v in fifo_sums:
        if (q, v) != ledger.get((i, w), (ZERO, ZERO)):
            out.append(Difference("lots vs ledger", (i, w), (q, v), ledger.get((i, w))))
    return out


def verify_stock(session: Session) -> list[Difference]:
    """Every difference between the caches and the ledger (empty list: all consistent)."""
    return _check_balances(session) + _check_lots(session)
