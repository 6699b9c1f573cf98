"""Re-costing what consumed a lot: the walk down the lot consumption rows, planned then written.

A change of a lot's value (a landed cost, a price correction, a backdated receipt's cheaper goods)
is shared out over the lot's quantity: the part still in stock stays on the lot, each document
that consumed some of it gets its share. A transfer passes its share to the lot it created in the
destination warehouse, a production receipt to the product's lot, and so on, level by level, to
the shipments (their cost of goods sold, hence the orders' margins) and write-offs at the end of
the chain. Only the lots reached and the moves that consumed them are read (one query per level
for consumption, one for the lots the next level starts from): the ledger is never replayed.

`plan_walk` computes everything without writing (the impact preview); `write_plan` writes exactly
that plan as new value-only moves (qty 0) with their consumption rows, and brings the caches (lot
remainders, balances, shipment line costs, production costs) up to date. Preview and posting are
one computation, so their totals agree by construction.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, Decimal, localcontext

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from app.domain import move_kinds
from app.domain.errors import DomainError
from app.domain.money import ZERO
from app.models.base import utcnow
from app.models.costing import CostImpact
from app.models.production import DOC_PRODUCTION, ProductionCompletion, ProductionOrder
from app.models.sales import DOC_SHIPMENT, SalesOrder, Shipment, ShipmentLine
from app.models.stock import DOC_TRANSFER, LotConsumption, StockBalance, StockLot, StockMove, Warehouse
from app.services.base import current_actor
from app.services.stock import ledger_rows as rows

REVALUATION = "revaluation"  # a value-only move (qty 0) of a cost correction or re-costing
REALLOCATION = "reallocation"  # a backdated receipt's lot taking over what a later issue took from a newer lot
CHUNK = 500  # ids per IN list
KOPEK = Decimal("0.01")


def share_out(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split `total` in proportion to `weights` to the kopek; the shares add up to `total` exactly.

    Each share but the last with a weight is cut toward zero, the rounding remainder goes to that
    last one (the part still in stock, when there is any), so no kopek is created or lost.
    """
    weight_sum = sum(weights, ZERO)
    if weight_sum <= 0 or any(w < 0 for w in weights):
        raise DomainError("The cost cannot be shared out: every weight is zero")
    last = max(i for i, w in enumerate(weights) if w > 0)
    with localcontext() as ctx:
        ctx.prec = 40
        shares = [(total * w / weight_sum).quantize(KOPEK, rounding=ROUND_DOWN) for w in weights]
    shares[last] = total - (sum(shares, ZERO) - shares[last])
    return shares


@dataclass
class Impact:
    """One change the re-costing makes (the CostImpact row it writes)."""

    target: str  # lot, issue, transfer, production, shipment, margin, expense
    amount: Decimal
    doc_type: str = ""
    doc_id: int | None = None
    doc_number: str = ""
    item_id: int | None = None
    lot_id: int | None = None
    consumer_move_id: int | None = None
    qty: Decimal = ZERO


