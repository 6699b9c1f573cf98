"""The write side: W0 (empty transaction), W1 (one document per transaction), W1b (1,000 lines).

Everything goes through the public services (create_document, post_document), exactly as the
views, the API and tests/factories.py do, so the figures include validation, numbering, the audit
log, locking and the caches: the whole cost a user waits for. Create and post are timed apart so a
regression can be placed, and together for the comparison with Tryton's "create + post" run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from app.extensions import db
from app.services.base import Actor, acting_as
from app.services.stock import DocumentInput, LineInput, create_and_post_document, create_document, post_document
from app.services.stock.verify import verify_stock
from bench import peers, reads, seed, sqlcount
from bench.harness import MS, SECONDS, THROUGHPUT, PhaseOutput, Result, Stopwatch, median_ms

ACTOR = Actor(None, "bench")
W1_ITEMS = 50
W1B_LINES = 1_000


@dataclass(frozen=True)
class Line:
    item_id: int
    qty: int
    unit_cost: str | None = None


def w1_plan(item_ids: list[int], receipts: int, issues: int, seed_: int = 2026) -> tuple[list[Line], list[Line]]:
    """Receipts spread evenly over the items, then FIFO issues that always fit the stock."""
    rng = random.Random(seed_)
    ins = [Line(item_ids[n % len(item_ids)], rng.randint(5, 60), f"{rng.randint(100, 99_999) / 100:.2f}")
           for n in range(receipts)]
    stock = {i: 0 for i in item_ids}
    for ln in ins:
        stock[ln.item_id] += ln.qty
    outs = []
    while len(outs) < issues:
        item = rng.choice(item_ids)
        qty = rng.randint(1, 40)
        if stock[item] >= qty:
            stock[item] -= qty
            outs.append(Line(item, qty))
    return ins, outs


def _doc(doc_type: str, wh_id: int, on: date, lines: list[Line]) -> DocumentInput:
    return DocumentInput(
        doc_type=doc_type, warehouse_id=wh_id, doc_date=on,
        lines=[LineInput(ln.item_id, str(ln.qty), unit_cost=ln.unit_cost) for ln in lines],
        reason="bench" if doc_type == "issue" else "",
    )


def post_one_by_one(wh_id: int, doc_type: str, lines: list[Line], start: date) -> tuple[Stopwatch, Stopwatch]:
    """Create and post one document per line; return the (create, post) stopwatches."""
    create_t, post_t = Stopwatch(), Stopwatch()
    session = db.session
    for n, ln in enumerate(lines):
        data = _doc(doc_type, wh_id, start + timedelta(days=n // 100), [ln])
        with create_t():
            doc_id = create_document(session, data).id
        with post_t():
            post_document(session, doc_id)
    return create_t, post_t


def post_together(wh_id: int, doc_type: str, lines: list[Line], start: date) -> Stopwatch:
    """Create and post one document per line with the one use case (create_and_post_document)."""
    watch = Stopwatch()
    session = db.session
    for n, ln in enumerate(lines):
        data = _doc(doc_type, wh_id, start + timedelta(days=n // 100), [ln])
        with watch():
            create_and_post_document(session, data)
    return watch


def _rate(moves: int, *watches: Stopwatch) -> tuple[float, float]:
    """moves/s on wall time and on CPU time."""
    return moves / sum(w.seconds for w in watches), moves / sum(w.cpu for w in watches)


def w0(out: PhaseOutput, reps: int) -> None:
    session = db.session

    def empty() -> None:
        session.connection()  # begins the read-write transaction (BEGIN IMMEDIATE on SQLite)
        session.commit()

    t = median_ms(empty, reps, warmup=20)
    out.add(Result("W0 empty read-write transaction (begin + commit)", f"median of {reps}", t.wall, MS,
                   peers.get(out.backend, "W0"), peers.note(out.backend, "W0"),
                   note="db.session.connection() + commit()", ours_cpu=t.cpu))


def _throughput(out: PhaseOutput, name: str, size: str, moves: int, watches: tuple, peer_key: str,
                note: str = "") -> Result:
    wall, cpu = _rate(moves, *watches)
    return out.add(Result(name, size, wall, THROUGHPUT, peers.get(out.backend, peer_key),
                          peers.note(out.backend, peer_key), note=note, ours_cpu=cpu))


def w1(out: PhaseOutput, receipts: int, issues: int) -> tuple[int, list[int]]:
    """2,000 receipts over 50 items, then ~2,000 FIFO issues, one transaction per document."""
    wh_id = seed.warehouse_id("W1")
    item_ids = seed.item_ids("W1", W1_ITEMS)
    ins, outs = w1_plan(item_ids, receipts, issues)
    with acting_as(ACTOR):
        c_in, p_in = post_one_by_one(wh_id, "receipt", ins, date(2026, 1, 5))
        c_out, p_out = post_one_by_one(wh_id, "issue", outs, date(2026, 3, 1))
    size_in, size_out = f"{len(ins):,} moves, {W1_ITEMS} items", f"{len(outs):,} moves"
    _throughput(out, "W1 receipts, create + post, 1 tx each", size_in, len(ins), (c_in, p_in), "W1 in")
    _throughput(out, "W1 FIFO issues, create + post, 1 tx each", size_out, len(outs), (c_out, p_out), "W1 out")
    whole = _throughput(out, "W1 whole run, create + post, in + out", f"{len(ins) + len(outs):,} moves",
                        len(ins) + len(outs), (c_in, p_in, c_out, p_out), "W1 whole")
    whole.goal = f">= {peers.W1_GOAL_X}x Tryton"
    whole.goal_ok = bool(whole.peer) and whole.ours >= peers.W1_GOAL_X * (whole.peer or 0)
    out.results[-1] = whole.as_dict()
    _throughput(out, "W1 receipts, post only (create excluded)", size_in, len(ins), (p_in,), "W1 in",
                "post_document alone")
    _throughput(out, "W1 FIFO issues, post only (create excluded)", size_out, len(outs), (p_out,), "W1 out",
                "post_document alone")
    w1_together(out, receipts, issues)
    out.notes += ["W1 " + line for line in statements_per_call(wh_id, item_ids)]
    problems = verify_stock(db.session)
    db.session.rollback()
    out.notes.append(f"W1: verify_stock after {len(ins) + len(outs):,} posted moves: "
                     f"{len(problems)} differences (caches equal the ledger)" if not problems else
                     f"W1: verify_stock found {len(problems)} differences, e.g. {problems[0]}")
    return wh_id, item_ids


def w1_together(out: PhaseOutput, receipts: int, issues: int) -> None:
    """The same plan in another warehouse through create_and_post_document: one use case per document
    (one transaction, the draft not read back, one audit insert), as the API's create with "post"."""
    wh_id = seed.warehouse_id("W1T")
    item_ids = seed.item_ids("W1T", W1_ITEMS)
    ins, outs = w1_plan(item_ids, receipts, issues)
    with acting_as(ACTOR):
        t_in = post_together(wh_id, "receipt", ins, date(2026, 1, 5))
        t_out = post_together(wh_id, "issue", outs, date(2026, 3, 1))
    whole = _throughput(out, "W1 whole run, create_and_post_document, in + out", f"{len(ins) + len(outs):,} moves",
                        len(ins) + len(outs), (t_in, t_out), "W1 whole",
                        note="one use case per document: " + statements_together(wh_id, item_ids))
    whole.goal = f">= {peers.W1_GOAL_X}x Tryton"
    whole.goal_ok = bool(whole.peer) and whole.ours >= peers.W1_GOAL_X * (whole.peer or 0)
    out.results[-1] = whole.as_dict()
    docs = len(ins) + len(outs)
    wall_ms, cpu_ms = (1000 * (t_in.seconds + t_out.seconds) / docs, 1000 * (t_in.cpu + t_out.cpu) / docs)
    out.notes.append(f"W1 create_and_post_document per document: {wall_ms:.3f} ms wall, {cpu_ms:.3f} ms CPU; the "
                     f"{wall_ms - cpu_ms:.3f} ms between them is waiting: on SQLite the disk (WAL checkpoints run in "
                     "a thread once a second, app/database.py), and other processes when the load average exceeds "
                     "the cores")


