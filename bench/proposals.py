"""Proposal (TCP) benchmarks: recalculating a 200-line proposal, and the configurator's JSON endpoint.

The data: 150 bought-in parts received in 20 FIFO lots each at rising prices (one lot partly
reserved), 50 nodes with a 3-part BOM and a routing; a product model whose base configuration has
those 200 lines, plus a small 3-group model like the demo's robot. Measured:
    P1 recalc 200      evaluate() of the 200-line model (rules, lines, FIFO costs net of reservations,
                       BOM roll-up with labour, pricing rules): the goal is < 50 ms server-side
    P1 by source       the same by each cost source
    P2 endpoint        POST /proposals/configurator/calc through the Flask test client (login, CSRF
                       off as in tests, JSON both ways), small model and 200 lines: the goal < 150 ms
                       in the browser, of which this is the server's part
p50 and p95 over the repetitions; the statement count of one recalculation is a figure the machine's
load can't blur.

Run alone:  python -m bench.proposals [--pg URL] [--reps 60]
From bench/__main__.py: proposals.run_phase(pg_url, reps) -> dict (PhaseOutput fields).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal

from bench.harness import MS, PhaseOutput, Result

GOAL_RECALC_MS = 50.0
GOAL_CLICK_MS = 150.0
PARTS, NODES, LOTS = 150, 50, 20


def _pcts(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered), p95


def _time(fn, reps: int, warmup: int = 3) -> tuple[float, float, float]:
    """(p50, p95) of wall milliseconds and the p50 of this process's CPU milliseconds (see Timed)."""
    for _ in range(warmup):
        fn()
    samples, cpus = [], []
    for _ in range(reps):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000.0)
        cpus.append((time.process_time() - c0) * 1000.0)
    return (*_pcts(samples), statistics.median(cpus))


def _seed() -> dict:
    """Items, lots, a reservation, BOMs, routings, the 200-line model and a small nested one."""
    from app.extensions import db
    from app.models.catalog import Item
    from app.models.core import Company, Currency
    from app.models.partners import Partner
    from app.models.production import WorkCenter
    from app.models.proposals import CompatibilityRule, ModelLine, OptionGroup, PricingRule, ProductModel, ProductOption
    from app.services.production import BomInput, BomLineInput, OperationInput, RoutingInput, create_bom, create_routing
    from app.services.stock import DocumentInput, LineInput, create_document, post_document
    from app.services.stock.reservations import reserve
    from bench import seed

    rub = Currency(code="RUB", name="Rouble", symbol="₽")
    db.session.add(rub)
    db.session.flush()
    db.session.add(Company(name="Bench", base_currency_id=rub.id))
    partner = Partner(name="Robokids", is_customer=True)
    db.session.add(partner)
    uid = seed.unit_id()
    parts = [Item(code=f"P-{n:04d}", name=f"Part {n}", kind="component", unit_id=uid, standard_cost=Decimal(10 + n))
             for n in range(PARTS)]
    nodes = [Item(code=f"N-{n:04d}", name=f"Node {n}", kind="node", unit_id=uid) for n in range(NODES)]
    db.session.add_all(parts + nodes)
    wc = WorkCenter(code="ASM", name="Assembly", labour_rate=Decimal(600), overhead_rate=Decimal(300))
    db.session.add(wc)
    db.session.add(PricingRule(name="all", scope="all", margin_pct=Decimal(25), floor_margin_pct=Decimal(10)))
    db.session.commit()
    wh = seed.warehouse_id("MAIN")
    day = date(2026, 6, 1)
    for lot in range(LOTS):
        lines = [LineInput(p.id, "10", unit_cost=f"{100 + lot * 1.5 + n % 7:.2f}") for n, p in enumerate(parts)]
        doc = create_document(db.session, DocumentInput("receipt", wh, day + timedelta(days=lot), lines=lines))
        post_document(db.session, doc.id)
    for p in parts[:30]:
        reserve(db.session, "sales_order", 1, "SO-1", p.id, wh, Decimal(15))
    db.session.commit()
    for n, node in enumerate(nodes):
        comps = [parts[(n * 3 + k) % PARTS] for k in range(3)]
        create_bom(db.session, BomInput(node.id, lines=[BomLineInput(c.id, str(k + 1)) for k, c in enumerate(comps)]))
        create_routing(db.session, RoutingInput(node.id, operations=[OperationInput(10, "assemble", wc.id, "5", "12")]))
    big = ProductModel(code="BIG", name="200-line model")
    big.base_lines = [ModelLine(item_id=i.id, qty=Decimal(1 + n % 3), sort=n) for n, i in enumerate(parts + nodes)]
    small = ProductModel(code="RK", name="Robot RK")
    small.base_lines = [ModelLine(item_id=nodes[0].id, qty=Decimal(1), sort=1)]
    db.session.add_all([big, small])
    cpu = OptionGroup(model=small, code="CPU", name="Processor", kind="one", min_select=1, sort=1)
    boards = OptionGroup(model=small, code="B", name="Boards", kind="qty", sort=2)
    sens = OptionGroup(model=small, code="S", name="Sensors", kind="many", sort=3)
    db.session.add_all([cpu, boards, sens])
    std = ProductOption(group=cpu, code="STD", name="Std", item_id=parts[0].id, qty=Decimal(1), is_default=True)
    pro = ProductOption(group=cpu, code="PRO", name="Pro", item_id=parts[1].id, qty=Decimal(1))
    board = ProductOption(group=boards, code="B", name="Board", item_id=parts[2].id, qty=Decimal(1), max_qty=4)
    lidar = ProductOption(group=sens, code="L", name="Lidar", item_id=nodes[1].id, qty=Decimal(1))
    db.session.add_all([std, pro, board, lidar])
    db.session.flush()
    db.session.add_all([CompatibilityRule(model=small, kind="requires", option=lidar, target=pro),
                        CompatibilityRule(model=small, kind="max_qty", option=board, target=std, limit_qty=2)])
    db.session.commit()
    return {"big": big.id, "small": small.id, "partner": partner.id, "currency": rub.id,
            "small_sel": {str(pro.id): 1, str(board.id): 3, str(lidar.id): 1}}


