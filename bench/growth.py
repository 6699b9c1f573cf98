"""W2 / W2b: the reads as the ledger grows from 10k to 100k to 1M rows (phase 'ledger').

The ledger is grown by bench.synth (bulk, consistent); at the first size verify_stock checks the
caches against the facts, and a real receipt and issue are posted through the services on top of
the synthetic lots, to show the engine takes the bulk data as its own. Then, at every size, the
same reads are timed: on hand per warehouse, the item card (first and last page, a fast mover and
a typical item), the stock list, and the pages through the Flask test client where they exist.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.models.stock import StockBalance, StockLot, StockMove
from app.services.base import acting_as
from app.services.stock import DocumentInput, LineInput, create_document, post_document
from app.services.stock.verify import verify_stock
from bench import peers, reads, seed, sqlcount
from bench.harness import MS, SECONDS, PhaseOutput, Result, Timed, median_ms
from bench.posting import ACTOR
from bench.synth import MOVES_PER_DAY, START, LedgerSynth, _Lot

ITEMS = 1_000
TYPICAL_RANK = 100  # Zipf rank of the "typical" item: about 0.1% of the moves


def _fmt(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 and n % 1_000_000 == 0 else (
        f"{n // 1000}k" if n % 1000 == 0 else f"{n:,}")


def _resync(synth: LedgerSynth, item_id: int, wh_id: int) -> None:
    """Reload one key's FIFO state from the database after the services posted on it."""
    session = db.session
    lots = session.execute(
        select(StockLot.id, StockLot.qty_remaining, StockLot.value_remaining, StockLot.unit_cost)
        .where(StockLot.item_id == item_id, StockLot.warehouse_id == wh_id, StockLot.qty_remaining > 0)
        .order_by(StockLot.received_on, StockLot.id)).all()
    bal = session.execute(select(StockBalance.qty, StockBalance.value).where(
        StockBalance.item_id == item_id, StockBalance.warehouse_id == wh_id)).one()
    session.rollback()
    k = synth.keys[(item_id, wh_id)]
    k.lots = deque(_Lot(i, int(q), int(v * 100), int(c * 100)) for i, q, v, c in lots)
    k.qty, k.value = int(bal.qty), int(bal.value * 100)
    k.moves += 2


