"""Production benchmarks: W3 (completing a 3-level production from FIFO lots) and W5 (BOM explosion).

W3 follows Tryton's W3 shape in /work/shared/PEERS.md: a robot made of 3 nodes, each node made of
5 parts, every stocked item received in many FIFO lots at different prices. Measured through the
public services (create_order, release_order, complete_order), so the figures include
validation, numbering, locking, the ledger, costing and the audit log:
    W3 complete      complete_order of a released robot order (nodes on the shelf): the goal, < 22 ms
    W3 per production create + release + complete of one robot order (Tryton: create + assign + run + done)
    W3 whole tree    release a robot order whose nodes are missing (3 child orders created), complete
                     the 3 children from their parts, then the robot: per tree and per production
W5 explodes a 5-level BOM with 1,000 distinct bought-in parts: the service (loading the BOMs in
force level by level from the database, then exploding) and the pure domain explosion alone.

Run alone:  python -m bench.production [--pg URL] [--n 200]
From bench/__main__.py: production.run_phase(pg_url, n) -> dict (PhaseOutput fields), as the
other phases.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import date
from decimal import Decimal

from bench import peers
from bench.harness import MS, PhaseOutput, Result, median_ms

ACTOR_NAME = "bench"
DAY = date(2026, 6, 1)
GOAL_COMPLETE_MS = 22.0
GOAL_EXPLODE_MS = 100.0
LOTS_PER_ITEM = 40


def _items(prefix: str, count: int, kind: str = "component") -> list[int]:
    from app.extensions import db
    from app.models.catalog import Item
    from bench import seed

    uid = seed.unit_id()
    items = [Item(code=f"{prefix}-{n:04d}", name=f"{prefix} {n}", kind=kind, unit_id=uid,
                  standard_cost=Decimal(10 + n)) for n in range(1, count + 1)]
    db.session.add_all(items)
    db.session.commit()
    ids = [i.id for i in items]
    db.session.expunge_all()
    return ids


def _receive(wh_id: int, item_ids: list[int], qty_each: int) -> None:
    """`LOTS_PER_ITEM` lots per item at rising prices, in documents of 200 lines."""
    from app.extensions import db
    from app.services.stock import DocumentInput, LineInput, create_document, post_document

    lines = [LineInput(i, str(qty_each // LOTS_PER_ITEM + 1), unit_cost=f"{100 + n * 1.37 + i % 7:.2f}")
             for n in range(LOTS_PER_ITEM) for i in item_ids]
    for start in range(0, len(lines), 200):
        doc = create_document(db.session, DocumentInput("receipt", wh_id, DAY, lines=lines[start:start + 200]))
        post_document(db.session, doc.id)


def _bom(parent: int, components: list[int], qty: str) -> None:
    from app.extensions import db
    from app.services.production import BomInput, BomLineInput, create_bom

    create_bom(db.session, BomInput(parent, lines=[BomLineInput(c, qty) for c in components]))


def _routing(item_id: int, wc_id: int) -> None:
    from app.extensions import db
    from app.services.production import OperationInput, RoutingInput, create_routing

    create_routing(db.session, RoutingInput(item_id, operations=[
        OperationInput(10, "assemble", wc_id, "15", "12.5"), OperationInput(20, "flash the software", wc_id, "5", "3",
                                                                           is_software=True)]))


def seed_w3(n: int) -> dict:
    """Robot <- 3 nodes <- 5 parts each, routings, parts and nodes in FIFO lots for `n` robots and trees."""
    from app.extensions import db
    from app.models.production import WorkCenter
    from bench import seed

    wh = seed.warehouse_id("W3")
    wc = WorkCenter(code="W3", name="assembly", labour_rate=Decimal("640"), overhead_rate=Decimal("210"))
    db.session.add(wc)
    db.session.commit()
    wc_id = wc.id
    robot_on_shelf = _items("ROBOT", 1, "product")[0]
    robot_from_parts = _items("ROBOTX", 1, "product")[0]
    nodes = _items("NODE", 3, "node")  # kept on the shelf
    tree_nodes = _items("TNODE", 3, "node")  # never on the shelf: made by child orders
    parts = _items("PART", 15)
    for group in (nodes, tree_nodes):
        for k, node in enumerate(group):
            _bom(node, parts[5 * k:5 * k + 5], "2")
            _routing(node, wc_id)
    _bom(robot_on_shelf, nodes, "1")
    _bom(robot_from_parts, tree_nodes, "1")
    for robot in (robot_on_shelf, robot_from_parts):
        _routing(robot, wc_id)
    trees = max(n // 10, 5)
    _receive(wh, nodes, 2 * n + 20)  # the robots that find their nodes on the shelf
    _receive(wh, parts, 2 * trees + 20)
    return {"wh": wh, "robot": robot_on_shelf, "robot_tree": robot_from_parts, "trees": trees}


def _order(item_id: int, wh: int) -> int:
    from app.extensions import db
    from app.services.production import OrderInput, create_order

    return create_order(db.session, OrderInput(item_id, "1", wh, order_date=DAY)).id


def _timed(fn) -> tuple[float, float]:
    c0, t0 = time.process_time(), time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000.0, (time.process_time() - c0) * 1000.0


def w3(out: PhaseOutput, n: int) -> None:
    from app.extensions import db
    from app.services.base import Actor, acting_as
    from app.services.production import complete_order, release_order
    from app.services.stock.verify import verify_stock

    s = seed_w3(n)
    peer = peers.get(out.backend, "W3")
    source = peers.source(out.backend, "W3")
    with acting_as(Actor(None, ACTOR_NAME)):
        released = []
        for _ in range(n):
            oid = _order(s["robot"], s["wh"])
            release_order(db.session, oid)
            released.append(oid)
        db.session.expunge_all()
        times = [_timed(lambda oid=oid: complete_order(db.session, oid, "1", DAY)) for oid in released]
        wall, cpu = statistics.median(t[0] for t in times), statistics.median(t[1] for t in times)
        out.add(Result("W3 complete a released order: issue 3 nodes from FIFO lots, receive the robot at cost",
                       f"median of {n}", wall, MS, peer, f"{source}: create + assign + run + done",
                       f"< {GOAL_COMPLETE_MS:g} ms", wall < GOAL_COMPLETE_MS, "complete_order()", ours_cpu=cpu))

        def one() -> None:
            oid = _order(s["robot"], s["wh"])
            release_order(db.session, oid)
            complete_order(db.session, oid, "1", DAY)

        t = median_ms(one, max(n // 4, 10), warmup=2)
        out.add(Result("W3 per production: create + release + complete (3 nodes from FIFO lots)",
                       f"median of {max(n // 4, 10)}", t.wall, MS, peer, f"{source}: per production",
                       f">= {peers.W3_GOAL_X}x Tryton", bool(peer) and t.wall * peers.W3_GOAL_X <= (peer or 0),
                       note="create_order + release_order + complete_order", ours_cpu=t.cpu))

        def tree() -> None:
            oid = _order(s["robot_tree"], s["wh"])
            children = [(c.id, c.qty) for c in release_order(db.session, oid).children]
            assert len(children) == 3
            for child_id, qty in children:
                complete_order(db.session, child_id, qty, DAY)
            complete_order(db.session, oid, "1", DAY)

        t = median_ms(tree, s["trees"] - 2, warmup=2)
        out.add(Result("W3 whole 3-level tree: release (3 child orders) + 3 node completions + robot",
                       f"median of {s['trees'] - 2}, 4 productions each", t.wall / 4, MS, peer,
                       f"{source}: per production",
                       note=f"{t.wall:.1f} ms per tree", ours_cpu=t.cpu / 4))
        out.notes.append("W3 statements per use case: " + statements_per_use_case(s))
    problems = verify_stock(db.session)
    out.notes.append(f"W3: verify_stock after the run: {len(problems)} differences")


def statements_per_use_case(s: dict) -> str:
    """SQL statements of one robot order's create, release and complete (nodes on the shelf)."""
    from app.extensions import db
    from app.services.production import complete_order, release_order
    from bench import sqlcount

    with sqlcount.statements() as created:
        oid = _order(s["robot"], s["wh"])
    with sqlcount.statements() as released:
        release_order(db.session, oid)
    with sqlcount.statements() as completed:
        complete_order(db.session, oid, "1", DAY)
    return (f"create_order {len(created)}, release_order {len(released)}, complete_order {len(completed)} "
            f"(complete: {sqlcount.summary(completed, 3)})")


