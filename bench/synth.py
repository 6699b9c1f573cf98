"""A synthetic but consistent stock ledger, bulk-inserted, to reach 1M ledger rows in seconds.

Posting 1M documents through the services would take hours, and W2 / W2b measure reads, so the
ledger is built directly with Core `executemany` inserts (COPY on PostgreSQL), in one transaction
per growth stage, with exactly the rows the posting engine would have written for the same story:

- every receipt is a `stock_move` (qty > 0, kind "receipt") plus the `stock_lot` it opens (the
  FIFO cost layer, received on the move's date, valued qty x unit cost);
- every issue is a `stock_move` (qty < 0, kind "issue") plus one `lot_consumption` row per lot it
  took, oldest lot first (received_on, id); a take that empties a lot takes its whole remaining
  value, a partial take qty x unit cost, as app.domain.valuation does;
- `stock_lot.qty_remaining / value_remaining` are the lot minus its consumption, and each
  `stock_balance` row is the sum of its item's moves in that warehouse.

The simulation runs in Python on integers (whole units, costs in cents), so every value is exact
and the caches equal the facts; app.services.stock.verify.verify_stock confirms it (run at 10k:
it is a full scan). Quantities are whole units and costs have two decimals, so a partial take is
exact and never needs rounding. No stock_document rows are written: a move's doc_type / doc_id /
doc_number are plain columns (no foreign key), and the reads measured here never join documents.

Shape: two FIFO warehouses (80% / 20% of the moves), items drawn with Zipf weights 1/rank (the
first item carries about 13% of the moves, as a fast-moving fastener would), 1,000 moves a day,
an issue takes 1-40 units, a receipt brings 40-200 units when stock runs low or at random.
"""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import accumulate

from sqlalchemy import Table, bindparam, func, select, text, update
from sqlalchemy.engine import Connection

from app.models.stock import LotConsumption, StockBalance, StockLot, StockMove

CHUNK = 20_000
MOVES_PER_DAY = 1_000
START = date(2023, 1, 2)


@dataclass
class _Lot:
    id: int
    qty: int  # whole units left
    value: int  # cents left
    unit_cost: int  # cents per unit


@dataclass
class _Key:
    """One (item, warehouse): its open lots in FIFO order and its running balance."""

    lots: deque = field(default_factory=deque)
    qty: int = 0
    value: int = 0
    last: date | None = None
    moves: int = 0


def _money(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def bulk_insert(conn: Connection, table: Table, rows: list[dict]) -> None:
    """Insert rows in the connection's transaction: COPY on PostgreSQL, executemany elsewhere.

    On SQLite, executemany of a Core insert goes through the column types (scaled integers for
    money and quantities) like the ORM does. PostgreSQL's NUMERIC, DATE and TIMESTAMP take
    Decimal and date values as they are, so COPY can skip the types, at several times the speed.
    """
    if conn.dialect.name != "postgresql" or conn.dialect.driver != "psycopg":
        conn.execute(table.insert(), rows)
        return
    columns = list(rows[0])
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])
    cursor.close()


@dataclass
class BuildStats:
    moves: int = 0
    lots: int = 0
    consumptions: int = 0
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return self.moves + self.lots + self.consumptions


