"""A receipt or issue dated in the past: the later documents take their goods again in FIFO order.

FIFO says an issue takes the oldest goods first, in the order of the documents' dates. A receipt
entered today but dated three weeks back holds goods older than the lots later issues took; an issue
entered today but dated three weeks back should have taken the goods that later issues took then.
So, for each (item, FIFO warehouse) of the document, the documents that come after it in date order
(its own moves included: (date, id) >= the document's) give back what they took from the lots, and
take it again in date order, oldest lot first (app.domain.valuation.allocate_fifo, the posting's own
rule, so the values are the ones a posting in date order would have given): exact FIFO, the goods
one document frees passed on to the still later ones. Where a document's takes changed, a
reallocation move (qty 0) writes the difference per lot (consumption rows on the document's own
move), and its cost change is carried downstream like a cost correction (recost.plan_walk:
transfers, production, shipments, margins). Only that item's documents after the date are read:
the ledger is never replayed.

Limits: a landed cost laid on a lot stays with the documents that had taken it (the shares of a
revaluation are not moved); a transfer whose lots change passes its cost change to its first
destination lot; average-cost warehouses are not re-allocated (their balance took the change).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain.errors import DomainError, Problem
from app.domain.money import ZERO
from app.domain.valuation import Layer, allocate_fifo
from app.models.costing import DOC_RECOST
from app.models.stock import DOC_ISSUE, DOC_RECEIPT, LotConsumption, StockDocument, StockLot, StockMove, Warehouse
from app.services.base import unit_of_work
from app.services.costing.recost import (
    REALLOCATION,
    REVALUATION,
    Impact,
    Plan,
    _Consumer,
    _consumers,
    add_margins,
    plan_walk,
    write_plan,
)

BACKDATED_TYPES = (DOC_RECEIPT, DOC_ISSUE)
Takes = dict[int, tuple[Decimal, Decimal]]  # lot -> (qty, value) a document holds of it
Held = dict[int, tuple[_Consumer, Takes]]  # consumer move -> (the consumer, its takes)


def _keys(session: Session, doc: StockDocument) -> list[tuple[int, int, int]]:
    """(item, FIFO warehouse, the document's first move there) of the document's own moves."""
    m = StockMove
    return list(session.execute(
        select(m.item_id, m.warehouse_id, func.min(m.id)).join(Warehouse, Warehouse.id == m.warehouse_id)
        .where(m.doc_type == doc.doc_type, m.doc_id == doc.id, m.reversal_of_id.is_(None), m.qty != 0,
               m.kind.notin_((REVALUATION, REALLOCATION)), Warehouse.valuation == "fifo")
        .group_by(m.item_id, m.warehouse_id).order_by(m.item_id, m.warehouse_id)).all())


def _later_takes(session: Session, item: int, wh: int, on: date, first: int) -> Held:
    """What each document at or after (on, first) in date order holds of this item's lots."""
    m = StockMove
    lot_ids = sorted(session.scalars(
        select(LotConsumption.lot_id.distinct()).join(m, m.id == LotConsumption.move_id)
        .where(m.item_id == item, m.warehouse_id == wh, m.qty < 0, m.move_date >= on)))
    out: Held = {}
    for lot_id, consumers in _consumers(session, lot_ids).items():
        for c in consumers:
            if (c.move_date, c.move_id) >= (on, first):
                out.setdefault(c.move_id, (c, {}))[1][lot_id] = (c.qty, c.value)
    return out


def _pool(session: Session, item: int, wh: int, held: Held) -> tuple[list[Layer], dict[int, str]]:
    """The lots as they stood before those documents (what is left plus what they took, oldest first),
    and the numbers of the documents that received them (for the preview's lines)."""
    back: dict[int, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for _, takes in held.values():
        for lot_id, (q, v) in takes.items():
            back[lot_id][0] += q
            back[lot_id][1] += v
    rows = session.execute(select(StockLot.id, StockLot.qty_remaining, StockLot.value_remaining, StockLot.unit_cost,
                                  StockLot.received_on, StockLot.doc_number)
                           .where(StockLot.item_id == item, StockLot.warehouse_id == wh,
                                  (StockLot.qty_remaining > 0) | StockLot.id.in_(sorted(back) or [0]))
                           .order_by(StockLot.received_on, StockLot.id))
    rows = rows.all()
    return ([Layer(i, q + back[i][0], v + back[i][1], cost, day) for i, q, v, cost, day, _ in rows],
            {r[0]: r[5] or "" for r in rows})


def _retake(plan: Plan, item: int, wh: int, held: Held,
            pool: tuple[list[Layer], dict[int, str]]) -> list[tuple[_Consumer, int, Decimal]]:
    """Each document, in date order, takes its quantity again oldest lot first; the differences are
    written as reallocation moves; returns (document, a lot it took, cost change) to carry on."""
    layers, numbers = pool
    carried = []
    for c, old in sorted(held.values(), key=lambda x: (x[0].move_date, x[0].move_id)):
        qty = sum((q for q, _ in old.values()), ZERO)
        new: Takes = {a.lot_id: (a.qty, a.cost) for a in allocate_fifo(layers, qty).allocations}
        delta = ZERO
        for lot_id in sorted(set(old) | set(new)):
            (oq, ov), (nq, nv) = old.get(lot_id, (ZERO, ZERO)), new.get(lot_id, (ZERO, ZERO))
            dq, dv = nq - oq, nv - ov
            if not dq and not dv:
                continue
            plan.move(item, wh, lot_id, -dv, [(lot_id, dq, dv)], kind=REALLOCATION, on_move=c.move_id)
            plan.lots[lot_id] -= dv
            plan.lot_qty[lot_id] -= dq
            plan.impacts.append(Impact("lot", -dv, "lot", lot_id, numbers.get(lot_id, ""), item, lot_id, qty=-dq))
            delta += dv
        if delta:
            carried.append((c, min(old), delta))
    return carried


def plan_backdated(session: Session, doc: StockDocument) -> Plan:
    """The re-costing a posted backdated receipt or issue causes (nothing written)."""
    plan = Plan(doc.doc_date, (DOC_RECOST, doc.id, doc.number or ""))
    carried = []
    for item, wh, first in _keys(session, doc):
        held = _later_takes(session, item, wh, doc.doc_date, first)
        if held:
            carried += _retake(plan, item, wh, held, _pool(session, item, wh, held))
    plan_walk(session, plan, {}, carried)
    add_margins(session, plan)
    return plan


MSG_NOT_BACKDATABLE = "Only receipts and issues are re-costed when posted with an earlier date"


def _post(session: Session, doc_id: int) -> StockDocument:
    from app.services.stock.documents import post_document

    doc_type = session.scalar(select(StockDocument.doc_type).where(StockDocument.id == doc_id))
    if doc_type is not None and doc_type not in BACKDATED_TYPES:
        raise DomainError([Problem(MSG_NOT_BACKDATABLE, field="doc_type")])
    return post_document(session, doc_id, confirm_backdated=True)


def post_backdated(session: Session, doc_id: int) -> tuple[StockDocument, Plan]:
    """Post a backdated receipt or issue and re-cost the later documents it reaches, in one transaction."""
    with unit_of_work(session):
        doc = _post(session, doc_id)
        plan = plan_backdated(session, doc)
        write_plan(session, plan)
        return session.get(StockDocument, doc_id), plan


def preview_backdated(session: Session, doc_id: int) -> Plan:
    """What posting the draft with re-costing would change: posted in a savepoint, then rolled back."""
    with unit_of_work(session):  # the posting below joins it, so nothing commits; the savepoint undoes it
        nested = session.begin_nested()
        try:
            doc = _post(session, doc_id)
            return plan_backdated(session, doc)
        finally:
            nested.rollback()
            session.expire_all()


def is_backdated(doc: StockDocument, today: date | None = None) -> bool:
    return doc.doc_type in BACKDATED_TYPES and doc.doc_date < (today or date.today())
