"""Planning benchmarks (phase 'planning'), issue 18.

    P1 mrp         the MRP engine on 10,000 items in 5 BOM levels (2,000 per level, 3 components a
                   line each, scrap on a third), 52 weekly buckets, demand every 4th week on every
                   top item, 20 work centres with levelling: a full plan; then one new customer order
                   planned as a net change (only that item and what lies below it recomputed).
    P2 forecast    method choice by backtest (12 months held out) and a 6-month forecast for 5,000
                   items x 36 months (a third seasonal, a third intermittent, a third trending).
    P3 firming     1,000 planned purchases firmed into purchase request lines (one transaction,
                   the purchasing service's demand path) in the database.
    P4 promise     a capable-to-promise date for the three-level robot (every level short, supplier
                   offers, routings, the calendar): median of 30 calls.
    P5 mrp-db      the P1 structure seeded into the database (10,000 items, 8,000 BOMs and routings,
                   24,000 BOM lines, stock, 13 customer orders x 2,000 lines, 20 work centres), then
                   the three parts of a run timed apart: loading (load.py), planning (engine) and
                   writing the difference (first run: every planned order new; second: none changed).

P1 and P2 run on in-memory data (the engine and the forecast are pure); P5 measures the same MRP
with its loading from and writing to the database. Every figure has the
load average beside it: the machine is shared.

Run alone:  python -m bench.planning [--pg URL]
"""

from __future__ import annotations

import math
import random
import sys
import time
from datetime import date, timedelta
from decimal import Decimal

from bench.harness import MS, SECONDS, PhaseOutput, Result, backend_name, fresh_app, load_average, median_ms

D = Decimal


def _add(out: PhaseOutput, result: Result) -> None:
    """Keep the figure and say it at once (a long phase shows its progress)."""
    out.add(result)
    print(f"[planning] {result.workload}: {result.ours:.3f} {result.unit} (cpu {result.ours_cpu}) ({result.size}) "
          f"goal {result.goal}; load {load_average()}",
          file=sys.stderr, flush=True)


def synthetic_plan(n: int = 10_000, levels: int = 5, weeks: int = 52, seed: int = 1):
    from app.domain import bom as dbom
    from app.services.planning import engine as e

    rnd = random.Random(seed)
    per = n // levels
    ids = [[lvl * per + k + 1 for k in range(per)] for lvl in range(levels)]
    items = {}
    for lvl in range(levels):
        for i in ids[lvl]:
            bom, routes = None, ()
            if lvl < levels - 1:
                comps = rnd.sample(ids[lvl + 1], 3)
                bom = dbom.BomSpec(i, tuple(dbom.BomLineSpec(c, D(rnd.randint(1, 3)), D(rnd.choice((0, 0, 5))))
                                            for c in comps))
                routes = (e.Route(rnd.randint(1, 20), D(30), D(rnd.randint(1, 10))),)
            items[i] = e.ItemData(i, str(i), D(rnd.randint(0, 50)), bom, routes, rnd.choice((7, 14, 21)), D(0),
                                  D(10) if lvl == levels - 1 else None, places=0)
    demands = [e.Demand(i, w, D(rnd.randint(1, 20)), f"SO-{rnd.randint(1, 500)}") for i in ids[0]
               for w in range(0, weeks, 4)]
    capacity = {wc: [D(2400 * 8)] * weeks for wc in range(1, 21)}
    return e.PlanData(weeks, items, demands, [], capacity), ids[0][0]


