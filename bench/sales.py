"""Sales benchmarks: the order list at 200,000 orders and the logistics analysis of a 50-line order.

    S1 list       /salesorderview/list/ first page, a deep page sorted by number, filtered by client,
                  by state, by number; through the Flask test client (routing, permissions, templates)
    S2 popular    the popular items JSON for a client (aggregate over 200,000 order lines)
    S3 analysis   analyse() of a confirmed 50-line order whose items have two-level BOMs (the service
                  call, every query included), and run_analysis() once (it writes)

Orders and lines are inserted in bulk (Core INSERT, no audit rows): the bench measures reads.
Each figure is the p95 (and median) of REPS calls, with the SQL statements one call sends.

Run alone:  python -m bench.sales [--pg URL] [--n 200000]
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from decimal import Decimal

from bench.harness import MS, PhaseOutput, Result

LIST_GOAL_MS = 300.0
ANALYSIS_GOAL_MS = 200.0
REPS = 30
CLIENTS = 2_000
ITEMS = 300
STATES = ("draft", "confirmed", "in_fulfilment", "shipped", "closed", "cancelled")


def _seed_orders(n: int, rng: random.Random) -> dict:
    """CLIENTS partners, ITEMS items and `n` orders with one line each; returns look-up samples."""
    from sqlalchemy import insert

    from app.extensions import db
    from app.models.catalog import Item
    from app.models.core import Currency, Unit
    from app.models.partners import Partner
    from app.models.sales import SalesOrder, SalesOrderLine

    s = db.session
    rub = Currency(code="RUB", name="Rouble", symbol="₽")
    pcs = Unit(code="pcs", name="pcs")
    s.add_all([rub, pcs])
    s.commit()
    now = datetime(2026, 1, 1)
    s.execute(insert(Partner), [dict(id=i, kind="company", name=f"Школа {i}", legal_name="", position="", tax_id="",
                                     tax_id2="", phone="", email="", website="", is_customer=True, is_supplier=False,
                                     is_carrier=False, source="", language="ru", note="", active=True,
                                     name_norm=f"школа {i}", phone_norm="", email_norm="", created_at=now,
                                     updated_at=now) for i in range(1, CLIENTS + 1)])
    s.execute(insert(Item), [dict(id=i, code=f"BI-{i:04d}", name=f"Item {i}", name_ru="", name_es="", kind="product",
                                  unit_id=pcs.id, barcode="", tracking="lots", active=True, created_at=now,
                                  updated_at=now) for i in range(1, ITEMS + 1)])
    start = date(2025, 1, 1)
    orders, lines = [], []
    for i in range(1, n + 1):
        qty = Decimal(rng.randint(1, 20))
        price = Decimal(rng.randint(100, 50_000))
        net = qty * price
        tax = (net * Decimal("0.2")).quantize(Decimal("0.01"))
        orders.append(dict(id=i, number=f"SO-B-{i:07d}", order_date=start + timedelta(days=i * 700 // n),
                           state=STATES[i % len(STATES)], partner_id=1 + i % CLIENTS, currency_id=rub.id, rate=1,
                           tax_rate=20, amount_net=net, amount_tax=tax, amount_total=net + tax, delivery_address="",
                           delivery_terms="", payment_terms_days=10, note="", confirmed_by="", cancelled_by="",
                           created_at=now, updated_at=now))
        lines.append(dict(order_id=i, line_no=1, item_id=1 + rng.randrange(ITEMS) % ITEMS, description="", qty=qty,
                          unit_price=price, discount_pct=0, amount_net=net, amount_tax=tax, amount_total=net + tax))
        if len(orders) == 5000:
            s.execute(insert(SalesOrder), orders)
            s.execute(insert(SalesOrderLine), lines)
            orders, lines = [], []
    if orders:
        s.execute(insert(SalesOrder), orders)
        s.execute(insert(SalesOrderLine), lines)
    if s.get_bind().dialect.name == "postgresql":  # explicit ids: move the sequences past them
        from sqlalchemy import text

        for table in ("partner", "item", "sales_order"):
            s.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
    s.commit()
    return {"client": 1 + (n // 2) % CLIENTS, "number": f"SO-B-{n // 2:07d}"}


def _seed_analysis_order() -> int:
    """A confirmed 50-line order: each product has a BOM (a node of two parts, a part), some stock, some offers."""
    from app.extensions import db
    from app.models.catalog import Item
    from app.models.core import Unit
    from app.models.partners import Partner
    from app.models.stock import Warehouse
    from app.services.production import BomInput, BomLineInput, create_bom
    from app.services.sales import OrderInput, OrderLineInput, confirm_order, create_order
    from app.services.stock import DocumentInput, LineInput, create_document, post_document

    s = db.session
    pcs = s.query(Unit).filter_by(code="pcs").one()
    wh = Warehouse(code="BMAIN", name="Bench main", valuation="fifo")
    s.add(wh)
    parts = [Item(code=f"BP-{i:03d}", name=f"Part {i}", kind="component", unit=pcs) for i in range(60)]
    nodes = [Item(code=f"BN-{i:03d}", name=f"Node {i}", kind="node", unit=pcs) for i in range(20)]
    products = [Item(code=f"BR-{i:03d}", name=f"Robot {i}", kind="product", unit=pcs, sale_price=Decimal(1000 + i))
                for i in range(50)]
    s.add_all(parts + nodes + products)
    s.commit()
    for i, node in enumerate(nodes):
        create_bom(s, BomInput(node.id, "1", lines=[BomLineInput(parts[i].id, "2"),
                                                    BomLineInput(parts[20 + i].id, "1")]))
    for i, prod in enumerate(products):
        create_bom(s, BomInput(prod.id, "1", lines=[BomLineInput(nodes[i % 20].id, "1"),
                                                    BomLineInput(parts[40 + i % 20].id, "3")]))
    doc = create_document(s, DocumentInput("receipt", wh.id, lines=[LineInput(p.id, "10", unit_cost="5") for p in parts]
                                           + [LineInput(p.id, "2", unit_cost="500") for p in products[:25]]))
    post_document(s, doc.id)
    client = s.get(Partner, 1)
    order = create_order(s, OrderInput(client.id, [OrderLineInput(p.id, Decimal(4)) for p in products],
                                       warehouse_id=wh.id, tax_rate=Decimal(20)))
    confirm_order(s, order.id)
    return order.id


def _p95(fn, reps: int = REPS) -> tuple[float, float, int]:
    from bench.sqlcount import statements

    fn()
    with statements() as log:
        fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000.0)
    times.sort()
    return times[int(0.95 * (len(times) - 1))], statistics.median(times), len(log)


def _get(client, url: str, expect: str | None = None):
    def get() -> None:
        resp = client.get(url)
        if resp.status_code != 200:
            raise RuntimeError(f"GET {url} -> {resp.status_code}")
        if expect and expect.encode() not in resp.data:
            raise RuntimeError(f"GET {url}: the page does not show {expect!r}")
    return get


def _filter_index(app, view_name: str, column: str, filter_class_name: str) -> int:
    view = next(v for v in app.appbuilder.baseviews if type(v).__name__ == view_name)
    for i, flt in enumerate(view._filters.get_search_filters()[column]):
        if type(flt).__name__ == filter_class_name:
            return i
    raise LookupError(filter_class_name)


def run_phase(pg_url: str | None = None, n: int = 200_000) -> dict:
    """Phase 'sales': seed, then S1-S3; returns PhaseOutput's fields."""
    from app.extensions import db
    from app.services.sales.analysis import analyse, run_analysis
    from bench import reads
    from bench.harness import backend_name, fresh_app, load_average

    out = PhaseOutput(backend_name(pg_url))
    rng = random.Random(7)
    with fresh_app(pg_url) as app:
        t0 = time.perf_counter()
        sample = _seed_orders(n, rng)
        out.notes.append(f"sales phase: {n:,} orders with {n:,} lines, {CLIENTS:,} clients seeded in "
                         f"{time.perf_counter() - t0:.0f} s; load average {load_average()}")
        client = reads.login_admin(app)
        partner_idx = _filter_index(app, "SalesOrderView", "partner", "FilterRelationOneToManyEqual")
        state_idx = _filter_index(app, "SalesOrderView", "state", "FilterEqual")
        number_idx = _filter_index(app, "SalesOrderView", "number", "FilterNumberPrefix")
        pages = [
            ("S1 order list, first page", "/salesorderview/list/", None),
            ("S1 order list, page 4,000 by number", "/salesorderview/list/?page_SalesOrderView=4000"
                                                    "&_oc_SalesOrderView=number&_od_SalesOrderView=asc", None),
            ("S1 order list, one client", f"/salesorderview/list/?_flt_{partner_idx}_partner={sample['client']}",
             None),
            ("S1 order list, state = shipped", f"/salesorderview/list/?_flt_{state_idx}_state=shipped", None),
            ("S1 order list, number starts with", f"/salesorderview/list/?_flt_{number_idx}_number={sample['number']}",
             sample["number"]),
            ("S2 popular items JSON (client + overall)",
             f"/salesorderview/popular.json?partner_id={sample['client']}", None),
        ]
        for label, url, expect in pages:
            p95, med, stmts = _p95(_get(client, url, expect))
            goal = LIST_GOAL_MS
            out.add(Result(label, f"{n:,} orders", round(p95, 1), MS, goal=f"p95 < {goal:g} ms", goal_ok=p95 < goal,
                           note=f"median {med:.1f} ms; {stmts} SQL statements"))
        order_id = _seed_analysis_order()

        def call() -> None:
            db.session.expire_all()
            analyse(db.session, order_id)

        p95, med, stmts = _p95(call)
        out.add(Result("S3 logistics analysis, 50 lines, 2-level BOMs", "50 lines", round(p95, 1), MS,
                       goal=f"p95 < {ANALYSIS_GOAL_MS:g} ms", goal_ok=p95 < ANALYSIS_GOAL_MS,
                       note=f"median {med:.1f} ms; {stmts} SQL statements"))
        t0 = time.perf_counter()
        run_analysis(db.session, order_id)
        out.add(Result("S3 run the analysis (reserve, request, 25 production orders)", "50 lines",
                       round((time.perf_counter() - t0) * 1000.0, 1), MS, note="one run, writes"))
    return out.__dict__


def main(argv: list[str] | None = None) -> int:
    from bench.harness import standalone_main

    return standalone_main("sales", __doc__, run_phase, 200_000, "orders (default 200,000)", argv)


if __name__ == "__main__":
    sys.exit(main())