# --- W5: explosion -----------------------------------------------------------------------------


def seed_w5(fanout: tuple[int, ...] = (2, 2, 2, 2), parts: int = 1000) -> int:
    """A 5-level BOM: root -> 2 -> 4 -> 8 -> 16 nodes, the 16 sharing out 1,000 distinct parts."""
    from app.extensions import db
    from app.models.production import Bom, BomLine

    level = _items("X5ROOT", 1, "product")
    root = level[0]
    boms = []
    for k, width in enumerate(fanout):
        children = _items(f"X5L{k + 1}", len(level) * width, "node")
        for i, parent in enumerate(level):
            kids = children[i * width:(i + 1) * width]
            boms.append(Bom(item_id=parent, version="1", output_qty=Decimal(1), lines=[
                BomLine(line_no=n + 1, item_id=c, qty=Decimal("1.5"), scrap_pct=Decimal("2")) for n, c in
                enumerate(kids)]))
        level = children
    leaves = _items("X5P", parts)
    per = -(-parts // len(level))
    for i, parent in enumerate(level):
        chunk = leaves[i * per:(i + 1) * per]
        boms.append(Bom(item_id=parent, version="1", output_qty=Decimal(2), lines=[
            BomLine(line_no=n + 1, item_id=c, qty=Decimal(n % 5 + 1), scrap_pct=Decimal(n % 3)) for n, c in
            enumerate(chunk)]))
    db.session.add_all(boms)
    db.session.commit()
    db.session.expunge_all()
    return root


def w5(out: PhaseOutput, reps: int = 30) -> None:
    from app.domain.bom import explode
    from app.extensions import db
    from app.services.production import explode_bom
    from app.services.production.engineering import load_book

    root = seed_w5()
    ex = explode_bom(db.session, root, Decimal(3))
    assert len(ex.leaves()) == 1000 and ex.depth == 5, (len(ex.leaves()), ex.depth)

    def service() -> None:
        explode_bom(db.session, root, Decimal(3))
        db.session.rollback()  # a read: end it as a page would

    t = median_ms(service, reps, warmup=3)
    out.add(Result("W5 explode a 5-level BOM, 1,000 distinct parts (load the BOMs in force + explode)",
                   f"median of {reps}, {len(ex.rows)} rows", t.wall, MS, None, goal=f"< {GOAL_EXPLODE_MS:g} ms",
                   goal_ok=t.wall < GOAL_EXPLODE_MS, note="explode_bom()", ours_cpu=t.cpu))
    book = load_book(db.session, root)
    db.session.rollback()
    t = median_ms(lambda: explode(book, root, Decimal(3)), reps * 3, warmup=3)
    out.add(Result("W5 the same explosion, pure domain (BOMs already loaded)", f"median of {reps * 3}", t.wall, MS,
                   None, goal=f"< {GOAL_EXPLODE_MS:g} ms", goal_ok=t.wall < GOAL_EXPLODE_MS,
                   note="app.domain.bom.explode", ours_cpu=t.cpu))


def run_phase(pg_url: str | None = None, n: int = 200) -> dict:
    """Phase 'production': W3 and W5 on one fresh database; returns PhaseOutput's fields."""
    from bench.harness import backend_name, fresh_app, load_average

    out = PhaseOutput(backend_name(pg_url))
    with fresh_app(pg_url):
        out.notes.append(f"production phase starts at load average {load_average()}")
        w3(out, n)
        w5(out)
        out.notes.append(f"production phase ends at load average {load_average()}")
    return out.__dict__


def main(argv: list[str] | None = None) -> int:
    from bench.harness import standalone_main

    return standalone_main("production", __doc__, run_phase, 200, "robot orders completed in W3 (default 200)", argv)


if __name__ == "__main__":
    sys.exit(main())
