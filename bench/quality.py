"""Phase 'quality': the recall list of a component lot through 5 BOM levels on a 1M-row ledger, and
knowledge-base search over 20,000 articles.

    python -m bench.quality                  # SQLite, 1,000,000 ledger rows (moves)
    python -m bench.quality --pg URL         # the same on a throwaway PostgreSQL database
    python -m bench.quality --n 100000       # a smaller ledger

W6 recall: the synthetic ledger of bench/synth.py (receipts, FIFO issues, consumption) is grown to n moves;
on top of it a component lot is made into 5 levels of production (each lot goes into two production
documents of the next level: 10 -> 20 -> 40 -> 80 -> 160 lots) and each finished lot leaves in two
shipments (320). trace_forward must find exactly those lots and quantities; goal < 1 s.

W7 search: 20,000 articles in ru / es built from a vocabulary of trade words in many forms (bulk insert of
the normalised words, then the index is built as ensure_index builds it); 300 queries of one to three
words typed in other forms; p95 of search() and of suggest(); goal p95 < 100 ms.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select

from app.extensions import db
from bench import seed
from bench.harness import MS, SECONDS, PhaseOutput, Result, backend_name, fresh_app, load_average, median_ms
from bench.synth import LedgerSynth, bulk_insert

LEVELS = 5
FIRST = 10  # production documents consuming the component lot
FAN = 2  # documents consuming each lot of the level below, and shipments per finished lot
ARTICLES = 20_000
QUERIES = 300
FILLER = 3000  # made-up words per language

RU = ["деталь", "робот", "процессор", "плата", "двигатель", "колесо", "аккумулятор", "прошивка", "датчик", "ремонт",
      "корпус", "набор", "кабель", "винт", "программа", "гарантия", "заказ", "поставка", "школа", "сборка", "краска",
      "провод", "разъём", "экран", "кнопка", "питание", "зарядка", "контроллер", "мотор", "шасси"]
RU_FORMS = ["детали", "роботы", "процессоров", "платы", "двигателями", "колёса", "аккумуляторы", "прошивки",
            "датчиков", "ремонты", "корпусов", "наборы", "кабелей", "винты", "программы", "гарантии", "заказы",
            "поставки", "школы", "сборки", "краски", "провода", "разъёмы", "экраны", "кнопки", "питания", "зарядки",
            "контроллеры", "моторы", "шасси"]
ES = ["pieza", "robot", "procesador", "placa", "motor", "rueda", "batería", "sensor", "reparación", "garantía",
      "cable", "tornillo", "programa", "pedido", "escuela", "montaje", "pintura", "pantalla", "botón", "cargador"]
ES_FORMS = ["piezas", "robots", "procesadores", "placas", "motores", "ruedas", "baterías", "sensores",
            "reparaciones", "garantías", "cables", "tornillos", "programas", "pedidos", "escuelas", "montajes",
            "pinturas", "pantallas", "botones", "cargadores"]


def _genealogy(n_start: int, items: list[int], wh: int) -> tuple[int, dict]:
    """Insert the 5-level story; return the component lot and what the trace must find."""
    from app.models.stock import LotConsumption, StockLot, StockMove

    moves, lots, cons = [], [], []
    next_move = (db.session.scalar(select(func.max(StockMove.id))) or 0) + 1
    next_lot = (db.session.scalar(select(func.max(StockLot.id))) or 0) + 1
    next_cons = (db.session.scalar(select(func.max(LotConsumption.id))) or 0) + 1
    day, now = date(2026, 6, 1), datetime(2026, 6, 1)
    doc = [n_start]

    def move(item: int, qty: int, lot: int | None, doc_type: str, doc_id: int) -> int:
        nonlocal next_move
        moves.append({"id": next_move, "move_date": day, "created_at": now, "item_id": item, "warehouse_id": wh,
                      "lot_id": lot, "qty": Decimal(qty), "value": Decimal(qty * 10), "revaluation": Decimal(0),
                      "kind": doc_type, "doc_type": doc_type, "doc_id": doc_id, "doc_number": f"Q-{doc_id}",
                      "doc_line_id": None, "reversal_of_id": None, "username": "bench"})
        next_move += 1
        return next_move - 1

    def lot(item: int, qty: int, doc_type: str, doc_id: int) -> int:
        nonlocal next_lot
        lid = next_lot
        next_lot += 1
        lots.append({"id": lid, "item_id": item, "warehouse_id": wh, "received_on": day, "code": f"Q{lid}",
                     "qty": Decimal(qty), "value": Decimal(qty * 10), "unit_cost": Decimal(10),
                     "qty_remaining": Decimal(0), "value_remaining": Decimal(0), "origin_lot_id": None,
                     "doc_type": doc_type, "doc_id": doc_id, "doc_number": f"Q-{doc_id}"})
        move(item, qty, lid, doc_type, doc_id)
        return lid

    def take(lot_id: int, item: int, qty: int, doc_type: str, doc_id: int) -> None:
        nonlocal next_cons
        mid = move(item, -qty, None, doc_type, doc_id)
        cons.append({"id": next_cons, "move_id": mid, "lot_id": lot_id, "qty": Decimal(qty),
                     "value": Decimal(qty * 10)})
        next_cons += 1

    def new_doc() -> int:
        doc[0] += 1
        return doc[0]

    start_qty = FIRST * FAN ** (LEVELS + 1)  # whole units all the way down to the shipments
    start = lot(items[0], start_qty, "receipt", new_doc())
    frontier = [(start, start_qty)]
    expected = {"lots": 1, "shipped": Decimal(0), "deliveries": 0}
    for level in range(1, LEVELS + 1):
        docs = FIRST if level == 1 else FAN
        nxt = []
        for lot_id, qty in frontier:
            for _ in range(docs):
                d = new_doc()
                share = qty // docs
                take(lot_id, items[level - 1], share, "production", d)
                nxt.append((lot(items[level], share, "production", d), share))
        frontier = nxt
        expected["lots"] += len(nxt)
    for lot_id, qty in frontier:
        for _ in range(FAN):
            take(lot_id, items[LEVELS], qty // FAN, "shipment", new_doc())
            expected["shipped"] += Decimal(qty // FAN)
            expected["deliveries"] += 1
    db.session.commit()
    with db.engine.begin() as conn:
        bulk_insert(conn, StockLot.__table__, lots)
        bulk_insert(conn, StockMove.__table__, moves)
        bulk_insert(conn, LotConsumption.__table__, cons)
    return start, expected


def _recall(out: PhaseOutput, n: int) -> None:
    from app.services.quality.trace import trace_forward
    from bench.growth import _grow

    items = seed.item_ids("L", 200)
    main, second = seed.warehouse_id("MAIN"), seed.warehouse_id("SECOND")
    db.session.commit()
    moves, secs, rows = _grow(LedgerSynth(items, (main, second)), n)
    out.notes.append(f"W6 ledger: {moves:,} moves ({rows:,} rows with lots and consumption) in {secs:.1f} s")
    genealogy = seed.item_ids("G", LEVELS + 1)
    db.session.commit()
    start, expected = _genealogy(10_000_000, genealogy, main)
    trace = trace_forward(db.session, start)
    found = {"lots": len(trace.lots), "shipped": sum((d.qty for d in trace.shipments), Decimal(0)),
             "deliveries": len(trace.shipments)}
    exact = found == expected and trace.levels == LEVELS + 1
    out.notes.append(f"W6 recall: expected {expected}, found {found}, levels {trace.levels}: "
                     f"{'exact' if exact else 'DIFFERENT'}")
    db.session.rollback()
    timed = median_ms(lambda: (trace_forward(db.session, start), db.session.rollback()), 15)
    out.add(Result("W6 recall list of a component lot, 5 BOM levels", f"{moves:,} ledger rows", timed.wall, MS,
                   goal="< 1000 ms, exact", goal_ok=timed.wall < 1000 and exact, ours_cpu=timed.cpu,
                   note=f"{expected['lots']} lots, {expected['deliveries']} shipments; level-by-level set queries"))


def _filler(rng: random.Random, alphabet: str, n: int) -> list[str]:
    """Made-up words (the rest of an article's vocabulary), so a trade word is in some articles, not all."""
    syllables = [a + b for a in alphabet[:12] for b in alphabet[12:18]]
    return ["".join(rng.sample(syllables, 3)) for _ in range(n)]


def _articles(rng: random.Random) -> list[dict]:
    from app.domain.wordforms import normalise

    rows = []
    now = datetime(2026, 6, 1)
    filler = {True: _filler(rng, "бвгдклмнпрстаеиоуя", FILLER), False: _filler(rng, "bcdfglmnprstaeiouyz", FILLER)}
    for i in range(ARTICLES):
        ru = i % 2 == 0
        vocab, other = (RU, filler[True]) if ru else (ES, filler[False])
        title = " ".join([rng.choice(vocab), *rng.sample(other, 2)])
        body = " ".join([*rng.sample(vocab, 3), *(rng.choice(other) for _ in range(37))])
        rows.append({"title": f"Article {i}", "title_ru": title if ru else "", "title_es": "" if ru else title,
                     "body": "", "body_ru": body if ru else "", "body_es": "" if ru else body, "published": True,
                     "search_title": normalise(title), "search_body": normalise(body), "created_at": now,
                     "updated_at": now})
    return rows


def _search(out: PhaseOutput) -> None:
    from app.models.quality import KbArticle
    from app.services.quality.kb_search import rebuild_index, search, suggest

    rng = random.Random(2026)
    t0 = time.perf_counter()
    rows = _articles(rng)
    with db.engine.begin() as conn:
        bulk_insert(conn, KbArticle.__table__, rows)
    with db.engine.begin() as conn:  # the bulk insert bypassed the model's hooks: index them all
        rebuild_index(conn)
    out.notes.append(f"W7 index: {ARTICLES:,} articles normalised, inserted and indexed in "
                     f"{time.perf_counter() - t0:.1f} s")
    forms = RU_FORMS + ES_FORMS
    queries = [" ".join(rng.sample(RU_FORMS if rng.random() < 0.5 else ES_FORMS, rng.randint(1, 3)))
               for _ in range(QUERIES)]
    for name, fn in (("search", lambda q: search(db.session, q, 20)), ("suggest", lambda q: suggest(db.session, q))):
        for q in queries[:5]:
            fn(q)
        times, empty = [], 0
        for q in queries:
            t = time.perf_counter()
            empty += not fn(q)
            times.append((time.perf_counter() - t) * 1000)
        if empty == QUERIES:
            out.notes.append(f"W7 {name}: every query found nothing: the index is empty, the figure means nothing")
        p95 = statistics.quantiles(times, n=20)[-1]
        out.add(Result(f"W7 knowledge-base {name}, p95 of {QUERIES} queries", f"{ARTICLES:,} articles", p95, MS,
                       goal="p95 < 100 ms", goal_ok=p95 < 100,
                       note=f"median {statistics.median(times):.1f} ms; {empty} queries found nothing; "
                            f"{len(forms)} word forms ru / es"))
    db.session.rollback()


def run_phase(pg_url: str | None, n: int = 1_000_000) -> dict:
    out = PhaseOutput(backend_name(pg_url))
    t0 = time.perf_counter()
    with fresh_app(pg_url):
        out.notes.append(f"quality phase starts at load average {load_average()}")
        _recall(out, n)
        _search(out)
        out.notes.append(f"quality phase ends at load average {load_average()}")
    out.add(Result("quality phase (build and measure)", f"{n:,} ledger rows", time.perf_counter() - t0, SECONDS))
    return out.__dict__


def main(argv: list[str] | None = None) -> int:
    from bench.harness import standalone_main

    return standalone_main("quality", __doc__, run_phase, 1_000_000, "ledger rows (default 1,000,000)", argv)


if __name__ == "__main__":
    sys.exit(main())