@dataclass
class Plan:
    """Everything a re-costing writes, computed before any write."""

    on_date: date
    source: tuple[str, int, str]  # (doc_type, doc_id, number) the moves are posted under
    moves: list[dict] = field(default_factory=list)  # value-only moves, each with "_cons": [(lot, qty, value)]
    lots: dict[int, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))  # lot -> value change
    lot_qty: dict[int, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))  # lot -> qty change
    balances: dict[tuple[int, int], Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    shipment_lines: dict[int, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    completions: dict[int, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    impacts: list[Impact] = field(default_factory=list)

    def totals(self) -> dict[str, Decimal]:
        """Amount per target (lot, shipment, margin...): what the preview's totals show."""
        out: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for imp in self.impacts:
            out[imp.target] += imp.amount
        return dict(out)

    def move(self, item_id: int, warehouse_id: int, lot_id: int | None, value: Decimal,
             cons: list[tuple[int, Decimal, Decimal]], kind: str = REVALUATION, on_move: int | None = None) -> None:
        """Add one value-only move and its effect on the balance. Its consumption rows belong to the
        move itself, or to `on_move` (a backdated receipt: what a later issue now takes from its lot)."""
        self.moves.append({"item_id": item_id, "warehouse_id": warehouse_id, "lot_id": lot_id, "value": value,
                           "kind": kind, "_cons": cons, "_on": on_move})
        self.balances[(item_id, warehouse_id)] += value


@dataclass(frozen=True)
class _Consumer:
    move_id: int
    doc_type: str
    doc_id: int
    doc_number: str
    doc_line_id: int | None
    item_id: int
    warehouse_id: int
    qty: Decimal
    value: Decimal = ZERO
    move_date: date | None = None


def _chunks(ids: list[int]):
    for i in range(0, len(ids), CHUNK):
        yield ids[i:i + CHUNK]


def _consumers(session: Session, lot_ids: list[int]) -> dict[int, list[_Consumer]]:
    """{lot: [moves that still hold some of it, net of cancellations]} (value-only rows left out)."""
    net: dict[tuple[int, int], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    info: dict[int, tuple] = {}
    dates: dict[int, date] = {}
    for chunk in _chunks(lot_ids):
        q = (select(LotConsumption.lot_id, LotConsumption.qty, LotConsumption.value, StockMove.id,
                    StockMove.reversal_of_id, StockMove.doc_type, StockMove.doc_id, StockMove.doc_number,
                    StockMove.doc_line_id, StockMove.item_id, StockMove.warehouse_id, StockMove.kind,
                    StockMove.move_date)
             .join(StockMove, StockMove.id == LotConsumption.move_id)
             .where(LotConsumption.lot_id.in_(chunk), LotConsumption.qty != 0))
        for lot_id, qty, value, mid, rev_of, dt, did, dn, dl, item, wh, kind, day in session.execute(q):
            acc = net[(lot_id, rev_of or mid)]
            acc[0] += qty
            acc[1] += value
            if rev_of is None and kind not in (REVALUATION, REALLOCATION):
                info[mid] = (dt, did, dn, dl, item, wh)
                dates[mid] = day
    out: dict[int, list[_Consumer]] = defaultdict(list)
    for (lot_id, mid), (qty, value) in sorted(net.items()):
        if qty > 0 and mid in info:
            out[lot_id].append(_Consumer(mid, *info[mid], qty, value, dates[mid]))
    return out


@dataclass(frozen=True)
class _Lot:
    id: int
    item_id: int
    warehouse_id: int
    qty_remaining: Decimal
    doc_number: str


def _lots(session: Session, lot_ids: list[int]) -> dict[int, _Lot]:
    out = {}
    for chunk in _chunks(lot_ids):
        for r in session.execute(select(StockLot.id, StockLot.item_id, StockLot.warehouse_id,
                                        StockLot.qty_remaining, StockLot.doc_number).where(StockLot.id.in_(chunk))):
            out[r[0]] = _Lot(*r)
    return out


def _arrivals(session: Session, consumers: list[_Consumer]) -> dict[tuple, tuple[int | None, int, int]]:
    """Where the consumers' cost went on: a transfer's destination lot, a production receipt's product.

    Keys: ("transfer", doc_id, doc_line_id, origin lot) and ("production", doc_id); values:
    (lot or None for an average-cost warehouse, item, warehouse).
    """
    out: dict[tuple, tuple[int | None, int, int]] = {}
    for doc_type, kind in ((DOC_TRANSFER, move_kinds.TRANSFER_IN), (DOC_PRODUCTION, move_kinds.PRODUCTION_OUTPUT)):
        ids = sorted({c.doc_id for c in consumers if c.doc_type == doc_type})
        for chunk in _chunks(ids):
            q = (select(StockMove.doc_id, StockMove.doc_line_id, StockMove.lot_id, StockLot.origin_lot_id,
                        StockMove.item_id, StockMove.warehouse_id)
                 .outerjoin(StockLot, StockLot.id == StockMove.lot_id)
                 .where(StockMove.doc_type == doc_type, StockMove.doc_id.in_(chunk), StockMove.kind == kind,
                        StockMove.reversal_of_id.is_(None), StockMove.qty > 0)
                 .order_by(StockMove.id))
            for doc_id, line_id, lot_id, origin, item, wh in session.execute(q):
                key = (doc_type, doc_id) if doc_type == DOC_PRODUCTION else (doc_type, doc_id, line_id, origin)
                out.setdefault(key, (lot_id, item, wh))
    return out


def _arrival_of(arrivals: dict, c: _Consumer, lot_id: int) -> tuple[int | None, int, int] | None:
    if c.doc_type == DOC_PRODUCTION:
        return arrivals.get((DOC_PRODUCTION, c.doc_id))
    if c.doc_type == DOC_TRANSFER:
        return arrivals.get((DOC_TRANSFER, c.doc_id, c.doc_line_id, lot_id)) or \
            arrivals.get((DOC_TRANSFER, c.doc_id, c.doc_line_id, None))
    return None


def plan_walk(session: Session, plan: Plan, lot_deltas: dict[int, Decimal],
              consumer_deltas: list[tuple[_Consumer, int, Decimal]] = ()) -> Plan:
    """Share each lot's value change over what consumed it, level by level, into `plan`.

    `consumer_deltas` are documents whose cost changed already (a backdated receipt's swap):
    (consumer, the lot they consumed, change) carried on downstream without an outgoing move.
    """
    frontier: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for lot_id, d in lot_deltas.items():
        frontier[lot_id] += d
    pending = list(consumer_deltas)
    while frontier or pending:
        lots = _lots(session, sorted(frontier))
        consumers = _consumers(session, sorted(frontier))
        everyone = [c for cs in consumers.values() for c in cs] + [c for c, _, _ in pending]
        arrivals = _arrivals(session, everyone)
        nxt: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for lot_id, delta in sorted(frontier.items()):
            if delta:
                _share_lot(plan, lots[lot_id], delta, consumers.get(lot_id, []), arrivals, nxt)
        for c, lot_id, delta in pending:
            _carry(plan, c, lot_id, delta, arrivals, nxt)
        frontier, pending = nxt, []
    return plan


def _share_lot(plan: Plan, lot: _Lot, delta: Decimal, consumers: list[_Consumer], arrivals: dict,
               nxt: dict[int, Decimal]) -> None:
    weights = [c.qty for c in consumers] + [lot.qty_remaining]
    if not sum(weights, ZERO):  # the goods left by a cancelled receipt: nothing holds them any more
        plan.impacts.append(Impact("expense", delta, "lot", lot.id, lot.doc_number, lot.item_id, lot.id))
        return
    shares = share_out(delta, weights)
    # one move per lot: the change comes in (-delta on the lot's consumption) and each consumer's share
    # goes out with it (one consumption row each), so the move's value is the part still in stock.
    # 10,000 consumers write 10,000 consumption rows and one move, not 10,000 moves.
    cons = [(lot.id, ZERO, -delta)]
    for c, s in zip(consumers, shares, strict=False):
        if not s:
            continue
        cons.append((lot.id, ZERO, s))
        _carry(plan, c, lot.id, s, arrivals, nxt)
    plan.move(lot.item_id, lot.warehouse_id, lot.id, shares[-1], cons)
    plan.lots[lot.id] += shares[-1]
    if shares[-1]:
        plan.impacts.append(Impact("lot", shares[-1], "lot", lot.id, lot.doc_number, lot.item_id, lot.id,
                                   qty=lot.qty_remaining))


def _carry(plan: Plan, c: _Consumer, lot_id: int, s: Decimal, arrivals: dict, nxt: dict[int, Decimal]) -> None:
    """A consumer's cost changed by `s`: record it and pass it on to whatever it made or moved."""
    arrival = _arrival_of(arrivals, c, lot_id)
    if c.doc_type == DOC_SHIPMENT:
        target = "shipment"
        if c.doc_line_id is not None:
            plan.shipment_lines[c.doc_line_id] += s
    elif c.doc_type == DOC_PRODUCTION:
        target = "production"
        plan.completions[c.doc_id] += s
    elif c.doc_type == DOC_TRANSFER:
        target = "transfer"
    else:
        target = "issue"
    plan.impacts.append(Impact(target, s, c.doc_type, c.doc_id, c.doc_number, c.item_id, lot_id, c.move_id, c.qty))
    if arrival is None:
        return
    dest_lot, item, wh = arrival
    if dest_lot is not None:
        nxt[dest_lot] += s
    else:  # an average-cost warehouse: its value takes the change, there is no lot to follow
        plan.move(item, wh, None, s, [])
        plan.impacts.append(Impact("lot", s, c.doc_type, c.doc_id, c.doc_number, item, None))


def add_margins(session: Session, plan: Plan) -> None:
    """Orders whose shipments' cost changed: their margin changes by minus that cost."""
    if not plan.shipment_lines:
        return
    per_order: dict[tuple[int, str], Decimal] = defaultdict(lambda: ZERO)
    ids = sorted(plan.shipment_lines)
    for chunk in _chunks(ids):
        q = (select(ShipmentLine.id, SalesOrder.id, SalesOrder.number)
             .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
             .join(SalesOrder, SalesOrder.id == Shipment.order_id)
             .where(ShipmentLine.id.in_(chunk)))
        for line_id, order_id, number in session.execute(q):
            per_order[(order_id, number or "")] += plan.shipment_lines[line_id]
    for (order_id, number), cost in sorted(per_order.items()):
        plan.impacts.append(Impact("margin", -cost, "sales_order", order_id, number))


# --- writing the plan ----------------------------------------------------------------------------

_LOT = StockLot.__table__
_BAL = StockBalance.__table__
_ADD_LOT_VALUE = update(_LOT).where(_LOT.c.id == bindparam("b_id")).values(
    value_remaining=_LOT.c.value_remaining + bindparam("b_delta", type_=_LOT.c.value_remaining.type),
    qty_remaining=_LOT.c.qty_remaining + bindparam("b_qty", type_=_LOT.c.qty_remaining.type))
_ADD_SHIP_COST = update(ShipmentLine.__table__).where(ShipmentLine.__table__.c.id == bindparam("b_id")).values(
    cost=ShipmentLine.__table__.c.cost + bindparam("b_delta", type_=ShipmentLine.__table__.c.cost.type))


def write_plan(session: Session, plan: Plan, reversal: bool = False) -> None:
    """Write the plan's moves, consumption rows, cache changes and impact rows (caller's transaction)."""
    session.flush()
    doc_type, doc_id, number = plan.source
    username, created = current_actor().username, utcnow()
    moves = [{"move_date": plan.on_date, "created_at": created, "item_id": m["item_id"],
              "warehouse_id": m["warehouse_id"], "lot_id": m["lot_id"], "qty": ZERO, "value": m["value"],
              "revaluation": m["value"], "kind": m["kind"], "doc_type": doc_type, "doc_id": doc_id,
              "doc_number": number, "doc_line_id": None, "reversal_of_id": None, "username": username}
             for m in plan.moves]
    rows.insert_with_ids(session, StockMove.__table__, moves)
    rows.insert_rows(session, LotConsumption.__table__, [
        {"move_id": m["_on"] or row["id"], "lot_id": lot, "qty": q, "value": v}
        for m, row in zip(plan.moves, moves, strict=True) for lot, q, v in m["_cons"]])
    changed = [{"b_id": k, "b_delta": plan.lots.get(k, ZERO), "b_qty": plan.lot_qty.get(k, ZERO)}
               for k in sorted(set(plan.lots) | set(plan.lot_qty)) if plan.lots.get(k) or plan.lot_qty.get(k)]
    if changed:
        session.execute(_ADD_LOT_VALUE, changed)
    _write_balances(session, plan)
    ship = [{"b_id": k, "b_delta": v} for k, v in sorted(plan.shipment_lines.items()) if v]
    if ship:
        session.execute(_ADD_SHIP_COST, ship)
        _touch_shipments(session, [r["b_id"] for r in ship], created)
    _write_production(session, plan)
    rows.insert_rows(session, CostImpact.__table__, [
        {"source_type": doc_type, "source_id": doc_id, "reversal": reversal, "target": i.target,
         "doc_type": i.doc_type, "doc_id": i.doc_id, "doc_number": i.doc_number, "item_id": i.item_id,
         "lot_id": i.lot_id, "consumer_move_id": i.consumer_move_id, "qty": i.qty, "amount": i.amount}
        for i in plan.impacts])
    session.expire_all()


_SHIP = Shipment.__table__
_SHIP_LINE = ShipmentLine.__table__


def _touch_shipments(session: Session, line_ids: list[int], stamp) -> None:
    """Stamp the shipments whose cost changed as changed: the KPI job watches shipments by their day
    and change stamp (app/services/kpi/sources.py), so a closed month's margin is recomputed and
    restated, as for a late document. One UPDATE per 500 lines."""
    for chunk in _chunks(line_ids):
        session.execute(update(_SHIP).where(_SHIP.c.id.in_(
            select(_SHIP_LINE.c.shipment_id).where(_SHIP_LINE.c.id.in_(chunk)))).values(updated_at=stamp))


def _write_balances(session: Session, plan: Plan) -> None:
    keys = [k for k, v in plan.balances.items() if v]
    if not keys:
        return
    from app.services.stock.ledger import lock_balances

    balances = lock_balances(session, set(keys))
    fifo = dict(session.execute(select(Warehouse.id, Warehouse.valuation)).all())
    for key in sorted(keys):
        bal = balances[key]
        bal.value = bal.value + plan.balances[key]
        if fifo.get(key[1]) != "fifo" and bal.qty > 0:
            bal.last_unit_cost = (bal.value / bal.qty).quantize(Decimal("0.00000001"))
        bal.last_move_date = max(bal.last_move_date or plan.on_date, plan.on_date)
    session.flush()


def _write_production(session: Session, plan: Plan) -> None:
    """Output receipts and their orders carry the material cost that reached them."""
    if not plan.completions:
        return
    ids = sorted(k for k, v in plan.completions.items() if v)
    per_order: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for chunk in _chunks(ids):
        for comp in session.scalars(select(ProductionCompletion).where(ProductionCompletion.id.in_(chunk))):
            d = plan.completions[comp.id]
            comp.material_cost = comp.material_cost + d
            comp.output_value = comp.output_value + d
            per_order[comp.order_id] += d
    for order in session.scalars(select(ProductionOrder).where(ProductionOrder.id.in_(sorted(per_order)))):
        order.actual_material = order.actual_material + per_order[order.id]
    session.flush()