class LedgerSynth:
    """Grows a consistent ledger stage by stage; keeps the FIFO state between stages in memory."""

    def __init__(self, item_ids: list[int], warehouse_ids: tuple[int, int], seed: int = 2026) -> None:
        self.rng = random.Random(seed)
        self.items = item_ids
        self.cum_weights = list(accumulate(1.0 / rank for rank in range(1, len(item_ids) + 1)))
        self.warehouses = warehouse_ids
        self.keys: dict[tuple[int, int], _Key] = {}
        self.count = 0  # moves generated so far (drives the date)
        self.next_move = self.next_lot = 1
        self.dirty: dict[int, _Lot] = {}  # lots inserted earlier whose remainder changed since
        self.created_at = datetime(2026, 1, 1)

    def start_after(self, conn: Connection) -> None:
        """Continue ids after whatever the database already holds."""
        self.next_move = (conn.scalar(select(func.max(StockMove.id))) or 0) + 1
        self.next_lot = (conn.scalar(select(func.max(StockLot.id))) or 0) + 1

    def key_moves(self, item_id: int, warehouse_id: int) -> int:
        k = self.keys.get((item_id, warehouse_id))
        return k.moves if k else 0

    # --- generation ----------------------------------------------------------------------

    def _pick(self, n: int) -> list[tuple[int, int]]:
        items = self.rng.choices(self.items, cum_weights=self.cum_weights, k=n)
        main, second = self.warehouses
        return [(i, main if self.rng.random() < 0.8 else second) for i in items]

    def _receipt(self, key: tuple[int, int], k: _Key, day: date, moves, lots) -> None:
        qty, cost = self.rng.randint(40, 200), self.rng.randint(100, 50_000)
        mid, lid = self.next_move, self.next_lot
        self.next_move += 1
        self.next_lot += 1
        lot = _Lot(lid, qty, qty * cost, cost)
        k.lots.append(lot)
        number = f"GR-S-{mid}"
        lots.append((lot, {"id": lid, "item_id": key[0], "warehouse_id": key[1], "received_on": day,
                           "code": number, "qty": Decimal(qty), "value": _money(qty * cost),
                           "unit_cost": _money(cost), "origin_lot_id": None, "doc_type": "receipt",
                           "doc_id": mid, "doc_number": number}))
        moves.append(self._move(mid, key, day, qty, qty * cost, lid, "receipt", number))
        k.qty += qty
        k.value += qty * cost

    def _issue(self, key: tuple[int, int], k: _Key, day: date, qty: int, moves, cons, fresh: set[int]) -> None:
        mid = self.next_move
        self.next_move += 1
        left, total = qty, 0
        while left:
            lot = k.lots[0]
            take = min(left, lot.qty)
            cost = lot.value if take == lot.qty else take * lot.unit_cost
            cons.append({"move_id": mid, "lot_id": lot.id, "qty": Decimal(take), "value": _money(cost)})
            lot.qty -= take
            lot.value -= cost
            left -= take
            total += cost
            if lot.id not in fresh:
                self.dirty[lot.id] = lot
            if lot.qty == 0:
                k.lots.popleft()
        moves.append(self._move(mid, key, day, -qty, -total, None, "issue", f"GI-S-{mid}"))
        k.qty -= qty
        k.value -= total

    def _move(self, mid: int, key, day: date, qty: int, cents: int, lot_id, kind: str, number: str) -> dict:
        return {"id": mid, "move_date": day, "created_at": self.created_at, "item_id": key[0],
                "warehouse_id": key[1], "lot_id": lot_id, "qty": Decimal(qty), "value": _money(cents),
                "revaluation": Decimal(0), "kind": kind, "doc_type": kind, "doc_id": mid,
                "doc_number": number, "doc_line_id": None, "reversal_of_id": None, "username": "bench"}

    def _chunk(self, n: int):
        moves: list[dict] = []
        lots: list[tuple[_Lot, dict]] = []
        cons: list[dict] = []
        fresh_ids: set[int] = set()
        for key in self._pick(n):
            k = self.keys.setdefault(key, _Key())
            day = START + timedelta(days=self.count // MOVES_PER_DAY)
            self.count += 1
            k.moves += 1
            k.last = day
            if k.qty < 40 or self.rng.random() < 0.15:
                self._receipt(key, k, day, moves, lots)
                fresh_ids.add(lots[-1][0].id)
            else:
                self._issue(key, k, day, self.rng.randint(1, 40), moves, cons, fresh_ids)
        return moves, lots, cons

    # --- writing -------------------------------------------------------------------------

    def grow(self, conn: Connection, n_moves: int) -> BuildStats:
        """Append `n_moves` moves (with their lots and consumption) and refresh the caches."""
        stats = BuildStats()
        t0 = time.perf_counter()
        done = 0
        while done < n_moves:
            n = min(CHUNK, n_moves - done)
            moves, lots, cons = self._chunk(n)
            if lots:  # lots first: moves and consumption point at them
                bulk_insert(conn, StockLot.__table__, [
                    row | {"qty_remaining": Decimal(lot.qty), "value_remaining": _money(lot.value)}
                    for lot, row in lots])
            bulk_insert(conn, StockMove.__table__, moves)
            if cons:
                bulk_insert(conn, LotConsumption.__table__, cons)
            done += n
            stats.moves += len(moves)
            stats.lots += len(lots)
            stats.consumptions += len(cons)
        self._flush_dirty_lots(conn)
        self._write_balances(conn)
        stats.seconds = time.perf_counter() - t0
        return stats

    def _flush_dirty_lots(self, conn: Connection) -> None:
        if not self.dirty:
            return
        t = StockLot.__table__
        stmt = update(t).where(t.c.id == bindparam("b_id")).values(
            qty_remaining=bindparam("b_qty"), value_remaining=bindparam("b_value"))
        conn.execute(stmt, [{"b_id": lot.id, "b_qty": Decimal(lot.qty), "b_value": _money(lot.value)}
                            for lot in self.dirty.values()])
        self.dirty.clear()

    def _write_balances(self, conn: Connection) -> None:
        t = StockBalance.__table__
        existing = {(i, w) for i, w in conn.execute(select(t.c.item_id, t.c.warehouse_id))}
        new = [{"item_id": i, "warehouse_id": w, "qty": Decimal(k.qty), "value": _money(k.value),
                "reserved": Decimal(0), "last_unit_cost": Decimal(0), "last_move_date": k.last}
               for (i, w), k in self.keys.items() if (i, w) not in existing]
        if new:
            bulk_insert(conn, t, new)
        stmt = update(t).where(t.c.item_id == bindparam("b_item"), t.c.warehouse_id == bindparam("b_wh")).values(
            qty=bindparam("b_qty"), value=bindparam("b_value"), last_move_date=bindparam("b_last"))
        rows = [{"b_item": i, "b_wh": w, "b_qty": Decimal(k.qty), "b_value": _money(k.value), "b_last": k.last}
                for (i, w), k in self.keys.items() if (i, w) in existing]
        if rows:
            conn.execute(stmt, rows)

    @staticmethod
    @contextmanager
    def bulk_session(conn: Connection) -> Iterator[None]:
        """SQLite: a 256 MB page cache while loading, so index inserts stay in memory; the app's
        default (2 MB) is put back before anything is timed. PostgreSQL: nothing to change."""
        if conn.dialect.name != "sqlite":
            yield
            return
        before = conn.exec_driver_sql("PRAGMA cache_size").scalar()
        conn.exec_driver_sql("PRAGMA cache_size=-262144")
        try:
            yield
        finally:
            conn.exec_driver_sql(f"PRAGMA cache_size={int(before)}")

    @staticmethod
    def after_load(conn: Connection) -> None:
        """PostgreSQL: move the id sequences past the explicit ids, and refresh planner statistics
        (autovacuum would have done that on a live server); SQLite needs neither."""
        if conn.dialect.name != "postgresql":
            return
        for table in ("stock_move", "stock_lot"):
            conn.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
        conn.execute(text("ANALYZE"))
