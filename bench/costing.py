"""Phase 'costing': a landed cost on a receipt whose lot reached 10,000 downstream moves, in a big ledger.

    python -m bench.costing                  # SQLite, 1,000,000 background ledger moves
    python -m bench.costing --pg URL         # the same on a throwaway PostgreSQL database
    python -m bench.costing --n 100000       # a smaller ledger

The background ledger is bench/synth.py's (receipts, FIFO issues with their lot consumption, caches
consistent). The receipt is posted through the services (10,000 units in one lot); its downstream is
bulk-inserted as the posting engine writes it: 7,000 write-offs of one unit, a transfer of 2,000 to
the second warehouse (a destination lot) then 2,000 write-offs from there, a production receipt
that consumed 1,000 (its product's lot) then 1,000 write-offs of the product: 10,002 moves over three
levels. Measured: the impact preview and the posting of a freight correction on that receipt.
Goal: each < 2 s. The preview's totals must equal what the posting wrote (checked).
"""

from __future__ import annotations

import gc
import sys
import time
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select, update

from app.extensions import db
from bench import seed
from bench.harness import SECONDS, PhaseOutput, Result, backend_name, fresh_app, load_average

GOAL_S = 2.0
D = Decimal


def _next_ids(session) -> dict[str, int]:
    from app.models.stock import StockLot, StockMove

    return {"move": (session.scalar(select(func.max(StockMove.id))) or 0) + 1,
            "lot": (session.scalar(select(func.max(StockLot.id))) or 0) + 1}


def _move(mid: int, item: int, wh: int, day: date, qty: int, value: D, lot, kind: str, doc_type: str) -> dict:
    return {"id": mid, "move_date": day, "created_at": None, "item_id": item, "warehouse_id": wh, "lot_id": lot,
            "qty": D(qty), "value": value, "revaluation": D(0), "kind": kind, "doc_type": doc_type, "doc_id": mid,
            "doc_number": f"B-{mid}", "doc_line_id": None, "reversal_of_id": None, "username": "bench"}


def _downstream(session, lot_id: int, item: int, product: int, main: int, second: int, day: date) -> int:
    """Bulk-insert the receipt lot's consumers (see the module's docstring); returns the move count."""
    from app.models.base import utcnow
    from app.models.stock import LotConsumption, StockBalance, StockLot, StockMove
    from bench.synth import bulk_insert

    ids = _next_ids(session)
    mid, lid = ids["move"], ids["lot"]
    moves, cons, lots = [], [], []
    unit = D("10.0000")

    def issue(from_lot: int, it: int, wh: int, n: int, on: date) -> None:
        nonlocal mid
        for _ in range(n):
            moves.append(_move(mid, it, wh, on, -1, -unit, None, "issue", "issue"))
            cons.append({"move_id": mid, "lot_id": from_lot, "qty": D(1), "value": unit})
            mid += 1

    issue(lot_id, item, main, 7000, day + timedelta(days=1))
    # a transfer of 2,000: out of the receipt's lot, into a destination lot in the second warehouse
    t_doc = mid
    moves.append(_move(mid, item, main, day + timedelta(days=2), -2000, -2000 * unit, None, "transfer", "transfer"))
    cons.append({"move_id": mid, "lot_id": lot_id, "qty": D(2000), "value": 2000 * unit})
    mid += 1
    dest = lid
    lid += 1
    lots.append({"id": dest, "item_id": item, "warehouse_id": second, "received_on": day, "code": "TR",
                 "qty": D(2000), "value": 2000 * unit, "unit_cost": unit, "qty_remaining": D(0),
                 "value_remaining": D(0), "origin_lot_id": lot_id, "doc_type": "transfer", "doc_id": t_doc,
                 "doc_number": f"B-{t_doc}"})
    moves.append({**_move(mid, item, second, day + timedelta(days=2), 2000, 2000 * unit, dest, "transfer_in",
                          "transfer"), "doc_id": t_doc, "doc_number": f"B-{t_doc}"})
    mid += 1
    issue(dest, item, second, 2000, day + timedelta(days=3))
    # a production receipt that consumed 1,000: the product's lot, then its write-offs
    p_doc = mid
    moves.append(_move(mid, item, main, day + timedelta(days=4), -1000, -1000 * unit, None, "production_issue",
                       "production"))
    cons.append({"move_id": mid, "lot_id": lot_id, "qty": D(1000), "value": 1000 * unit})
    mid += 1
    made = lid
    lots.append({"id": made, "item_id": product, "warehouse_id": main, "received_on": day + timedelta(days=4),
                 "code": "MR", "qty": D(1000), "value": 1000 * unit, "unit_cost": unit, "qty_remaining": D(0),
                 "value_remaining": D(0), "origin_lot_id": None, "doc_type": "production", "doc_id": p_doc,
                 "doc_number": f"B-{p_doc}"})
    moves.append({**_move(mid, product, main, day + timedelta(days=4), 1000, 1000 * unit, made, "production_output",
                          "production"), "doc_id": p_doc, "doc_number": f"B-{p_doc}"})
    mid += 1
    issue(made, product, main, 1000, day + timedelta(days=5))
    created = utcnow()
    for m in moves:
        m["created_at"] = created
    conn = session.connection()
    bulk_insert(conn, StockLot.__table__, lots)
    bulk_insert(conn, StockMove.__table__, moves)
    bulk_insert(conn, LotConsumption.__table__, cons)
    session.execute(update(StockLot).where(StockLot.id == lot_id).values(qty_remaining=D(0), value_remaining=D(0)))
    for it, wh in ((item, main), (item, second), (product, main)):
        q, v = session.execute(select(func.sum(StockMove.qty), func.sum(StockMove.value)).where(
            StockMove.item_id == it, StockMove.warehouse_id == wh)).one()
        session.execute(update(StockBalance).where(StockBalance.item_id == it, StockBalance.warehouse_id == wh)
                        .values(qty=q, value=v))
    session.commit()
    return len(moves) - 1 - 1  # the two arrivals are not consumers


