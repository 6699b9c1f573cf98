"""Writing a plan: only its difference with the stored one, in bulk, through the driver.

A planned order is keyed by item, kind and due week. Each row keeps `sig`, a digest of what the run
wrote (start, quantity, pegs, late, weeks moved, supplier), so a re-run reads four small columns per row
and compares digests instead of decoding 280,000 JSON pegs; only rows whose digest differs are updated.
New rows go straight through the driver (COPY on PostgreSQL, one executemany on SQLite: the KPI job's
writer), not through the ORM's bulk insert, whose per-row parameter handling was most of a first run.
A net-change run (PlanResult.dirty) reads and compares only the recomputed items' rows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from hashlib import blake2b

from sqlalchemy import Boolean, Date, DateTime, bindparam, column, delete, select, table, update
from sqlalchemy.orm import Session

from app.domain.money import QTY_Q
from app.models.base import utcnow
from app.models.planning import CapacityLoad
from app.models.types import Quantity
from app.services.planning import engine
from app.services.planning.load import Weeks

# the planned_order table as the writer binds it: every value already bound by the _Encoder (untyped here,
# so the writer passes rows to the driver as they are; a due date read back raw compares with the bound
# Monday as it is), pegs as the JSON text already made and digested
PLANNED = table("planned_order", *(column(c) for c in (
    "id", "item_id", "kind", "due_date", "start_date", "qty", "pegs", "late", "moved_weeks", "supplier_id",
    "updated_at", "sig")))
_VALUES = ("start_date", "qty", "pegs", "late", "moved_weeks", "supplier_id", "updated_at", "sig")
_CHUNK = 500  # ids / items per IN (...) list


@dataclass
class RunSummary:
    run_id: int
    created: int = 0
    updated: int = 0
    removed: int = 0
    planned: int = 0
    overloaded: dict[int, list[int]] = field(default_factory=dict)


def _same(value: object) -> object:
    return value


class _Encoder:
    """A planned order as the values stored for it, bound as the driver takes them (dates as the dialect
    binds them, once per week). Peg keys and quantities are memoized as JSON fragments: a parent's order
    is pegged by each of its components, and most pegged quantities repeat."""

    def __init__(self, session: Session, grid: Weeks, data: engine.PlanData):
        dialect = session.connection().dialect
        day, moment, qty, flag = (kind._cached_bind_processor(dialect) or _same
                                  for kind in (Date(), DateTime(), Quantity(), Boolean()))
        self.mondays = [day(grid.monday(w)) for w in range(grid.count)]
        self.iso = [grid.monday(w).isoformat() for w in range(grid.count)]
        self.now, self.bind_qty, self.flags = moment(utcnow()), qty, (flag(False), flag(True))
        self.items = data.items
        self.keys: dict[str, str] = {}
        self.qtys: dict[Decimal, str] = {}

    def _key(self, origin: str) -> str:
        """'@<item>:<week index>' -> '"@<item>:<Monday>": ' (nothing to escape), others JSON-quoted."""
        if origin.startswith(engine.PARENT):
            item, _, week = origin.partition(":")
            got = f'"{item}:{self.iso[int(week)]}": '
        else:
            got = json.dumps(origin, ensure_ascii=False) + ": "
        self.keys[origin] = got
        return got

    def _qty(self, qty: Decimal) -> str:
        got = self.qtys[qty] = f'"{qty.quantize(QTY_Q, ROUND_HALF_UP).normalize():f}"'
        return got

    def values(self, po: engine.PlannedOrder) -> tuple:
        """(start, qty, pegs JSON, late, moved, supplier, updated, sig); the digest covers every value."""
        keys, qtys = self.keys, self.qtys
        pegs = "{" + ", ".join([(keys.get(o) or self._key(o)) + (qtys.get(q) or self._qty(q))
                                for o, q in po.pegs.items()]) + "}"
        qty = po.qty.quantize(QTY_Q, ROUND_HALF_UP)
        supplier = self.items[po.item_id].supplier_id if po.kind == engine.BUY else None
        text = f"{self.iso[po.start_week]}|{qty}|{po.late}|{po.moved}|{supplier}|{pegs}"
        return (self.mondays[po.start_week], self.bind_qty(qty), pegs, self.flags[po.late], po.moved, supplier,
                self.now, blake2b(text.encode(), digest_size=8).hexdigest())


def _existing(session: Session, items: set[int] | None) -> dict[tuple[int, str, object], tuple[int, str]]:
    """(item, kind, due) -> (id, sig) of the stored rows, of some items or of all."""
    query = select(PLANNED.c.id, PLANNED.c.item_id, PLANNED.c.kind, PLANNED.c.due_date, PLANNED.c.sig)
    if items is None:
        return {(i, k, d): (pk, s) for pk, i, k, d, s in session.execute(query)}
    out, ids = {}, sorted(items)
    for chunk in range(0, len(ids), _CHUNK):
        for pk, i, k, d, s in session.execute(query.where(PLANNED.c.item_id.in_(ids[chunk:chunk + _CHUNK]))):
            out[(i, k, d)] = (pk, s)
    return out


def store(session: Session, grid: Weeks, data: engine.PlanData, result: engine.PlanResult,
          run_id: int) -> RunSummary:
    """Write the plan's difference with the stored one: new rows inserted through the driver, rows whose
    digest changed updated by id, vanished ones deleted by id; capacity rows likewise."""
    from app.services.driver_sql import bulk_insert  # the driver-level writer (COPY / executemany)

    summary = RunSummary(run_id, planned=sum(len(o) for o in result.orders.values()))
    existing = _existing(session, result.dirty)
    enc = _Encoder(session, grid, data)
    inserts, updates = [], []
    for item_id in (result.orders if result.dirty is None else sorted(result.dirty)):
        for po in result.orders.get(item_id, ()):
            due = enc.mondays[po.due_week]
            values = enc.values(po)
            row = existing.pop((item_id, po.kind, due), None)
            if row is None:
                inserts.append((item_id, po.kind, due, *values))
            elif row[1] != values[-1]:
                updates.append(dict(zip(_VALUES, values, strict=True), b_id=row[0]))
    bulk_insert(session, PLANNED, ("item_id", "kind", "due_date", *_VALUES), inserts)
    if updates:
        session.execute(update(PLANNED).where(PLANNED.c.id == bindparam("b_id")), updates)
    gone = [pk for pk, _ in existing.values()]
    for chunk in range(0, len(gone), _CHUNK):
        session.execute(delete(PLANNED).where(PLANNED.c.id.in_(gone[chunk:chunk + _CHUNK])))
    summary.created, summary.updated, summary.removed = len(inserts), len(updates), len(gone)
    _store_load(session, grid, data, result)
    summary.overloaded = result.overloaded(data.capacity)
    session.flush()
    return summary


def _store_load(session: Session, grid: Weeks, data: engine.PlanData, result: engine.PlanResult) -> None:
    rows = {(r.work_center_id, r.week_start): r for r in session.scalars(select(CapacityLoad))}
    for wc, cap in data.capacity.items():
        load = result.load.get(wc, [engine.ZERO] * grid.count)
        for w in range(grid.count):
            key = (wc, grid.monday(w))
            row = rows.pop(key, None)
            minutes = load[w].quantize(QTY_Q, ROUND_HALF_UP)
            if row is None:
                session.add(CapacityLoad(work_center_id=wc, week_start=key[1], load_minutes=minutes,
                                         capacity_minutes=cap[w]))
            elif row.load_minutes != minutes or row.capacity_minutes != cap[w]:
                row.load_minutes, row.capacity_minutes = minutes, cap[w]
    for row in rows.values():
        session.delete(row)