def _mrp(out: PhaseOutput) -> None:
    from app.services.planning import engine as e

    data, top = synthetic_plan()
    t0, c0 = time.perf_counter(), time.process_time()
    result = e.plan(data)
    full, cpu = time.perf_counter() - t0, time.process_time() - c0
    _add(out, Result("P1 MRP full plan", f"10,000 items x 5 levels x 52 weeks; {len(result.all_orders()):,} planned "
                     "orders", full, SECONDS, goal="< 10 s", goal_ok=full < 10, ours_cpu=cpu))
    data.demands.append(e.Demand(top, 10, D(7), "SO-NEW"))
    t0, c0 = time.perf_counter(), time.process_time()
    again = e.plan(data, result, {top})
    net, cpu = time.perf_counter() - t0, time.process_time() - c0
    _add(out, Result("P1 MRP net change after one order", f"{again.recomputed} items recomputed", net, SECONDS,
                     goal="< 0.5 s", goal_ok=net < 0.5, ours_cpu=cpu))


def synthetic_history(n: int = 5000, months: int = 36, seed: int = 5) -> list[list[float]]:
    rnd = random.Random(seed)
    out = []
    for k in range(n):
        if k % 3 == 0:
            out.append([max(0.0, 50 + 30 * math.sin(2 * math.pi * (m % 12) / 12) + rnd.gauss(0, 4))
                        for m in range(months)])
        elif k % 3 == 1:
            out.append([float(rnd.randint(1, 5)) if rnd.random() < 0.25 else 0.0 for _ in range(months)])
        else:
            out.append([20 + m * 0.5 + rnd.gauss(0, 3) for m in range(months)])
    return out


def _forecast(out: PhaseOutput) -> None:
    from app.services.planning import forecast as fc

    series = synthetic_history()
    t0, c0 = time.perf_counter(), time.process_time()
    fits = [fc.fit(y, 6, "month", holdout=12) for y in series]
    took, cpu = time.perf_counter() - t0, time.process_time() - c0
    better = sum(1 for f in fits if f.wape is not None and f.naive_wape is not None and f.wape <= f.naive_wape)
    _add(out, Result("P2 forecast with backtest", "5,000 items x 36 months", took, SECONDS, goal="< 30 s",
                     goal_ok=took < 30, ours_cpu=cpu))
    methods: dict[str, int] = {}
    for f in fits:
        methods[f.method] = methods.get(f.method, 0) + 1
    out.notes.append(f"P2 methods chosen: {methods}; WAPE at or below naive's on {better} of {len(fits)} items")


def _firming(out: PhaseOutput, n: int = 1000) -> None:
    from sqlalchemy import select

    from app.extensions import db
    from app.models.catalog import Item
    from app.models.core import Unit
    from app.models.planning import PlannedOrder
    from app.models.stock import Warehouse
    from app.services.planning.run import firm

    s = db.session
    unit = s.scalar(select(Unit).limit(1)) or Unit(code="pcs", name="pcs", decimals=0)
    s.add(unit)
    s.add(Warehouse(code="PLANWH", name="PLANWH"))
    items = [Item(code=f"PL-{k}", name=f"Part {k}", kind="component", unit=unit) for k in range(n)]
    s.add_all(items)
    s.flush()
    monday = date.today() - timedelta(days=date.today().weekday())
    s.add_all(PlannedOrder(item_id=it.id, kind="buy", due_date=monday + timedelta(weeks=2), start_date=monday,
                           qty=D(10), pegs={"SO-1": "10"}) for it in items)
    s.commit()
    ids = list(s.scalars(select(PlannedOrder.id)))
    t0, c0 = time.perf_counter(), time.process_time()
    firm(s, ids)
    took, cpu = time.perf_counter() - t0, time.process_time() - c0
    _add(out, Result("P3 firming planned purchases", f"{n:,} lines", took, SECONDS, goal="< 2 s", goal_ok=took < 2,
                     ours_cpu=cpu))


def _promise(out: PhaseOutput) -> None:
    from app.extensions import db
    from app.services.planning.promise import promise
    from tests.planning.factories_planning import robot
    from tests.purchasing import factories_purchasing as fp

    r = robot()  # the tests' three-level robot: the same data the promise tests check
    sup = fp.supplier("ElektroKomp")
    for it in (r.chip, r.pcb, r.case):
        fp.offer(sup, it, "20", lead=10)
    timed = median_ms(lambda: promise(db.session, {r.robot.id: D(10)}), 30)
    _add(out, Result("P4 promise date (configurator)", "3-level robot, every level short", timed.wall, MS,
                     goal="< 100 ms", goal_ok=timed.wall < 100, ours_cpu=timed.cpu))