def _receipt(session, item: int, wh: int, day: date):
    from app.services.stock import DocumentInput, LineInput, create_document, post_document

    doc = create_document(session, DocumentInput("receipt", wh, day, [LineInput(item, "10000", unit_cost="10")]))
    return post_document(session, doc.id)


def _balance_rows(session, items: list[int]) -> None:
    """Balance rows for the chain's keys (so the bulk-inserted moves have a cache to update)."""
    from app.services.stock.ledger import lock_balances

    lock_balances(session, set(items))
    session.commit()


def run_phase(pg_url: str | None, n: int = 1_000_000) -> dict:
    from app.models.costing import CostImpact
    from app.models.stock import LotConsumption, StockLot, StockMove
    from app.services.base import SYSTEM, acting_as
    from app.services.costing.corrections import CorrectionInput, create_correction, post_correction, preview_correction
    from bench.synth import LedgerSynth

    out = PhaseOutput(backend_name(pg_url))
    with fresh_app(pg_url), acting_as(SYSTEM):
        out.notes.append(f"costing phase starts at load average {load_average()}")
        items = seed.item_ids("SYN", 500)
        main, second = seed.warehouse_id("CMAIN"), seed.warehouse_id("CSECOND")
        t0 = time.perf_counter()
        synth = LedgerSynth(items, (main, second))
        db.session.commit()
        with db.engine.begin() as conn:
            synth.start_after(conn)
            with synth.bulk_session(conn):
                synth.grow(conn, n)
            synth.after_load(conn)
        built = time.perf_counter() - t0
        # the synthesizer's lot queues (millions of small objects) are the bench's, not the posting's:
        # left alive, every garbage collection during the measured walk scanned them (1.3 s of 2 s CPU)
        del synth
        gc.collect()
        target, product = seed.item_ids("CHAIN", 2)
        day = date(2030, 1, 1)  # after the synthetic history
        _balance_rows(db.session, [(target, main), (target, second), (product, main)])
        receipt = _receipt(db.session, target, main, day)
        lot_id = db.session.scalar(select(StockLot.id).where(  # synthetic lots reuse doc ids: the number too
            StockLot.doc_id == receipt.id, StockLot.doc_type == "receipt", StockLot.doc_number == receipt.number))
        downstream = _downstream(db.session, lot_id, target, product, main, second, day)
        counts = {m.__tablename__: db.session.scalar(select(func.count()).select_from(m))
                  for m in (StockMove, LotConsumption, StockLot)}
        total = sum(counts.values())
        out.notes.append(f"costing: ledger built in {built:.0f} s: {counts['stock_move']:,} moves, "
                         f"{counts['lot_consumption']:,} consumption rows, {counts['stock_lot']:,} lots "
                         f"({total:,} rows); the receipt's lot reached {downstream:,} downstream moves")
        corr = create_correction(db.session, CorrectionInput([receipt.id], "12345.67", "qty", "landed",
                                                             day + timedelta(days=10), description="Freight"))
        db.session.commit()
        t0, c0 = time.perf_counter(), time.process_time()
        plan = preview_correction(db.session, corr.id)
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        db.session.rollback()
        size = f"{counts['stock_move']:,} moves, {downstream:,} downstream"
        out.add(Result("landed cost: impact preview", size, elapsed, SECONDS, goal=f"< {GOAL_S:.0f} s",
                       goal_ok=elapsed < GOAL_S, ours_cpu=cpu, note=f"{len(plan.impacts):,} impact lines"))
        assert len(plan.impacts) >= downstream, f"the walk missed the chain: {plan.totals()}"
        t0, c0 = time.perf_counter(), time.process_time()
        post_correction(db.session, corr.id)
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
        written = dict(db.session.execute(select(CostImpact.target, func.sum(CostImpact.amount))
                                          .where(CostImpact.source_id == corr.id).group_by(CostImpact.target)).all())
        same = {k: v for k, v in written.items()} == plan.totals()
        out.add(Result("landed cost: posting (value-only moves, caches)", size, elapsed, SECONDS,
                       goal=f"< {GOAL_S:.0f} s", goal_ok=elapsed < GOAL_S, ours_cpu=cpu,
                       note=f"preview totals == posted: {same}"))
        assert same, (written, plan.totals())
        out.notes.append(f"costing phase ends at load average {load_average()}")
    return out.__dict__


def main(argv: list[str] | None = None) -> int:
    from bench.harness import standalone_main

    return standalone_main("costing", __doc__, run_phase, 1_000_000, "background ledger moves (default 1,000,000)",
                           argv)


if __name__ == "__main__":
    sys.exit(main())