def run_phase(pg_url: str | None, reps: int = 60) -> dict:
    from bench.harness import backend_name, fresh_app

    out = PhaseOutput(backend_name(pg_url))
    with fresh_app(pg_url) as app:
        from app.extensions import db
        from app.models.proposals import COST_SOURCES
        from app.services.proposals import ProposalInput, evaluate
        from bench import reads
        from bench.sqlcount import statements

        ids = _seed()
        if pg_url:  # a live database has planner statistics (autovacuum); a freshly seeded one not yet
            from sqlalchemy import text

            db.session.execute(text("ANALYZE"))
            db.session.commit()
        data = ProposalInput(ids["partner"], ids["big"], qty="4", currency_id=ids["currency"], cost_source="fifo")
        ev = evaluate(db.session, data)
        assert len(ev.lines) == PARTS + NODES, len(ev.lines)
        with statements() as log:
            evaluate(db.session, data)
        p50, p95, cpu = _time(lambda: (evaluate(db.session, data), db.session.rollback()), reps)
        size = f"{PARTS + NODES} lines ({NODES} nodes with BOM + routing), {PARTS * LOTS} FIFO lots"
        out.add(Result("P1 recalc 200-line proposal (fifo) p50", size, p50, MS, goal=f"< {GOAL_RECALC_MS:.0f} ms",
                       goal_ok=p50 < GOAL_RECALC_MS, ours_cpu=cpu,
                       note=f"p95 {p95:.1f} ms; CPU p50 {cpu:.1f} ms; {len(log)} SQL statements"))
        for source in COST_SOURCES:
            if source == "fifo":
                continue
            s50, s95, scpu = _time(lambda s=source: (evaluate(db.session, data, source=s), db.session.rollback()),
                             max(reps // 3, 10))
            out.add(Result(f"P1 recalc 200 lines ({source}) p50", size, s50, MS, goal=f"< {GOAL_RECALC_MS:.0f} ms",
                           goal_ok=s50 < GOAL_RECALC_MS, ours_cpu=scpu,
                           note=f"p95 {s95:.1f} ms; CPU p50 {scpu:.1f} ms"))
        client = reads.login_admin(app)
        for label, body in (
                ("small model, 3 groups, rules", {"model_id": ids["small"], "partner_id": ids["partner"], "qty": "4",
                                                  "currency_id": ids["currency"], "selection": ids["small_sel"]}),
                ("200 lines", {"model_id": ids["big"], "partner_id": ids["partner"], "qty": "4",
                               "currency_id": ids["currency"]})):
            def click(body=body):
                resp = client.post("/proposals/configurator/calc", json=body)
                if resp.status_code != 200:
                    raise RuntimeError(f"calc answered {resp.status_code}: {resp.get_data(as_text=True)[:300]}")
            c50, c95, ccpu = _time(click, reps)
            out.add(Result("P2 configurator click (Flask test client) p50", label, c50, MS,
                           goal=f"< {GOAL_CLICK_MS:.0f} ms", goal_ok=c50 < GOAL_CLICK_MS, ours_cpu=ccpu,
                           note=f"p95 {c95:.1f} ms; CPU p50 {ccpu:.1f} ms"))
    return out.__dict__


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.proposals", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pg", metavar="URL")
    p.add_argument("--reps", type=int, default=60)
    args = p.parse_args(argv)
    res = run_phase(args.pg, args.reps)
    for r in res["results"]:
        print(f"{r['workload']:<52} {r['size']:<60} {r['ours']:8.1f} {r['unit']}  {r['goal']:<10} {r['note']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
