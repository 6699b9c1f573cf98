"""Plain-row reads and batched writes for the ledger's hot path (post_moves).

Posting used to load balances and lots as ORM objects and let the unit of work insert moves and
lots one statement per row (SQLite can't batch INSERT ... RETURNING through the ORM). These
tables are not audited (app/services/audit.py captures `Audited` models only), so posting now
reads them as rows and writes them with one executemany per table: a 1,000-line receipt sends
one INSERT for its lots and one for its moves instead of 2,000.

Ids are allocated before the insert, because moves point at the lots they create and the
consumption rows at their moves: on PostgreSQL from the table's own sequence (nextval, safe
under concurrency), on SQLite as max(id) + 1.. under the write lock every transaction takes
with BEGIN IMMEDIATE (app/database.py), so no other writer can insert in between. Ids are
handed out in ascending order, as the unit of work did: moves are ordered by (date, id) and
lots received the same day are consumed by id.

ORM objects of these rows that the session may already hold (a reservation's balance, lots a
cancellation loaded in the same transaction) get the written values as their committed state,
so nobody in the transaction reads a stale cache.

Every statement here is built once, at import, with bind parameters: building a select with
its values inlined (and computing its cache key) cost ten times what running it did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import bindparam, select, text, tuple_, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from app.models.stock import LotConsumption, StockBalance, StockLot, StockMove, Warehouse
from app.services import driver_sql

Key = tuple[int, int]  # (item_id, warehouse_id)

_BAL = StockBalance.__table__
_LOT = StockLot.__table__
_MOVE = StockMove.__table__
_WH = Warehouse.__table__
_CONS = LotConsumption.__table__


@dataclass(slots=True)
class BalanceRow:
    """A locked stock_balance row as plain values; same attribute names as StockBalance."""

    id: int
    item_id: int
    warehouse_id: int
    qty: Decimal
    value: Decimal
    reserved: Decimal
    last_unit_cost: Decimal
    last_move_date: date | None
    valuation: str


@dataclass(slots=True)
class LotRow:
    """An open (or named) lot as plain values: what FIFO allocation and the cache update need."""

    id: int
    item_id: int
    warehouse_id: int
    received_on: date
    unit_cost: Decimal
    qty_remaining: Decimal
    value_remaining: Decimal


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def key_condition(item_col, wh_col):
    """(item, warehouse) IN :keys, and its one-key form: a one-line document (the common case)
    then skips re-rendering an expanding IN on every call."""
    one = (item_col == bindparam("k_item")) & (wh_col == bindparam("k_wh"))
    return one, tuple_(item_col, wh_col).in_(bindparam("keys", expanding=True))


def key_params(keys: set[Key]) -> tuple[int, dict]:
    """(0, one-key params) or (1, many-key params) for statements built with key_condition."""
    if len(keys) == 1:
        ((item_id, wh_id),) = keys
        return 0, {"k_item": item_id, "k_wh": wh_id}
    return 1, {"keys": sorted(keys)}


_SELECT_BALANCES = tuple(
    select(_BAL.c.id, _BAL.c.item_id, _BAL.c.warehouse_id, _BAL.c.qty, _BAL.c.value, _BAL.c.reserved,
           _BAL.c.last_unit_cost, _BAL.c.last_move_date, _WH.c.valuation)
    .join(_WH, _WH.c.id == _BAL.c.warehouse_id).where(cond)
    .order_by(_BAL.c.item_id, _BAL.c.warehouse_id)
    .with_for_update(of=_BAL)
    for cond in key_condition(_BAL.c.item_id, _BAL.c.warehouse_id)
)
_LOT_COLUMNS = (_LOT.c.id, _LOT.c.item_id, _LOT.c.warehouse_id, _LOT.c.received_on, _LOT.c.unit_cost,
                _LOT.c.qty_remaining, _LOT.c.value_remaining)
_SELECT_LOTS = tuple(
    select(*_LOT_COLUMNS).where(cond & (_LOT.c.qty_remaining > 0))
    .order_by(_LOT.c.received_on, _LOT.c.id).with_for_update()
    for cond in key_condition(_LOT.c.item_id, _LOT.c.warehouse_id)
)
_SELECT_LOTS_AND_NAMED = tuple(
    select(*_LOT_COLUMNS).where((cond & (_LOT.c.qty_remaining > 0)) | _LOT.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(_LOT.c.received_on, _LOT.c.id).with_for_update()
    for cond in key_condition(_LOT.c.item_id, _LOT.c.warehouse_id)
)
_INSERT: dict[str, object] = {}


def insert_stmt(table):
    """table.insert(), built once per table."""
    if table.name not in _INSERT:
        _INSERT[table.name] = table.insert()
    return _INSERT[table.name]


def select_balances(session: Session, keys: set[Key]) -> dict[Key, BalanceRow]:
    """Balance rows of these pairs with their warehouse's valuation, locked in (item, warehouse) order."""
    form, params = key_params(keys)
    found = driver_sql.fetch(session, _SELECT_BALANCES[0], params) if form == 0 else session.execute(
        _SELECT_BALANCES[1], params)
    return {(r[1], r[2]): BalanceRow(*r) for r in found}