def seed_plan_db(n: int = 10_000, levels: int = 5, weeks: int = 52, seed: int = 1) -> None:
    """The P1 structure as rows, inserted in bulk (Core executemany: seeding is not what is measured)."""
    from sqlalchemy import insert, select

    from app.extensions import db
    from app.models.catalog import Item
    from app.models.core import Currency, Unit
    from app.models.partners import Partner
    from app.models.production import Bom, BomLine, Routing, RoutingOperation, WorkCenter
    from app.models.sales import SalesOrder, SalesOrderLine
    from app.models.stock import StockBalance, Warehouse

    s = db.session
    rnd = random.Random(seed)
    unit = s.scalar(select(Unit).limit(1)) or Unit(code="pcs", name="pcs", decimals=0)
    cur = s.scalar(select(Currency).limit(1)) or Currency(code="RUB", name="RUB")
    wh, client = Warehouse(code="MRPWH", name="MRPWH"), Partner(name="MRP client", is_customer=True)
    s.add_all([unit, cur, wh, client])
    s.add_all(WorkCenter(code=f"WC{k}", name=f"WC{k}", labour_rate=D(1), overhead_rate=D(1)) for k in range(1, 21))
    s.flush()
    wcs = list(s.scalars(select(WorkCenter.id).where(WorkCenter.code.like("WC%"))))
    per = n // levels
    s.execute(insert(Item), [{"code": f"M{lvl}-{k}", "name": f"M{lvl}-{k}", "unit_id": unit.id,
                              "kind": "product" if lvl == 0 else "node" if lvl < levels - 1 else "component"}
                             for lvl in range(levels) for k in range(per)])
    ids = {code: i for code, i in s.execute(select(Item.code, Item.id).where(Item.code.like("M%-%")))}
    level = [[ids[f"M{lvl}-{k}"] for k in range(per)] for lvl in range(levels)]
    made = [i for lvl in range(levels - 1) for i in level[lvl]]
    s.execute(insert(Bom), [{"item_id": i, "version": 1, "name": "", "output_qty": D(1), "active": True} for i in made])
    boms = dict(s.execute(select(Bom.item_id, Bom.id).where(Bom.item_id.in_(made))).all())
    s.execute(insert(Routing), [{"item_id": i, "version": 1, "name": "", "active": True} for i in made])
    routings = dict(s.execute(select(Routing.item_id, Routing.id).where(Routing.item_id.in_(made))).all())
    lines, ops = [], []
    for lvl in range(levels - 1):
        for i in level[lvl]:
            for no, c in enumerate(rnd.sample(level[lvl + 1], 3), 1):
                lines.append({"bom_id": boms[i], "line_no": no, "item_id": c, "qty": D(rnd.randint(1, 3)),
                              "scrap_pct": D(rnd.choice((0, 0, 5))), "is_byproduct": False})
            ops.append({"routing_id": routings[i], "seq": 10, "name": "op", "work_center_id": rnd.choice(wcs),
                        "setup_minutes": D(30), "run_minutes": D(rnd.randint(1, 10))})
    s.execute(insert(BomLine), lines)
    s.execute(insert(RoutingOperation), ops)
    s.execute(insert(StockBalance), [{"item_id": i, "warehouse_id": wh.id, "qty": D(rnd.randint(0, 50))}
                                     for i in ids.values()])
    monday = date.today() - timedelta(days=date.today().weekday())
    for w in range(0, weeks, 4):
        so = SalesOrder(number=f"MRP-SO-{w}", partner_id=client.id, currency_id=cur.id, state="confirmed",
                        delivery_date=monday + timedelta(weeks=w), warehouse_id=wh.id)
        s.add(so)
        s.flush()
        s.execute(insert(SalesOrderLine), [{"order_id": so.id, "line_no": k, "item_id": i,
                                            "qty": D(rnd.randint(1, 20)), "unit_price": D(1)}
                                           for k, i in enumerate(level[0], 1)])
    s.commit()