def statements_together(wh_id: int, item_ids: list[int]) -> str:
    """SQL statements of one create_and_post_document of a one-line receipt and issue."""
    ins, outs = w1_plan(item_ids, 1, 1, seed_=98)
    counts = []
    with acting_as(ACTOR):
        for doc_type, plan in (("receipt", ins), ("issue", outs)):
            with sqlcount.statements() as log:
                create_and_post_document(db.session, _doc(doc_type, wh_id, date(2026, 9, 1), plan))
            counts.append(f"{doc_type} {len(log)} statements")
    return ", ".join(counts)


def statements_per_call(wh_id: int, item_ids: list[int]) -> list[str]:
    """SQL statements sent by one create and one post of a one-line receipt and issue."""
    ins, outs = w1_plan(item_ids, 1, 1, seed_=99)
    lines = []
    with acting_as(ACTOR):
        for doc_type, plan in (("receipt", ins), ("issue", outs)):
            with sqlcount.statements() as created:
                doc_id = create_document(db.session, _doc(doc_type, wh_id, date(2026, 9, 1), plan)).id
            with sqlcount.statements() as posted:
                post_document(db.session, doc_id)
            lines.append(f"{doc_type}: create_document sends {len(created)} statements, post_document "
                         f"{len(posted)}: " + "; ".join(sqlcount.head(s, 40) for s in posted))
    return lines


