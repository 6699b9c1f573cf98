"""The stock ledger engine: every quantity that moves in Fabrika goes through `post_moves`.

Documents of any context (stock documents, shipments, production, service repairs) describe what
moves as MoveRequests; this module validates them all, locks the balance rows (and lots) it will
change, values each move (FIFO lots or moving average, app.domain.valuation), and writes the
insert-only facts plus the caches (lot remainders, balances) in the caller's transaction.
`reverse_moves` cancels a document's moves with reversal rows dated on the cancellation date.

Locking: balance rows are created up front and locked with SELECT ... FOR UPDATE in (item,
warehouse) order, so two users can't both take the last unit and never deadlock each other; on
SQLite the transaction's BEGIN IMMEDIATE already serialises writers (app/database.py).

Posting reads balances and lots as plain rows and writes moves, lots, consumption and the caches
with one executemany per table (app/services/stock/ledger_rows.py): none of them is audited, and
the ORM's unit of work cost more than the ledger arithmetic. Cancellation, which is rare, keeps
the ORM objects.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from app.domain import move_kinds
from app.domain.errors import Collector, DomainError, InsufficientStock
from app.domain.money import ZERO, exact, round_money
from app.domain.valuation import Allocation, AverageCost, Layer, allocate_fifo, fifo_reverse, total_qty
from app.models.base import utcnow
from app.models.catalog import Item
from app.models.stock import (
    VALUATION_FIFO,
    LotConsumption,
    StockBalance,
    StockLot,
    StockMove,
    StockReservation,
    Warehouse,
)
from app.services.base import current_actor
from app.services.costing.periods import assert_not_recosted, assert_open
from app.services.stock import ledger_rows as rows
from app.services.stock.ledger_rows import BalanceRow, LotRow

Key = tuple[int, int]  # (item_id, warehouse_id)


@dataclass
class MoveRequest:
    """One quantity to move. qty > 0 comes in, qty < 0 goes out (in the item's base unit).

    Inbound moves carry a unit cost (base currency) or an exact total `value` (transfers and
    production output carry the cost that left elsewhere). Outbound moves may name a lot (a return
    to supplier of that lot) and the reservation they are allowed to use.
    """

    item_id: int
    warehouse_id: int
    qty: Decimal
    unit_cost: Decimal | None = None
    value: Decimal | None = None
    lot_id: int | None = None
    reservation: tuple[str, int] | None = None
    kind: str = ""
    line_no: int | None = None
    doc_line_id: int | None = None
    received_on: date | None = None
    origin_lot_id: int | None = None
    lot_code: str = ""


class PostedMove:
    """One written move: its request, the lots it took from ((lot_id, qty, cost)) and the move.

    `move` is the StockMove row as a persistent ORM object, made on first use: posting writes
    moves with one executemany, and most callers only want `value` and `allocations`.
    """

    __slots__ = ("request", "allocations", "_row", "_session", "_move")

    def __init__(self, request: MoveRequest, row: dict, allocations: list[tuple[int, Decimal, Decimal]],
                 session: Session) -> None:
        self.request, self.allocations = request, allocations
        self._row, self._session, self._move = row, session, None

    @property
    def move(self) -> StockMove:
        if self._move is None:
            self._move = _attached(self._session, self._row)
        return self._move

    @property
    def value(self) -> Decimal:
        return self._row["value"]

    def __repr__(self) -> str:
        return f"PostedMove({self.request!r}, value={self.value}, allocations={self.allocations!r})"


@dataclass(frozen=True)
class DocRef:
    doc_type: str
    doc_id: int
    number: str
    on_date: date


@dataclass
class _State:
    """Per (item, warehouse): the locked balance row, its valuation state and open lots.

    Posting holds plain rows (BalanceRow, LotRow), cancellation ORM objects; both have the same
    attribute names, which is all the valuation code below reads and writes.
    """

    balance: StockBalance | BalanceRow
    fifo: bool
    layers: list[Layer] = field(default_factory=list)
    lots: dict[int, StockLot | LotRow] = field(default_factory=dict)
    average: AverageCost | None = None
    reserved_for: dict[tuple[str, int], Decimal] = field(default_factory=dict)


def lock_balances(session: Session, keys: set[Key]) -> dict[Key, StockBalance]:
    """Lock the balance rows of these pairs in a fixed order, creating the missing ones first.

    `FOR UPDATE` on a row that doesn't exist locks nothing, so a missing row is inserted (ON
    CONFLICT DO NOTHING: another user may insert it at the same moment) and then locked.
    """
    if not keys:
        return {}
    found = _select_balances(session, keys)
    missing = keys - set(found)
    if missing:
        _insert_missing(session, missing)
        found |= _select_balances(session, missing)
    return found


_INSERT_BALANCE = {name: fn(StockBalance.__table__).on_conflict_do_nothing()
                   for name, fn in (("postgresql", pg_insert), ("sqlite", sqlite_insert))}


def _insert_missing(session: Session, missing: set[Key]) -> None:
    """Empty balance rows for these pairs, in key order; one executemany of a statement built once
    (a 1,000-row VALUES list built per call cost more than the rest of a 1,000-line receipt)."""
    session.execute(_INSERT_BALANCE[session.get_bind().dialect.name], [
        {"item_id": i, "warehouse_id": w, "qty": ZERO, "value": ZERO, "reserved": ZERO, "last_unit_cost": ZERO}
        for i, w in sorted(missing)])


def _select_balances(session: Session, keys: set[Key]) -> dict[Key, StockBalance]:
    rows = session.scalars(
        select(StockBalance)
        .where(tuple_(StockBalance.item_id, StockBalance.warehouse_id).in_(sorted(keys)))
        .order_by(StockBalance.item_id, StockBalance.warehouse_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    return {(b.item_id, b.warehouse_id): b for b in rows}


def _load_lots(session: Session, keys: set[Key], lot_ids: set[int]) -> list[StockLot]:
    if not keys and not lot_ids:
        return []
    cond = tuple_(StockLot.item_id, StockLot.warehouse_id).in_(sorted(keys)) & (StockLot.qty_remaining > 0)
    if lot_ids:
        cond = cond | StockLot.id.in_(sorted(lot_ids))
    return list(
        session.scalars(
            select(StockLot).where(cond).order_by(StockLot.received_on, StockLot.id).with_for_update()
            .execution_options(populate_existing=True)
        )
    )


def _reservations(session: Session, keys: set[Key], refs: set[tuple[str, int]]) -> list[StockReservation]:
    if not refs:
        return []
    return list(
        session.scalars(
            select(StockReservation).where(
                tuple_(StockReservation.item_id, StockReservation.warehouse_id).in_(sorted(keys)),
                tuple_(StockReservation.doc_type, StockReservation.doc_id).in_(sorted(refs)),
                StockReservation.qty > 0,
            ).with_for_update()
        )
    )


def load_states(session: Session, keys: set[Key], lot_ids: set[int] = frozenset(),
                refs: set[tuple[str, int]] = frozenset(), lots_for: set[Key] | None = None) -> dict[Key, _State]:
    """Lock and load everything posting needs for these (item, warehouse) pairs.

    Open lots are loaded only for `lots_for` (default: all keys): a pair that only receives
    needs its balance row, not its whole lot history.
    """
    warehouses = {wid: session.get(Warehouse, wid) for wid in {k[1] for k in keys}}
    balances = lock_balances(session, keys)
    states: dict[Key, _State] = {}
    for key, bal in balances.items():
        fifo = warehouses[key[1]].is_fifo
        st = _State(bal, fifo)
        if not fifo:
            st.average = AverageCost(bal.qty, bal.value, bal.last_unit_cost)
        states[key] = st
    fifo_keys = {k for k, s in states.items() if s.fifo and (lots_for is None or k in lots_for)}
    for lot in _load_lots(session, fifo_keys, set(lot_ids)):
        st = states.get((lot.item_id, lot.warehouse_id))
        if st is None:
            continue
        st.lots[lot.id] = lot
        st.layers.append(Layer(lot.id, lot.qty_remaining, lot.value_remaining, lot.unit_cost, lot.received_on))
    for resv in _reservations(session, keys, set(refs)):
        st = states[(resv.item_id, resv.warehouse_id)]
        ref = (resv.doc_type, resv.doc_id)
        st.reserved_for[ref] = st.reserved_for.get(ref, ZERO) + resv.qty
    return states


def _load_for_post(session: Session, keys: set[Key], lot_ids: set[int], refs: set[tuple[str, int]],
                   lots_for: set[Key]) -> dict[Key, _State]:
    """load_states as plain rows: lock the balances (with their warehouse's valuation) and the
    open lots of the pairs that issue, in the same order and with the same locks."""
    session.flush()  # the reads below are Core statements, which don't autoflush pending ORM changes
    if not keys:
        return {}
    balances = rows.select_balances(session, keys)
    missing = keys - set(balances)
    if missing:
        _insert_missing(session, missing)
        balances |= rows.select_balances(session, missing)
    states: dict[Key, _State] = {}
    for key, bal in balances.items():
        st = _State(bal, bal.valuation == VALUATION_FIFO)
        if not st.fifo:
            st.average = AverageCost(bal.qty, bal.value, bal.last_unit_cost)
        states[key] = st
    fifo_keys = {k for k, s in states.items() if s.fifo and k in lots_for}
    for lot in rows.select_lots(session, fifo_keys, lot_ids):
        st = states.get((lot.item_id, lot.warehouse_id))
        if st is None:
            continue
        st.lots[lot.id] = lot
        st.layers.append(Layer(lot.id, lot.qty_remaining, lot.value_remaining, lot.unit_cost, lot.received_on))
    for resv in _reservations(session, keys, refs):
        st = states[(resv.item_id, resv.warehouse_id)]
        ref = (resv.doc_type, resv.doc_id)
        st.reserved_for[ref] = st.reserved_for.get(ref, ZERO) + resv.qty
    return states


def _labels(session: Session, item_ids: set[int]) -> dict[int, str]:
    return {i.id: f"{i.code} {i.name}" for i in session.scalars(select(Item).where(Item.id.in_(item_ids)))}


@dataclass
class _Planned:
    request: MoveRequest
    qty: Decimal
    value: Decimal
    revaluation: Decimal = ZERO
    allocations: list[tuple[int, Decimal, Decimal]] = field(default_factory=list)
    new_lot: dict | None = None  # the stock_lot row to insert (its id is allocated when written)
    reservation_used: Decimal = ZERO


def _use_reservation(st: _State, req: MoveRequest, own: Decimal, use_own: Decimal) -> None:
    """The holder's issue uses up its own reservation (in both models, or it would stay held forever)."""
    if req.reservation and use_own:
        st.reserved_for[req.reservation] = own - use_own
        st.balance.reserved = st.balance.reserved - use_own


def _plan_out(st: _State, req: MoveRequest, label_for, problems: Collector) -> _Planned | None:
    qty = -req.qty
    own = st.reserved_for.get(req.reservation, ZERO) if req.reservation else ZERO
    use_own = min(own, qty)
    if not st.fifo:
        assert st.average is not None
        _use_reservation(st, req, own, use_own)
        return _Planned(req, req.qty, -st.average.issue(qty), reservation_used=use_own)
    reserved_others = max(st.balance.reserved - own, ZERO)
    layers = st.layers
    if req.lot_id is not None:
        layers = [lay for lay in st.layers if lay.lot_id == req.lot_id]
        # a named lot may give only what is free overall: available = min(lot, all lots - held for others)
        reserved_others = max(total_qty(layers) - (total_qty(st.layers) - reserved_others), ZERO)
    try:
        result = allocate_fifo(layers, qty, reserved=reserved_others, line=req.line_no)
    except InsufficientStock as exc:
        # the item's name is looked up only now: the common path needs no extra query
        named = InsufficientStock(label_for(req.item_id), exc.requested, exc.available, line=req.line_no)
        problems.problems.extend(named.problems)
        return None
    _use_reservation(st, req, own, use_own)
    allocs = [(a.lot_id, a.qty, a.cost) for a in result.allocations]
    return _Planned(req, req.qty, -result.total_cost, allocations=allocs, reservation_used=use_own)


def _plan_in(st: _State, req: MoveRequest, ref: DocRef, problems: Collector) -> _Planned | None:
    qty = req.qty
    if req.value is not None:
        value = round_money(req.value)
        unit_cost = round_money(value / qty)
    elif req.unit_cost is not None:
        unit_cost = req.unit_cost
        with exact():
            value = round_money(qty * unit_cost)
    else:
        problems.add("A unit cost is required for an incoming quantity", line=req.line_no)
        return None
    if value < 0:
        problems.add("Unit cost cannot be negative", line=req.line_no)
        return None
    if not st.fifo:
        assert st.average is not None
        before = st.average.value
        with exact():
            exact_unit = value / qty
        receipt = st.average.receive(qty, exact_unit)
        added = st.average.value - before
        return _Planned(req, qty, added, revaluation=receipt.revaluation)
    lot = {
        "id": None, "item_id": req.item_id, "warehouse_id": req.warehouse_id,
        "received_on": req.received_on or ref.on_date, "code": req.lot_code or ref.number, "qty": qty,
        "value": value, "unit_cost": round_money(unit_cost), "qty_remaining": qty, "value_remaining": value,
        "origin_lot_id": req.origin_lot_id, "doc_type": ref.doc_type, "doc_id": ref.doc_id, "doc_number": ref.number,
    }
    return _Planned(req, qty, value, new_lot=lot)


def _validate(req: MoveRequest, problems: Collector) -> bool:
    if not isinstance(req.qty, Decimal) or not req.qty.is_finite() or req.qty == 0:
        problems.add("Quantity must be a non-zero number", line=req.line_no)
        return False
    return True


def post_moves(session: Session, ref: DocRef, requests: list[MoveRequest],
               price_inbound: Callable[[list[Decimal]], list[Decimal]] | None = None) -> list[PostedMove]:
    """Validate, value and write the moves of one document; all or nothing (DomainError).

    Refused when the document's date is in a closed accounting period (the one check every
    posting path goes through, app/services/costing/periods.py).

    `price_inbound` is for a document whose output carries the cost of what it consumes (a production
    receipt, a transformation): the outbound requests are valued first, then it gets their values (negative,
    in request order) and returns the value of each inbound request, in order. One period check, one lock
    of every balance and one write for the whole document, where two post_moves calls did each twice.
    """
    assert_open(session, ref.on_date)
    problems = Collector()
    valid = [r for r in requests if _validate(r, problems)]
    keys = {(r.item_id, r.warehouse_id) for r in valid}
    lot_ids = {r.lot_id for r in valid if r.lot_id}
    refs = {r.reservation for r in valid if r.reservation}
    outbound = {(r.item_id, r.warehouse_id) for r in valid if r.qty < 0}
    states = _load_for_post(session, keys, lot_ids, refs, lots_for=outbound)

    def label_for(item_id: int) -> str:
        return _labels(session, {item_id}).get(item_id, str(item_id))

    planned: list[_Planned] = []

    def plan(req: MoveRequest) -> None:
        st = states[(req.item_id, req.warehouse_id)]
        if req.qty < 0:
            p = _plan_out(st, req, label_for, problems)
        else:
            p = _plan_in(st, req, ref, problems)
        if p is not None:
            planned.append(p)
            if p.new_lot is not None:
                st.layers.append(Layer(None, p.qty, p.value, p.new_lot["unit_cost"]))

    if price_inbound is None:
        for req in valid:
            plan(req)
    else:
        for req in valid:
            if req.qty < 0:
                plan(req)
        problems.raise_if_any()
        inbound = [r for r in valid if r.qty > 0]
        for req, value in zip(inbound, price_inbound([p.value for p in planned]), strict=True):
            req.value = value
            plan(req)
    problems.raise_if_any()
    return _write(session, ref, planned, states)


def _write(session: Session, ref: DocRef, planned: list[_Planned], states: dict[Key, _State]) -> list[PostedMove]:
    """Insert lots, moves and consumption (one executemany each) and write the caches back."""
    rows.insert_with_ids(session, StockLot.__table__, [p.new_lot for p in planned if p.new_lot is not None])
    username, created = current_actor().username, utcnow()
    moves = [{
        "move_date": ref.on_date, "created_at": created, "item_id": p.request.item_id,
        "warehouse_id": p.request.warehouse_id,
        "lot_id": p.new_lot["id"] if p.new_lot is not None else (p.request.lot_id if p.request.qty < 0 else None),
        "qty": p.qty, "value": p.value, "revaluation": p.revaluation,
        "kind": p.request.kind or (move_kinds.IN if p.qty > 0 else move_kinds.OUT),
        "doc_type": ref.doc_type, "doc_id": ref.doc_id,
        "doc_number": ref.number, "doc_line_id": p.request.doc_line_id, "reversal_of_id": None, "username": username,
    } for p in planned]
    rows.insert_with_ids(session, StockMove.__table__, moves)
    rows.insert_rows(session, LotConsumption.__table__, [
        {"move_id": m["id"], "lot_id": lot_id, "qty": q, "value": c}
        for p, m in zip(planned, moves, strict=True) for lot_id, q, c in p.allocations
    ])
    _apply_caches(session, ref, planned, states)
    _consume_reservations(session, planned)
    return [PostedMove(p.request, m, p.allocations, session) for p, m in zip(planned, moves, strict=True)]


def _attached(session: Session, row: dict) -> StockMove:
    """The inserted move as a persistent ORM object, as the unit of work would have left it
    (callers read pm.move.id / .value and may follow pm.move.item), without another query."""
    existing = session.identity_map.get(identity_key(StockMove, row["id"]))
    if existing is not None:
        return existing
    move = StockMove(**row)
    make_transient_to_detached(move)
    session.add(move)
    return move


def _apply_caches(session: Session, ref: DocRef, planned: list[_Planned], states: dict[Key, _State]) -> None:
    """Bring the balance rows and the lots' remainders up to date (both are locked caches)."""
    for p in planned:
        st = states[(p.request.item_id, p.request.warehouse_id)]
        bal = st.balance
        if st.fifo:
            bal.qty = bal.qty + p.qty
            bal.value = bal.value + p.value
        bal.last_move_date = max(bal.last_move_date or ref.on_date, ref.on_date)
    changed: list[LotRow] = []
    for st in states.values():
        if st.fifo:
            for layer in st.layers:
                lot = st.lots.get(layer.lot_id) if layer.lot_id is not None else None
                if lot is not None and lot.qty_remaining != layer.qty_remaining:
                    lot.qty_remaining = layer.qty_remaining
                    lot.value_remaining = layer.value_remaining
                    changed.append(lot)
        else:
            assert st.average is not None
            st.balance.qty = st.average.qty
            st.balance.value = st.average.value
            st.balance.last_unit_cost = st.average.last_unit_cost.quantize(Decimal("0.00000001"))
    rows.update_lots(session, changed)
    rows.update_balances(session, [st.balance for st in states.values()])


def _consume_reservations(session: Session, planned: list[_Planned]) -> None:
    used: dict[tuple[int, int, str, int], Decimal] = defaultdict(lambda: ZERO)
    for p in planned:
        if p.reservation_used and p.request.reservation:
            used[(p.request.item_id, p.request.warehouse_id, *p.request.reservation)] += p.reservation_used
    for (item_id, wh_id, doc_type, doc_id), qty in used.items():
        rows = session.scalars(select(StockReservation).where(
            StockReservation.item_id == item_id, StockReservation.warehouse_id == wh_id,
            StockReservation.doc_type == doc_type, StockReservation.doc_id == doc_id,
            StockReservation.qty > 0).order_by(StockReservation.id)).all()
        for row in rows:
            take = min(row.qty, qty)
            row.qty = row.qty - take
            qty -= take
            if qty <= 0:
                break


# --- cancellation ----------------------------------------------------------------------------


def consumers_of_lots(session: Session, lot_ids: list[int]) -> list[str]:
    """Numbers of the documents that took something from these lots (for the refusal message)."""
    rows = session.execute(
        select(StockMove.doc_number).join(LotConsumption, LotConsumption.move_id == StockMove.id)
        .where(LotConsumption.lot_id.in_(lot_ids), LotConsumption.qty > 0, StockMove.qty < 0)
        .distinct()
    ).scalars().all()
    return sorted(n for n in rows if n)


def reverse_moves(session: Session, original: DocRef, cancel: DocRef) -> list[StockMove]:
    """Post reversal rows for every move of `original`, dated cancel.on_date; restores balances exactly.

    Refused when the cancellation date is in a closed accounting period, or when a cost correction
    re-costed these moves (cancel the correction first: the reversal would not carry its change).
    """
    assert_open(session, cancel.on_date, field="on_date")
    moves = list(session.scalars(
        select(StockMove).where(StockMove.doc_type == original.doc_type, StockMove.doc_id == original.doc_id,
                                StockMove.reversal_of_id.is_(None)).order_by(StockMove.id)))
    already = session.scalar(select(StockMove.id).where(StockMove.reversal_of_id.in_([m.id for m in moves])).limit(1))
    if not moves or already:
        raise DomainError("Nothing to cancel: the document has no posted moves")
    assert_not_recosted(session, [m.id for m in moves])
    cons = defaultdict(list)
    for c in session.scalars(select(LotConsumption).where(LotConsumption.move_id.in_([m.id for m in moves]))):
        cons[c.move_id].append(c)
    keys = {(m.item_id, m.warehouse_id) for m in moves}
    lot_ids = {m.lot_id for m in moves if m.lot_id} | {c.lot_id for cl in cons.values() for c in cl}
    states = load_states(session, keys, lot_ids)
    all_lots = {lid: lot for st in states.values() for lid, lot in st.lots.items()}
    _check_receipt_lots(session, moves, cons, all_lots)
    reversals, consumption = _plan_reversals(moves, cons, states, all_lots, cancel)
    session.add_all(reversals)
    session.flush()
    rows = [{"move_id": r.id, "lot_id": lot_id, "qty": q, "value": v}
            for r, items in zip(reversals, consumption, strict=True) for lot_id, q, v in items]
    if rows:
        session.execute(LotConsumption.__table__.insert(), rows)
    for key, st in states.items():
        st.balance.last_move_date = max(st.balance.last_move_date or cancel.on_date, cancel.on_date)
        if not st.fifo:
            assert st.average is not None
            if st.average.qty <= 0:
                st.average.last_unit_cost = _standing_average(session, *key)
            st.balance.qty, st.balance.value = st.average.qty, st.average.value
            st.balance.last_unit_cost = st.average.last_unit_cost.quantize(Decimal("0.00000001"))
    return reversals


def _standing_average(session: Session, item_id: int, warehouse_id: int) -> Decimal:
    """The average at the last moment stock was positive, replaying only the moves that still stand.

    With no stock left, last_unit_cost prices the next issue beyond stock; a cancelled receipt must
    not leave its cost behind there, so cancelled moves and their reversals are left out.
    """
    where = (StockMove.item_id == item_id, StockMove.warehouse_id == warehouse_id)
    cancelled = select(StockMove.reversal_of_id).where(*where, StockMove.reversal_of_id.is_not(None))
    rows = session.execute(select(StockMove.qty, StockMove.value).where(
        *where, StockMove.reversal_of_id.is_(None), StockMove.id.not_in(cancelled)).order_by(StockMove.id))
    qty = value = last = ZERO
    for q, v in rows:
        qty, value = qty + q, value + v
        if qty > 0:
            last = value / qty
    return last


def _check_receipt_lots(session: Session, moves, cons, lots: dict[int, StockLot]) -> None:
    touched = [m.lot_id for m in moves if m.qty > 0 and m.lot_id and not cons.get(m.id)
               and lots[m.lot_id].qty_remaining != lots[m.lot_id].qty]
    if touched:
        numbers = consumers_of_lots(session, touched)
        raise DomainError(
            "The received goods have already been used by %(documents)s: cancel those documents first",
            documents=", ".join(numbers) or "?",
        )


def _plan_reversals(moves, cons, states, lots, cancel: DocRef):
    username = current_actor().username
    reversals, consumption = [], []
    for m in reversed(moves):
        st = states[(m.item_id, m.warehouse_id)]
        items: list[tuple[int, Decimal, Decimal]] = []
        value = -m.value
        if st.fifo:
            if m.qty > 0 and m.lot_id:  # a receipt: its untouched lot is emptied
                lot = lots[m.lot_id]
                items.append((lot.id, lot.qty_remaining, lot.value_remaining))
                value = -lot.value_remaining  # with any landed cost laid on it since
                lot.qty_remaining, lot.value_remaining = ZERO, ZERO
            else:  # an issue: its consumption comes back to the same lots
                layers = [Layer(lid, lot.qty_remaining, lot.value_remaining, lot.unit_cost)
                          for lid, lot in lots.items()]
                allocs = [Allocation(c.lot_id, c.qty, c.value) for c in cons.get(m.id, [])]
                fifo_reverse(layers, allocs)
                for layer in layers:
                    lot = lots[layer.lot_id]
                    lot.qty_remaining, lot.value_remaining = layer.qty_remaining, layer.value_remaining
                items = [(a.lot_id, -a.qty, -a.cost) for a in allocs]
            st.balance.qty = st.balance.qty - m.qty
            st.balance.value = st.balance.value + value
        else:
            before = st.average.value
            st.average.apply(-m.qty, -m.value)
            value = st.average.value - before
        reversals.append(StockMove(
            move_date=cancel.on_date, item_id=m.item_id, warehouse_id=m.warehouse_id, lot_id=m.lot_id,
            qty=-m.qty, value=value, revaluation=-m.revaluation + (-m.value - value), kind=move_kinds.REVERSAL,
            doc_type=cancel.doc_type, doc_id=cancel.doc_id, doc_number=cancel.number, doc_line_id=m.doc_line_id,
            reversal_of_id=m.id, username=username,
        ))
        consumption.append(items)
    return reversals, consumption