def _mrp_db(out: PhaseOutput, weeks: int = 52) -> None:
    from app.extensions import db
    from app.services.base import unit_of_work
    from app.services.planning import engine
    from app.services.planning.load import Weeks, load
    from app.services.planning.run import store

    seed_plan_db(weeks=weeks)
    s, today = db.session, date.today()
    parts = {}
    for attempt in ("first", "again"):
        t0, c0 = time.perf_counter(), time.process_time()
        data = load(s, today, weeks)
        t1, c1 = time.perf_counter(), time.process_time()
        result = engine.plan(data)
        t2, c2 = time.perf_counter(), time.process_time()
        with unit_of_work(s):
            summary = store(s, Weeks(today, weeks), data, result, 0)
        t3, c3 = time.perf_counter(), time.process_time()
        parts[attempt] = ((t1 - t0, c1 - c0), (t2 - t1, c2 - c1), (t3 - t2, c3 - c2))
        size = f"{len(data.items):,} items, {len(data.demands):,} demands; {summary.planned:,} planned orders, " \
               f"{summary.created:,} new, {summary.updated:,} changed"
        for name, (wall, cpu) in zip(("load", "plan", "write"), parts[attempt], strict=True):
            _add(out, Result(f"P5 MRP from the database: {name} ({attempt} run)", size, wall, SECONDS,
                             ours_cpu=cpu))
        total = sum(p[0] for p in parts[attempt])
        _add(out, Result(f"P5 MRP from the database: whole run ({attempt})", size, total, SECONDS, goal="< 10 s",
                         goal_ok=total < 10, ours_cpu=sum(p[1] for p in parts[attempt])))
    _mrp_db_net_change(out, weeks)


def _mrp_db_net_change(out: PhaseOutput, weeks: int) -> None:
    """An event marks one top item (as posting its shipment would); the next run plans it and what lies
    below it, from the last finished run's result (this process's, as the page's button would find it)."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models.catalog import Item
    from app.models.planning import PlanRun
    from app.services.base import unit_of_work
    from app.services.planning import dirty
    from app.services.planning.run import run_plan

    s, today = db.session, date.today()
    run_plan(s, today, weeks)  # a finished run to start from (nothing changes: every row kept)
    with unit_of_work(s):
        dirty.mark(s, [s.scalar(select(Item.id).where(Item.code == "M0-0"))], "shipment")
    t0, c0 = time.perf_counter(), time.process_time()
    summary = run_plan(s, today, weeks)
    took, cpu = time.perf_counter() - t0, time.process_time() - c0
    stats = s.scalar(select(PlanRun.stats).order_by(PlanRun.id.desc()).limit(1))
    _add(out, Result("P5 MRP from the database: net change after one marked item",
                     f"{stats['recomputed']:,} items recomputed, {summary.updated:,} rows rewritten", took, SECONDS,
                     ours_cpu=cpu))


def run_phase(pg_url: str | None, n: int = 10_000) -> dict:
    out = PhaseOutput(backend_name(pg_url))
    out.notes.append(f"planning phase starts at load average {load_average()}")
    _mrp(out)
    _forecast(out)
    with fresh_app(pg_url):
        _firming(out)
    with fresh_app(pg_url):
        _promise(out)
    with fresh_app(pg_url):
        _mrp_db(out)
    return out.__dict__


def main(argv: list[str] | None = None) -> int:
    from bench.harness import standalone_main

    return standalone_main("planning", __doc__, run_phase, 10_000, "items in the MRP (default 10000)", argv)


if __name__ == "__main__":
    sys.exit(main())