def w2_small(out: PhaseOutput, wh_id: int, moves: int, reps: int) -> None:
    """On hand of the 50 W1 items: the same shape as Tryton's 50 products at ~4,400 moves."""
    session = db.session
    read = reads.on_hand(session, wh_id)

    def run() -> None:
        read.fn()
        session.rollback()

    t = median_ms(run, reps)
    out.add(Result("W2 on hand, all items of one warehouse", f"{W1_ITEMS} items, {moves:,} moves", t.wall, MS,
                   peers.get(out.backend, "W2 4k"), peers.note(out.backend, "W2 4k"), goal="<= 5 ms",
                   goal_ok=t.wall <= 5.0, note=read.source,
                   ours_cpu=t.cpu))


def w1b(out: PhaseOutput) -> None:
    """One receipt of 1,000 lines (1,000 items), then one issue of 1,000 lines taking part of each."""
    wh_id = seed.warehouse_id("W1B")
    item_ids = seed.item_ids("W1B", W1B_LINES)
    rng = random.Random(7)
    ins = [Line(i, rng.randint(20, 200), f"{rng.randint(100, 99_999) / 100:.2f}") for i in item_ids]
    outs = [Line(ln.item_id, rng.randint(1, ln.qty)) for ln in ins]
    session = db.session
    for doc_type, lines, peer_key, goal in (("receipt", ins, "W1b in", 0.5), ("issue", outs, "W1b out", None)):
        create_t, post_t = Stopwatch(), Stopwatch()
        with acting_as(ACTOR):
            with create_t():
                doc_id = create_document(session, _doc(doc_type, wh_id, date(2026, 6, 1), lines)).id
            with post_t(), sqlcount.statements() as log:
                post_document(session, doc_id)
        label = "receipt" if doc_type == "receipt" else "FIFO issue"
        size = f"1 doc, {len(lines):,} lines"
        peer = peers.get(out.backend, peer_key)
        out.add(Result(f"W1b one {label} of {len(lines):,} lines: post", size, post_t.seconds, SECONDS, peer,
                       peer_note=peers.note(out.backend, peer_key, peers.W1B_NOTE), goal=f"< {goal} s" if goal else "",
                       goal_ok=(post_t.seconds < goal) if goal else None, ours_cpu=post_t.cpu,
                       note="post_document sends " + sqlcount.summary(log, 3)))
        out.add(Result(f"W1b one {label} of {len(lines):,} lines: create + post", size,
                       create_t.seconds + post_t.seconds, SECONDS, peer,
                       peer_note=peers.note(out.backend, peer_key, peers.W1B_NOTE),
                       ours_cpu=create_t.cpu + post_t.cpu))
    problems = verify_stock(session)
    session.rollback()
    out.notes.append(f"W1b: verify_stock after the 1,000-line documents: {len(problems)} differences")


def run_phase(pg_url: str | None, receipts: int, issues: int) -> dict:
    """Phase 'posting': W0, W1, W2 at the end of W1, W1b, on one fresh database."""
    from bench.harness import backend_name, fresh_app, load_average

    out = PhaseOutput(backend_name(pg_url))
    with fresh_app(pg_url):
        seed.unit_id()
        out.notes.append(f"posting phase starts at load average {load_average()}")
        w0(out, reps=1000)
        wh_id, _ = w1(out, receipts, issues)
        w2_small(out, wh_id, receipts + issues, reps=200)
        w1b(out)
        out.notes.append(f"posting phase ends at load average {load_average()}")
    return out.__dict__