def select_lots(session: Session, keys: set[Key], lot_ids: set[int]) -> list[LotRow]:
    """Open lots of these pairs (and any named lot) in FIFO order, locked."""
    if not keys and not lot_ids:
        return []
    form, params = key_params(keys) if keys else (1, {"keys": []})
    if lot_ids:
        result = session.execute(_SELECT_LOTS_AND_NAMED[form], {**params, "ids": sorted(lot_ids)})
    elif form == 0:  # one (item, warehouse): the statement needs no per-call SQL, run it on the driver
        result = driver_sql.fetch(session, _SELECT_LOTS[0], params)
    else:
        result = session.execute(_SELECT_LOTS[form], params)
    return [LotRow(*r) for r in result]


def allocate_ids(session: Session, counts: dict[str, int]) -> dict[str, list[int]]:
    """`n` new ascending ids per table name, in one statement (see the module docstring)."""
    wanted = {name: n for name, n in counts.items() if n > 0}
    if not wanted:
        return {name: [] for name in counts}
    out: dict[str, list[int]] = {name: [] for name in counts}
    names = tuple(sorted(wanted))
    if is_postgres(session):
        for name, value in session.execute(_allocation_sql(names, True), {f"n_{n}": wanted[n] for n in names}):
            out[name].append(value)
        for ids in out.values():
            ids.sort()
        return out
    tops = session.execute(_allocation_sql(names, False)).one()
    for name, top in zip(names, tops, strict=True):
        out[name] = list(range(top + 1, top + 1 + wanted[name]))
    return out


_ALLOCATION_SQL: dict[tuple[tuple[str, ...], bool], object] = {}


def _allocation_sql(names: tuple[str, ...], postgres: bool):
    """The id allocation statement for these tables (a handful of combinations, each built once)."""
    key = (names, postgres)
    if key not in _ALLOCATION_SQL:
        if postgres:
            sql = " UNION ALL ".join(f"SELECT '{n}', nextval(pg_get_serial_sequence('{n}', 'id')) "
                                     f"FROM generate_series(1, :n_{n})" for n in names)
        else:
            sql = "SELECT " + ", ".join(f"(SELECT coalesce(max(id), 0) FROM {n})" for n in names)
        _ALLOCATION_SQL[key] = text(sql)
    return _ALLOCATION_SQL[key]


def insert_with_ids(session: Session, table, rows: list[dict]) -> None:
    """Insert rows and set each one's "id": a single row gets it from the insert itself
    (lastrowid / RETURNING), several get allocated ids and go in one executemany."""
    if len(rows) == 1:
        row = rows[0]
        row.pop("id", None)
        row["id"] = driver_sql.insert_returning_id(session, table, row)
        return
    for row, new_id in zip(rows, allocate_ids(session, {table.name: len(rows)})[table.name], strict=True):
        row["id"] = new_id
    insert_rows(session, table, rows)


def insert_rows(session: Session, table, rows: list[dict]) -> None:
    """One executemany INSERT (nothing when there are no rows)."""
    driver_sql.execute_many(session, insert_stmt(table), rows)


_UPDATE_LOT = (
    update(_LOT).where(_LOT.c.id == bindparam("b_id"))
    .values(qty_remaining=bindparam("b_qty", type_=_LOT.c.qty_remaining.type),
            value_remaining=bindparam("b_value", type_=_LOT.c.value_remaining.type))
)
_UPDATE_BALANCE = (
    update(_BAL).where(_BAL.c.id == bindparam("b_id"))
    .values(qty=bindparam("b_qty", type_=_BAL.c.qty.type), value=bindparam("b_value", type_=_BAL.c.value.type),
            reserved=bindparam("b_reserved", type_=_BAL.c.reserved.type),
            last_unit_cost=bindparam("b_cost", type_=_BAL.c.last_unit_cost.type),
            last_move_date=bindparam("b_date", type_=_BAL.c.last_move_date.type))
)


def update_lots(session: Session, lots: list[LotRow]) -> None:
    """Write the remainders of these lots (one executemany) and refresh any ORM copy of them."""
    if not lots:
        return
    driver_sql.execute_many(session, _UPDATE_LOT, [
        {"b_id": lot.id, "b_qty": lot.qty_remaining, "b_value": lot.value_remaining} for lot in lots])
    for lot in lots:
        _sync(session, StockLot, lot.id, qty_remaining=lot.qty_remaining, value_remaining=lot.value_remaining)


def update_balances(session: Session, balances: list[BalanceRow]) -> None:
    """Write these balance rows whole (they are locked) and refresh any ORM copy of them."""
    if not balances:
        return
    driver_sql.execute_many(session, _UPDATE_BALANCE, [
        {"b_id": b.id, "b_qty": b.qty, "b_value": b.value, "b_reserved": b.reserved, "b_cost": b.last_unit_cost,
         "b_date": b.last_move_date} for b in balances])
    for b in balances:
        _sync(session, StockBalance, b.id, qty=b.qty, value=b.value, reserved=b.reserved,
              last_unit_cost=b.last_unit_cost, last_move_date=b.last_move_date)


def _sync(session: Session, model: type, pk: int, **values: object) -> None:
    obj = session.identity_map.get(identity_key(model, pk))
    if obj is not None:
        for name, value in values.items():
            set_committed_value(obj, name, value)