def _post_on_top(synth: LedgerSynth, out: PhaseOutput, item_id: int, wh_id: int) -> None:
    """A receipt and an issue through the services on the synthetic lots, then verify again."""
    day = START + timedelta(days=synth.count // MOVES_PER_DAY)
    session = db.session
    take = synth.keys[(item_id, wh_id)].qty + 3  # more than the synthetic stock: spans old lots and the new one
    with acting_as(ACTOR):
        receipt = DocumentInput("receipt", wh_id, day, [LineInput(item_id, "10", unit_cost="12.34")])
        post_document(session, create_document(session, receipt).id)
        issue = DocumentInput("issue", wh_id, day, [LineInput(item_id, str(take))], reason="bench")
        post_document(session, create_document(session, issue).id)
    session.commit()
    _resync(synth, item_id, wh_id)
    problems = verify_stock(session)
    session.rollback()
    out.notes.append(f"W2 build: a receipt and an issue of {take} units posted through the services on the "
                     f"synthetic lots of the fastest item; verify_stock then: {len(problems)} differences")


@dataclass(frozen=True)
class Timing:
    """One read at one ledger size: a name stable across sizes, what it touched, how it ran."""

    name: str
    t: Timed
    source: str
    detail: str = ""


class Reads:
    """The timed reads, bound to one session and app; each timed call is its own transaction."""

    def __init__(self, app, main: int, items: list[int]) -> None:
        self.app, self.main, self.items = app, main, items
        self.session = db.session
        self.client = None
        self.rules = reads.rules(app)

    def _tx(self, fn):
        def run() -> None:
            fn()
            self.session.rollback()
        return run

    def _time(self, name: str, fn, reps: int, source: str, detail: str = "") -> Timing:
        return Timing(name, median_ms(self._tx(fn), reps), source, detail)

    def queries(self, synth: LedgerSynth) -> list[Timing]:
        s, hot, typical = self.session, self.items[0], self.items[TYPICAL_RANK - 1]
        on_hand, page = reads.on_hand(s, self.main), reads.on_hand_page(s, self.main)
        items = f"{ITEMS:,} items"
        out = [self._time("W2 on hand, all items of one warehouse", on_hand.fn, 100, on_hand.source, items)]
        if page is not None:
            out.append(self._time("W2 on hand, first page of 50", page.fn, 100, page.source, items))
        out.append(self._time("W2 on hand SQL floor", lambda: reads.on_hand_sql(s, self.main), 100,
                              "balance JOIN item, one warehouse, bench/reads.py", items))
        out.append(self._time("W2b stock list SQL (count + first page of 50)", reads.stock_list_sql(s), 100,
                              "bench/reads.py"))
        for label, item in (("fast mover", hot), ("typical item", typical)):
            n = synth.key_moves(item, self.main)
            reps = 15 if n > 20_000 else 50
            for page, last in (("first page", False), ("last page", True)):
                card = reads.item_card(s, item, self.main, last)
                out.append(self._time(f"W2b item card, {label}, {page}", card.fn, reps, card.source,
                                      f"{n:,} moves of the item"))
                if card.source.startswith("service"):
                    out.append(self._time(f"W2b item card SQL floor, {label}, {page}",
                                          reads.item_card_sql(s, item, self.main, last), reps,
                                          "count + SUM() OVER (ORDER BY move_date, id) + LIMIT/OFFSET 50, "
                                          "bench/reads.py", f"{n:,} moves of the item"))
        return out

    def pages(self, synth: LedgerSynth) -> list[Timing]:
        """The pages that exist in app.url_map now, through the Flask test client as Admin."""
        if self.client is None:
            self.client = reads.login_admin(self.app)
        hot = self.items[0]
        pages: list[tuple[str, str]] = [
            ("W2b page stock on hand list /stockbalanceview/list/", "/stockbalanceview/list/"),
            ("W2b page on-hand report /stock/on-hand/, one warehouse", f"/stock/on-hand/?warehouse={self.main}"),
            ("W2b page stock ledger /stockmoveview/list/ filtered to the fast mover",
             f"/stockmoveview/list/?_flt_0_item={hot}&_flt_0_warehouse={self.main}"),
        ]
        pages = [(name, url) for name, url in pages if url.split("?")[0] in self.rules]
        details = {"fast mover": "", "typical item": ""}
        for label, rank in (("fast mover", 1), ("typical item", TYPICAL_RANK)):
            item = self.items[rank - 1]
            card = reads.item_card_url(self.app, item, self.main)
            if card:
                last = -(-synth.key_moves(item, self.main) // reads.PAGE)
                pages += [(f"W2b page item card, {label}, first page", card),
                          (f"W2b page item card, {label}, last page", f"{card}&page={last}")]
            details[label] = f"{synth.key_moves(item, self.main):,} moves of the item"
        out = []
        for name, url in pages:
            expect = seed.item_code("L", 1 if "fast mover" in name else TYPICAL_RANK) if "card" in name else None
            get = reads.http_get(self.client, url, expect)
            t = median_ms(get, 15)
            with sqlcount.statements() as log:
                get()
            detail = next((d for label, d in details.items() if label in name), "")
            out.append(Timing(name, t, f"Flask test client, Admin: {url}; {sqlcount.summary(log, 2)}", detail))
        self.session.rollback()
        return out


def _grow(synth: LedgerSynth, target: int) -> tuple[int, float, int]:
    """Grow the ledger to `target` moves; return (moves now, seconds, rows inserted)."""
    db.session.commit()
    with db.engine.begin() as conn:
        have = conn.scalar(select(func.count()).select_from(StockMove))
        synth.start_after(conn)
        with synth.bulk_session(conn):
            stats = synth.grow(conn, max(target - have, 0))
        synth.after_load(conn)
    with db.engine.connect() as conn:
        now = conn.scalar(select(func.count()).select_from(StockMove))
    return now, stats.seconds, stats.rows


def run_phase(pg_url: str | None, sizes: list[int], http: bool = True) -> dict:
    """Phase 'ledger': W2 and W2b at each size of the ledger, on one fresh database."""
    from flask import current_app

    from bench.harness import backend_name, fresh_app, load_average

    out = PhaseOutput(backend_name(pg_url))
    with fresh_app(pg_url):
        out.notes.append(f"ledger phase starts at load average {load_average()}")
        app = current_app._get_current_object()
        items = seed.item_ids("L", ITEMS)
        main, second = seed.warehouse_id("MAIN"), seed.warehouse_id("SECOND")
        synth = LedgerSynth(items, (main, second))
        bench_reads = Reads(app, main, items)
        series: dict[str, dict[str, float]] = {}
        sources: dict[str, str] = {}
        build_total = 0.0
        for n, target in enumerate(sizes):
            moves, secs, rows = _grow(synth, target)
            build_total += secs
            out.notes.append(f"W2 build to {moves:,} ledger rows: {rows:,} rows (moves + lots + consumption) "
                             f"inserted in {secs:.1f} s ({rows / max(secs, 1e-9):,.0f} rows/s)")
            if n == 0:
                problems = verify_stock(db.session)
                db.session.rollback()
                out.notes.append(f"W2 build: verify_stock at {moves:,} rows: {len(problems)} differences")
                _post_on_top(synth, out, items[0], main)
            timings = bench_reads.queries(synth) + (bench_reads.pages(synth) if http else [])
            size = _fmt(target)
            for t in timings:
                series.setdefault(t.name, {})[size] = t.t.wall
                sources[t.name] = t.source
                _add_result(out, t, moves, target == sizes[-1])
        out.growth = [{"query": k, "source": sources[k], **v} for k, v in series.items()]
        out.notes.append(f"W2 build total: {build_total:.1f} s to reach {sizes[-1]:,} ledger rows")
        out.notes.append(f"ledger phase ends at load average {load_average()}")
        out.add(Result("W2 build of the synthetic ledger (bulk insert)", f"{_fmt(sizes[-1])} rows", build_total,
                       SECONDS, note="bench/synth.py: moves + lots + consumption + balances, executemany"))
    return out.__dict__


def _add_result(out: PhaseOutput, t: Timing, moves: int, last: bool) -> None:
    """Every size for on hand (its goal is flatness); the largest size only for the W2b reads."""
    if "floor" in t.name:
        return  # growth table only: the SQL under a service, to show what the service adds
    size = f"{moves:,} ledger rows" + (f"; {t.detail}" if t.detail else "")
    if t.name.startswith("W2 on hand"):
        all_items = "all items" in t.name  # Tryton's figure is for all products: no peer for one page
        peer, note = peers.w2_at(out.backend, moves) if all_items else (None, "")
        out.add(Result(t.name, size, t.t.wall, MS, peer, peer_note=note, goal="<= 5 ms", goal_ok=t.t.wall <= 5.0,
                       note=t.source, ours_cpu=t.t.cpu))
    elif last:
        out.add(Result(t.name, size, t.t.wall, MS, goal="< 300 ms", goal_ok=t.t.wall < 300.0, note=t.source,
                       ours_cpu=t.t.cpu))
