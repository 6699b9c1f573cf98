"""Lot traceability: the recall list of a component lot (forwards) and the make-up of a product (backwards).

Forwards: a lot's FIFO consumption (lot_consumption -> the issuing move's document) leads to the lots that
document created: the output of a production completion, disassembly or conversion (every lot it received),
or, for a transfer, the lot whose `origin_lot_id` is the consumed one. Each level is two set queries over
the frontier of lots (never one query per row), so the depth of the BOM costs a few queries each and the
work grows with the size of the answer, not of the ledger. Consumption is netted per document, so a
cancelled completion or shipment (its reversal gives the lot back) no longer counts. Shipments are where
the trail reaches clients; other issues (write-offs, returns to the supplier, repairs) are listed as such.

Backwards: a lot's own document tells what it was made from (the lots that document consumed), up to the
receipts from suppliers. Quantities are exact Decimals read from the ledger.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain.errors import DomainError
from app.domain.money import round_money
from app.models.catalog import Item
from app.models.partners import Partner
from app.models.production import DOC_CONVERSION, DOC_DISASSEMBLY, DOC_PRODUCTION, ProductionCompletion, ProductionOrder
from app.models.sales import DOC_SHIPMENT, SalesOrderLine, Shipment, ShipmentLine
from app.models.stock import DOC_RECEIPT, DOC_TRANSFER, LotConsumption, StockDocument, StockLot, StockMove

#: documents whose inbound lots are made of what they consumed
MAKING_DOCS = (DOC_PRODUCTION, DOC_DISASSEMBLY, DOC_CONVERSION)
MAX_LEVELS = 50  # a cycle in the data (it can't happen through FIFO) must never loop for ever
_CHUNK = 900  # parameters per IN list (SQLite allows 999 in old builds)

Doc = tuple[str, int]


@dataclass
class LotNode:
    """A lot on the trail: made (or moved) by `doc`, from `parent_lot_id` of which it took `parent_qty`."""

    level: int
    lot_id: int
    item_id: int
    code: str
    qty: Decimal
    qty_remaining: Decimal
    warehouse_id: int
    doc_type: str
    doc_id: int | None
    doc_number: str
    parent_lot_id: int | None = None
    parent_qty: Decimal = Decimal(0)
    production_order: str = ""
    production_order_id: int | None = None
    item_label: str = ""
    supplier: str = ""
    unit_cost: Decimal = Decimal(0)


@dataclass
class Delivery:
    """Suspect goods that left through a document: a shipment to a client, or another issue."""

    level: int
    lot_id: int
    item_id: int
    doc_type: str
    doc_id: int
    doc_number: str
    qty: Decimal
    partner_id: int | None = None
    partner_name: str = ""
    partner_email: str = ""
    doc_date: date | None = None
    order_id: int | None = None
    item_label: str = ""
    lot_code: str = ""
    amount: Decimal = Decimal(0)  # net sales amount of these units (order currency)
    cost: Decimal = Decimal(0)  # their FIFO cost

    @property
    def margin(self) -> Decimal:
        return self.amount - self.cost


@dataclass
class Trace:
    start: LotNode
    lots: list[LotNode] = field(default_factory=list)  # the start lot first
    deliveries: list[Delivery] = field(default_factory=list)
    levels: int = 0

    @property
    def shipments(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.doc_type == DOC_SHIPMENT]

    def by_client(self) -> list[dict]:
        """The recall list per client and item: shipped quantity and the shipments it came with."""
        groups: dict[tuple, dict] = {}
        for d in self.shipments:
            g = groups.setdefault((d.partner_id, d.item_id), {
                "partner_id": d.partner_id, "partner": d.partner_name, "email": d.partner_email,
                "item_id": d.item_id, "item": d.item_label, "qty": Decimal(0), "amount": Decimal(0),
                "margin": Decimal(0), "shipments": []})
            g["qty"] += d.qty
            g["amount"] += d.amount
            g["margin"] += d.margin
            if d.doc_number not in g["shipments"]:
                g["shipments"].append(d.doc_number)
        return sorted(groups.values(), key=lambda g: (g["partner"], g["item"]))


def _chunks(values: list, size: int = _CHUNK):
    for i in range(0, len(values), size):
        yield values[i:i + size]


def _lot_rows(session: Session, lot_ids: list[int]) -> dict[int, object]:
    rows: dict[int, object] = {}
    for part in _chunks(sorted(lot_ids)):
        for r in session.execute(select(StockLot.id, StockLot.item_id, StockLot.code, StockLot.qty,
                                        StockLot.qty_remaining, StockLot.warehouse_id, StockLot.doc_type,
                                        StockLot.doc_id, StockLot.doc_number, StockLot.origin_lot_id,
                                        StockLot.unit_cost)
                                 .where(StockLot.id.in_(part))):
            rows[r.id] = r
    return rows


def _node(r, level: int, parent: int | None = None, parent_qty: Decimal = Decimal(0)) -> LotNode:
    return LotNode(level, r.id, r.item_id, r.code, r.qty, r.qty_remaining, r.warehouse_id, r.doc_type, r.doc_id,
                   r.doc_number, parent, parent_qty, unit_cost=r.unit_cost)


def _consumers(session: Session, lot_ids: list[int]) -> list[tuple[int, str, int, str, Decimal]]:
    """(lot, doc_type, doc_id, doc_number, net qty) of every document that still holds part of the lots."""
    out = []
    net = func.sum(LotConsumption.qty)
    for part in _chunks(lot_ids):
        q = (select(LotConsumption.lot_id, StockMove.doc_type, StockMove.doc_id, func.max(StockMove.doc_number), net)
             .join(StockMove, StockMove.id == LotConsumption.move_id)
             .where(LotConsumption.lot_id.in_(part))
             .group_by(LotConsumption.lot_id, StockMove.doc_type, StockMove.doc_id))
        out += [(lot, dt, di, num or "", qty) for lot, dt, di, num, qty in session.execute(q) if qty and qty > 0]
    return out


def _by_type(docs: list[Doc]):
    """(doc_type, ids chunk) pairs: `doc_type = ? AND doc_id IN (...)` uses the (doc_type, doc_id) index on
    SQLite as on PostgreSQL, where a row-value IN over both columns made SQLite scan the whole ledger."""
    ids: dict[str, set[int]] = defaultdict(set)
    for doc_type, doc_id in docs:
        ids[doc_type].add(doc_id)
    for doc_type, values in sorted(ids.items()):
        for part in _chunks(sorted(values)):
            yield doc_type, part


def _made_by(session: Session, docs: list[Doc]) -> dict[Doc, list[int]]:
    """The lots each document received (production output, disassembly parts, transfer arrivals)."""
    out: dict[Doc, list[int]] = defaultdict(list)
    for doc_type, part in _by_type(docs):
        q = (select(StockMove.doc_type, StockMove.doc_id, StockMove.lot_id)
             .where(StockMove.doc_type == doc_type, StockMove.doc_id.in_(part), StockMove.qty > 0,
                    StockMove.lot_id.is_not(None), StockMove.reversal_of_id.is_(None)))
        for dt, di, lot in session.execute(q):
            if lot not in out[(dt, di)]:
                out[(dt, di)].append(lot)
    return out


def trace_forward(session: Session, lot_id: int) -> Trace:
    """Every lot made from `lot_id` through every production level, and where the goods went (recall list)."""
    start_rows = _lot_rows(session, [lot_id])
    if lot_id not in start_rows:
        raise DomainError("Lot %(lot)s does not exist", lot=lot_id)
    trace = Trace(_node(start_rows[lot_id], 0))
    trace.lots.append(trace.start)
    seen = {lot_id}
    frontier = [lot_id]
    level = 0
    while frontier and level < MAX_LEVELS:
        level += 1
        consumed = _consumers(session, frontier)
        onward = [(dt, di) for _, dt, di, _, _ in consumed if dt in MAKING_DOCS or dt == DOC_TRANSFER]
        made = _made_by(session, onward) if onward else {}
        new_links: list[tuple[int, int, Decimal, str]] = []  # (child lot, parent lot, qty taken, doc_number)
        for src, dt, di, number, qty in consumed:
            if dt in MAKING_DOCS or dt == DOC_TRANSFER:
                new_links += [(child, src, qty, number) for child in made.get((dt, di), ())]
            else:
                trace.deliveries.append(Delivery(level, src, 0, dt, di, number, qty))
        children = _lot_rows(session, [c for c, _, _, _ in new_links if c not in seen])
        frontier = []
        for child, src, qty, _ in new_links:
            row = children.get(child)
            if row is None or child in seen:
                continue
            if row.doc_type == DOC_TRANSFER and row.origin_lot_id != src:
                continue  # another line of the same transfer
            seen.add(child)
            trace.lots.append(_node(row, level, src, qty))
            frontier.append(child)
        trace.levels = level if frontier or consumed else trace.levels
    _describe(session, trace)
    return trace


def trace_backward(session: Session, lot_id: int | None = None, shipment_id: int | None = None) -> Trace:
    """What a lot (or everything a shipment took) is made of, down to the supplier lots."""
    if shipment_id is not None:
        start_lots = _shipment_lots(session, shipment_id)
        ship = session.get(Shipment, shipment_id)
        if ship is None:
            raise DomainError("Shipment %(id)s does not exist", id=shipment_id)
        root = LotNode(0, 0, 0, "", sum(start_lots.values(), Decimal(0)), Decimal(0), ship.warehouse_id,
                       DOC_SHIPMENT, ship.id, ship.number)
    else:
        rows = _lot_rows(session, [lot_id])
        if lot_id not in rows:
            raise DomainError("Lot %(lot)s does not exist", lot=lot_id)
        root = _node(rows[lot_id], 0)
        start_lots = {}
    trace = Trace(root)
    if shipment_id is None:
        trace.lots.append(root)
        frontier = {lot_id: None}
    else:
        rows = _lot_rows(session, list(start_lots))
        for lid, qty in start_lots.items():
            trace.lots.append(_node(rows[lid], 1, None, qty))
        frontier = dict.fromkeys(start_lots)
    seen = set(frontier)
    known: dict[int, object] = {}
    level = 0 if shipment_id is None else 1
    while frontier and level < MAX_LEVELS:
        rows = _lot_rows(session, list(frontier))
        making = [(r.doc_type, r.doc_id) for r in rows.values() if r.doc_type in MAKING_DOCS and r.doc_id]
        inputs = _inputs(session, making) if making else {}
        links: list[tuple[int, int, Decimal]] = []  # (component lot, made lot, qty)
        for r in rows.values():
            if r.origin_lot_id:
                links.append((r.origin_lot_id, r.id, r.qty))
            for comp, qty in inputs.get((r.doc_type, r.doc_id), ()):
                links.append((comp, r.id, qty))
        level += 1
        known.update(_lot_rows(session, [c for c, _, _ in links if c not in known]))
        frontier = {}
        for comp, made, qty in links:
            if comp not in known:
                continue
            # a lot used by several made lots (bolts in the drive, the chassis and the robot) is listed under
            # each of them with what each took, and followed down once
            trace.lots.append(_node(known[comp], level, made, qty))
            if comp not in seen:
                seen.add(comp)
                frontier[comp] = made
        if frontier:
            trace.levels = level
    _describe(session, trace)
    return trace


def _inputs(session: Session, docs: list[Doc]) -> dict[Doc, list[tuple[int, Decimal]]]:
    out: dict[Doc, list[tuple[int, Decimal]]] = defaultdict(list)
    for doc_type, part in _by_type(docs):
        q = (select(StockMove.doc_type, StockMove.doc_id, LotConsumption.lot_id, func.sum(LotConsumption.qty))
             .join(LotConsumption, LotConsumption.move_id == StockMove.id)
             .where(StockMove.doc_type == doc_type, StockMove.doc_id.in_(part))
             .group_by(StockMove.doc_type, StockMove.doc_id, LotConsumption.lot_id))
        for dt, di, lot, qty in session.execute(q):
            if qty and qty > 0:
                out[(dt, di)].append((lot, qty))
    return out


def _shipment_lots(session: Session, shipment_id: int) -> dict[int, Decimal]:
    q = (select(LotConsumption.lot_id, func.sum(LotConsumption.qty))
         .join(StockMove, StockMove.id == LotConsumption.move_id)
         .where(StockMove.doc_type == DOC_SHIPMENT, StockMove.doc_id == shipment_id)
         .group_by(LotConsumption.lot_id))
    return {lot: qty for lot, qty in session.execute(q) if qty and qty > 0}


def _describe(session: Session, trace: Trace) -> None:
    """Names for what the trail found: items, lot codes, production orders, suppliers, clients (a few queries)."""
    lots = {n.lot_id: n for n in trace.lots}
    missing = [d.lot_id for d in trace.deliveries if d.lot_id not in lots]
    for r in _lot_rows(session, missing).values():
        lots[r.id] = _node(r, 0)
    for d in trace.deliveries:
        d.item_id, d.lot_code = lots[d.lot_id].item_id, lots[d.lot_id].code
        d.cost = round_money(d.qty * lots[d.lot_id].unit_cost)
    item_ids = {n.item_id for n in trace.lots} | {d.item_id for d in trace.deliveries}
    items = {i.id: i for i in session.scalars(select(Item).where(Item.id.in_(item_ids)))} if item_ids else {}
    for obj in (*trace.lots, *trace.deliveries):
        it = items.get(obj.item_id)
        obj.item_label = str(it) if it is not None else ""
    completions = [n.doc_id for n in trace.lots if n.doc_type == DOC_PRODUCTION and n.doc_id]
    if completions:
        q = (select(ProductionCompletion.id, ProductionOrder.id, ProductionOrder.number)
             .join(ProductionOrder, ProductionOrder.id == ProductionCompletion.order_id)
             .where(ProductionCompletion.id.in_(completions)))
        orders = {cid: (oid, num) for cid, oid, num in session.execute(q)}
        for n in trace.lots:
            if n.doc_type == DOC_PRODUCTION and n.doc_id in orders:
                n.production_order_id, n.production_order = orders[n.doc_id][0], orders[n.doc_id][1] or ""
    receipts = [n.doc_id for n in trace.lots if n.doc_type == DOC_RECEIPT and n.doc_id]
    if receipts:
        q = (select(StockDocument.id, func.coalesce(Partner.name, StockDocument.partner_name))
             .outerjoin(Partner, Partner.id == StockDocument.partner_id).where(StockDocument.id.in_(receipts)))
        suppliers = dict(session.execute(q).all())
        for n in trace.lots:
            if n.doc_type == DOC_RECEIPT:
                n.supplier = suppliers.get(n.doc_id, "") or ""
    ship_ids = [d.doc_id for d in trace.deliveries if d.doc_type == DOC_SHIPMENT]
    if ship_ids:
        q = (select(Shipment.id, Shipment.ship_date, Shipment.order_id, Partner.id, Partner.name, Partner.email)
             .join(Partner, Partner.id == Shipment.partner_id).where(Shipment.id.in_(ship_ids)))
        ships = {r[0]: r for r in session.execute(q)}
        prices = _unit_prices(session, ship_ids)
        for d in trace.deliveries:
            if d.doc_type == DOC_SHIPMENT and d.doc_id in ships:
                _, d.doc_date, d.order_id, d.partner_id, d.partner_name, d.partner_email = ships[d.doc_id]
                d.amount = round_money(d.qty * prices.get((d.doc_id, d.item_id), Decimal(0)))


def _unit_prices(session: Session, ship_ids: list[int]) -> dict[tuple[int, int], Decimal]:
    """Net sales price per unit of each shipped item (from its order line, after discount, before tax)."""
    q = (select(ShipmentLine.shipment_id, ShipmentLine.item_id, SalesOrderLine.amount_net, SalesOrderLine.qty)
         .join(SalesOrderLine, SalesOrderLine.id == ShipmentLine.order_line_id)
         .where(ShipmentLine.shipment_id.in_(ship_ids)))
    return {(sid, iid): amount / qty for sid, iid, amount, qty in session.execute(q) if qty}
