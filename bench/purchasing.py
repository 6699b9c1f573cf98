"""Purchasing benchmarks: ABC over a million sales lines, reorder suggestions for 10,000 items (W4).

Goals (issue 5): ABC analysis over 1,000,000 sales lines < 3 s; reorder suggestions for 10,000 items
< 2 s; both on SQLite, aggregating in SQL. Peer: Tryton 8.2's order-point supply run, 50 order
points in 390-500 ms (460 ms SQLite, 500 ms PostgreSQL; /work/shared/PEERS.md, W4).

The data is synthetic and bulk-inserted with Core executemany (COPY on PostgreSQL, see
bench/synth.bulk_insert): 10,000 bought-in items with sale prices; 1,000,000 shipment moves in
the ledger over 365 days, items drawn with Zipf weights (a few items carry most sales, as in real
life); for W4 a reorder point, a balance row and two supplier offers (RUB and EUR) per item, and
purchase orders on the way for one item in ten. Measured through the services:
    ABC            app.services.purchasing.abc_report (one GROUP BY over the year, classify, shape)
    W4 suggest     methods.preview("minmax"): figures, offers and needs for every reorder point
    W4 generate    methods.generate("minmax"): the same plus writing the request lines (ORM, audited)

Run alone:  python -m bench.purchasing [--pg URL] [--lines 1000000] [--items 10000]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import accumulate

from bench import peers
from bench.harness import MS, SECONDS, PhaseOutput, Result, median_ms

DAY = date(2026, 6, 30)
GOAL_ABC_S = 3.0
GOAL_W4_S = 2.0
CHUNK = 20_000


def _base(n_items: int) -> tuple[list[int], int, int]:
    """Unit, currencies, company, two warehouses, the items and two suppliers; returns ids."""
    from sqlalchemy import insert, select

    from app.extensions import db
    from app.models.catalog import Item
    from app.models.core import Company, Currency, CurrencyRate, Unit
    from app.models.partners import Partner
    from app.models.stock import Warehouse

    s = db.session
    unit = Unit(code="pcs", name="piece")
    rub, eur = Currency(code="RUB", name="Rouble"), Currency(code="EUR", name="Euro")
    s.add_all([unit, rub, eur])
    s.flush()
    s.add(CurrencyRate(currency_id=eur.id, on_date=DAY - timedelta(days=400), rate=Decimal("98.5")))
    s.add(Company(name="Bench", base_currency_id=rub.id))
    s.add_all([Warehouse(code="MAIN", name="Main"), Warehouse(code="SHOP", name="Shop", valuation="average")])
    s.add_all([Partner(name="Supplier RUB", is_supplier=True), Partner(name="Supplier EUR", is_supplier=True)])
    s.commit()
    rng = random.Random(5)
    rows = [{"code": f"P{i:06d}", "name": f"Part {i}", "kind": "component", "unit_id": unit.id,
             "sale_price": Decimal(rng.randint(100, 100_000)).scaleb(-2),
             "standard_cost": Decimal(rng.randint(50, 50_000)).scaleb(-2), "tracking": "none", "active": True,
             "created_at": datetime(2026, 1, 1), "updated_at": datetime(2026, 1, 1)} for i in range(n_items)]
    for start in range(0, len(rows), CHUNK):
        s.execute(insert(Item), rows[start:start + CHUNK])
    s.commit()
    wh = s.scalar(select(Warehouse.id).where(Warehouse.code == "MAIN"))
    return list(s.scalars(select(Item.id).order_by(Item.id))), wh, rub.id


def _sales(item_ids: list[int], wh: int, n_lines: int) -> float:
    """n_lines shipment moves over the 365 days before DAY; returns the seconds it took."""
    from app.domain import move_kinds
    from app.extensions import db
    from app.models.sales import DOC_SHIPMENT
    from app.models.stock import StockMove
    from bench.synth import bulk_insert

    t0 = time.perf_counter()
    rng = random.Random(2026)
    weights = list(accumulate(1.0 / r for r in range(1, len(item_ids) + 1)))
    conn = db.session.connection()
    first = DAY - timedelta(days=364)
    made = 0
    while made < n_lines:
        n = min(CHUNK, n_lines - made)
        picks = rng.choices(item_ids, cum_weights=weights, k=n)
        rows = []
        for k, item_id in enumerate(picks):
            qty = rng.randint(1, 20)
            rows.append({"id": made + k + 1, "move_date": first + timedelta(days=(made + k) * 365 // n_lines),
                         "created_at": datetime(2026, 1, 1), "item_id": item_id, "warehouse_id": wh,
                         "lot_id": None, "qty": Decimal(-qty), "value": Decimal(-qty * rng.randint(50, 500)),
                         "revaluation": Decimal(0), "kind": move_kinds.SALE, "doc_type": DOC_SHIPMENT,
                         "doc_id": (made + k) // 3 + 1, "doc_number": "", "doc_line_id": None,
                         "reversal_of_id": None, "username": "bench"})
        bulk_insert(conn, StockMove.__table__, rows)
        made += n
    db.session.commit()
    return time.perf_counter() - t0


def _reorder_data(item_ids: list[int], wh: int, rub: int) -> None:
    """Per item: a reorder point, a balance (some below min), offers in RUB and EUR; orders on the way."""
    from sqlalchemy import insert, select

    from app.extensions import db
    from app.models.core import Currency
    from app.models.partners import Partner
    from app.models.purchasing import PurchaseOrder, PurchaseOrderLine, ReorderPoint, SupplierOffer
    from app.models.stock import StockBalance

    s = db.session
    rng = random.Random(7)
    eur = s.scalar(select(Currency.id).where(Currency.code == "EUR"))
    sup_rub, sup_eur = s.scalars(select(Partner.id).order_by(Partner.id)).all()
    points, balances, offers = [], [], []
    for item_id in item_ids:
        lo = rng.randint(10, 100)
        points.append({"item_id": item_id, "warehouse_id": wh, "min_qty": Decimal(lo), "max_qty": Decimal(lo * 3),
                       "active": True})
        balances.append({"item_id": item_id, "warehouse_id": wh, "qty": Decimal(rng.randint(0, lo * 2)),
                         "value": Decimal(0), "reserved": Decimal(rng.randint(0, 5)), "last_unit_cost": Decimal(0)})
        for sup, cur, price in ((sup_rub, rub, rng.randint(100, 10_000)), (sup_eur, eur, rng.randint(1, 100))):
            offers.append({"supplier_id": sup, "item_id": item_id, "price": Decimal(price), "currency_id": cur,
                           "valid_from": DAY - timedelta(days=100), "valid_to": None, "min_qty": Decimal(10),
                           "pack_qty": Decimal(5), "lead_time_days": rng.randint(3, 20), "supplier_item_code": "",
                           "characteristics": "", "active": True, "created_at": datetime(2026, 1, 1),
                           "updated_at": datetime(2026, 1, 1)})
    for table, rows in ((ReorderPoint, points), (StockBalance, balances), (SupplierOffer, offers)):
        for start in range(0, len(rows), CHUNK):
            s.execute(insert(table), rows[start:start + CHUNK])
    for n in range(0, len(item_ids), 100):  # an order of 10 lines for every 100 items
        po = PurchaseOrder(number=f"PO-B-{n}", state="sent", supplier_id=sup_rub, warehouse_id=wh, currency_id=rub,
                           lines=[PurchaseOrderLine(line_no=k + 1, item_id=item_ids[n + k * 10], qty=Decimal(20),
                                                    price=Decimal(1)) for k in range(10) if n + k * 10 < len(item_ids)])
        s.add(po)
    s.commit()


def abc(out: PhaseOutput, n_lines: int) -> None:
    from app.extensions import db
    from app.services.purchasing.abc_report import abc_report
    from app.services.purchasing.params import parse_params

    for criterion in ("revenue", "orders"):
        p = parse_params("abc", {"date_from": DAY - timedelta(days=364), "date_to": DAY, "criterion": criterion},
                         on_date=DAY)
        report = None

        def run(p=p):
            nonlocal report
            report = abc_report(db.session, p)
            db.session.rollback()

        t = median_ms(run, reps=3, warmup=1)
        out.add(Result(f"ABC analysis by {criterion}", f"{n_lines:,} sales lines, {len(report.rows):,} items",
                       t.wall / 1000.0, SECONDS, goal=f"< {GOAL_ABC_S:g} s", goal_ok=t.wall / 1000.0 < GOAL_ABC_S,
                       ours_cpu=t.cpu / 1000.0,
                       note=f"A {report.summary['A']['count']}, B {report.summary['B']['count']}, "
                            f"C {report.summary['C']['count']}"))


def w4(out: PhaseOutput, backend: str, item_ids: list[int], wh: int) -> None:
    from sqlalchemy import update

    from app.extensions import db
    from app.models.purchasing import ReorderPoint
    from app.services.base import Actor, acting_as
    from app.services.purchasing.methods import generate, preview
    from app.services.purchasing.params import parse_params

    p = parse_params("minmax", {"warehouse_id": wh}, on_date=DAY)
    for size in (50, len(item_ids)):
        db.session.execute(update(ReorderPoint).values(active=ReorderPoint.item_id <= item_ids[size - 1]))
        db.session.commit()
        plan = None

        def suggest():
            nonlocal plan
            plan = preview(db.session, p)
            db.session.rollback()

        t = median_ms(suggest, reps=3, warmup=1)
        wanted = sum(1 for s in plan.suggestions if s.need > 0)
        goal = dict(goal=f"< {GOAL_W4_S:g} s", goal_ok=t.wall / 1000.0 < GOAL_W4_S) if size > 50 else {}
        out.add(Result("W4 reorder suggestions (min/max)", f"{size:,} order points, {wanted:,} to buy",
                       t.wall, MS, peer=peers.get(backend, "W4") if size == 50 else None,
                       peer_note=peers.note(backend, "W4", "50 order points per run") if size == 50 else "",
                       ours_cpu=t.cpu, **goal))
        with acting_as(Actor(None, "bench")):
            c0, t0 = time.process_time(), time.perf_counter()
            summary = generate(db.session, [p], trigger="bench")
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        out.add(Result("W4 generate requests (suggest + write lines)", f"{size:,} order points, "
                       f"{summary.stats.lines_created:,} lines", wall * 1000.0, MS,
                       peer=peers.get(backend, "W4") if size == 50 else None,
                       peer_note=peers.note(backend, "W4") if size == 50 else "", ours_cpu=cpu * 1000.0,
                       note="first run, ORM inserts with the audit log"))


def run_phase(pg_url: str | None = None, n_lines: int = 1_000_000, n_items: int = 10_000) -> dict:
    from bench.harness import backend_name, fresh_app, load_average

    backend = backend_name(pg_url)
    out = PhaseOutput(backend)
    with fresh_app(pg_url):
        item_ids, wh, rub = _base(n_items)
        seconds = _sales(item_ids, wh, n_lines)
        out.notes.append(f"purchasing: {n_lines:,} shipment moves inserted in {seconds:.0f} s "
                         f"(load average {load_average()})")
        abc(out, n_lines)
        _reorder_data(item_ids, wh, rub)
        w4(out, backend, item_ids, wh)
        out.notes.append(f"purchasing phase ends at load average {load_average()}")
    return out.__dict__


def main(argv: list[str] | None = None) -> int:
    from bench import report

    p = argparse.ArgumentParser(prog="python -m bench.purchasing", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pg", metavar="URL", help="run on a throwaway database of this PostgreSQL server instead")
    p.add_argument("--lines", type=int, default=1_000_000, help="sales lines for ABC (default 1,000,000)")
    p.add_argument("--items", type=int, default=10_000, help="items and order points for W4 (default 10,000)")
    args = p.parse_args(sys.argv[1:] if argv is None else argv)
    res = run_phase(args.pg, args.lines, args.items)
    print("\n".join(report.results_table(res["results"])))
    print("\n".join(f"- {note}" for note in res["notes"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
