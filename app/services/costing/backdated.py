"""A receipt dated in the past: the later issues that took newer lots take its goods instead.

FIFO says an issue takes the oldest goods first. A receipt entered today but dated three weeks back
holds goods older than the lots later issues took, so those issues, in date order, take over the
backdated lot's quantity from the newest lots they consumed (a reallocation move: the backdated lot
gives, the newer lot gets back) and their cost changes by the price difference, carried downstream
like a cost correction (app/services/costing/recost.py). Only issues of the same item and warehouse
after the receipt's date that consumed lots received after it are touched.

The chain within those issues is simplified: each takes over from its own newest lots, and the
goods freed are not passed on to still later issues (exact FIFO would cascade them); the total
taken over equals the backdated quantity, or less when fewer later goods were consumed.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.money import exact, round_money
from app.models.costing import DOC_RECOST
from app.models.stock import DOC_RECEIPT, StockDocument, StockLot, Warehouse
from app.services.base import unit_of_work
from app.services.costing.recost import (
    REALLOCATION,
    Impact,
    Plan,
    _Consumer,
    _consumers,
    add_margins,
    plan_walk,
    write_plan,
)


def _new_lots(session: Session, doc: StockDocument) -> list[StockLot]:
    return list(session.scalars(select(StockLot).join(Warehouse, Warehouse.id == StockLot.warehouse_id).where(
        StockLot.doc_type == DOC_RECEIPT, StockLot.doc_id == doc.id, Warehouse.valuation == "fifo")
        .order_by(StockLot.id)))


def _later(session: Session, lot: StockLot) -> list[tuple[_Consumer, int]]:
    """(consumer, newer lot) pairs that took goods received after `lot`, oldest issue first, newest lot first."""
    newer = list(session.scalars(select(StockLot.id).where(
        StockLot.item_id == lot.item_id, StockLot.warehouse_id == lot.warehouse_id,
        StockLot.received_on > lot.received_on, StockLot.id != lot.id)))
    by_lot = _consumers(session, newer)
    pairs = [(c, lot_id) for lot_id, cs in by_lot.items() for c in cs if c.move_date and c.move_date > lot.received_on]
    pairs.sort(key=lambda p: (p[0].move_date, p[0].move_id, -p[1]))
    return pairs


def _swap(plan: Plan, lot: StockLot, pairs: list[tuple[_Consumer, int]]) -> list[tuple[_Consumer, int, Decimal]]:
    rem_q, rem_v = lot.qty_remaining, lot.value_remaining
    carried = []
    for c, newer in pairs:
        if rem_q <= 0:
            break
        take = min(rem_q, c.qty)
        with exact():
            new = rem_v if take == rem_q else round_money(rem_v * take / rem_q)
            old = c.value if take == c.qty else round_money(c.value * take / c.qty)
        rem_q, rem_v = rem_q - take, rem_v - new
        plan.move(lot.item_id, lot.warehouse_id, lot.id, old - new, [(lot.id, take, new), (newer, -take, -old)],
                  kind=REALLOCATION, on_move=c.move_id)
        plan.lots[lot.id] -= new
        plan.lot_qty[lot.id] -= take
        plan.lots[newer] += old
        plan.lot_qty[newer] += take
        plan.impacts.append(Impact("lot", -new, "lot", lot.id, lot.doc_number, lot.item_id, lot.id, qty=-take))
        plan.impacts.append(Impact("lot", old, "lot", newer, "", lot.item_id, newer, qty=take))
        carried.append((c, newer, new - old))
    return carried


def plan_backdated(session: Session, doc: StockDocument) -> Plan:
    """The re-costing a posted backdated receipt causes (nothing written)."""
    plan = Plan(doc.doc_date, (DOC_RECOST, doc.id, doc.number or ""))
    carried = []
    for lot in _new_lots(session, doc):
        carried += _swap(plan, lot, _later(session, lot))
    plan_walk(session, plan, {}, [c for c in carried if c[2]])
    add_margins(session, plan)
    return plan


def post_backdated(session: Session, doc_id: int) -> tuple[StockDocument, Plan]:
    """Post a backdated receipt and re-cost the later issues it reaches, in one transaction."""
    from app.services.stock.documents import post_document

    with unit_of_work(session):
        doc = post_document(session, doc_id, confirm_backdated=True)
        plan = plan_backdated(session, doc)
        write_plan(session, plan)
        return session.get(StockDocument, doc_id), plan


def preview_backdated(session: Session, doc_id: int) -> Plan:
    """What posting the draft with re-costing would change: posted in a savepoint, then rolled back."""
    from app.services.stock.documents import post_document

    with unit_of_work(session):  # the posting below joins it, so nothing commits; the savepoint undoes it
        nested = session.begin_nested()
        try:
            doc = post_document(session, doc_id, confirm_backdated=True)
            return plan_backdated(session, doc)
        finally:
            nested.rollback()
            session.expire_all()


def is_backdated(doc: StockDocument, today: date | None = None) -> bool:
    return doc.doc_type == DOC_RECEIPT and doc.doc_date < (today or date.today())
