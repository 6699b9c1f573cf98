"""Where posting spends its time (`python -m bench --profile`): statements per call and cProfile.

A short W1 (receipts then FIFO issues, one document per transaction) runs twice on a fresh
database: once counting the SQL statements each service call sends, once under cProfile. The
top costs go to bench/results/profile.txt, so a slow W1 comes with the evidence of why.
"""

from __future__ import annotations

import cProfile
import io
import pstats
from datetime import date

from app.services.base import acting_as
from bench import seed
from bench.posting import ACTOR, post_one_by_one, statements_per_call, w1_plan


def run_phase(pg_url: str | None, n: int, top: int = 35) -> dict:
    """Profile n receipts + n issues; return the report text."""
    from bench.harness import backend_name, fresh_app

    with fresh_app(pg_url):
        seed.unit_id()
        wh_id = seed.warehouse_id("PROF")
        item_ids = seed.item_ids("P", 50)
        ins, outs = w1_plan(item_ids, n, n)
        with acting_as(ACTOR):  # warm up: first-call compilation is not the steady state
            post_one_by_one(wh_id, "receipt", ins[:20], date(2026, 1, 5))
        statements_per_call(wh_id, item_ids)  # the first issue of the year also creates its counter
        calls = statements_per_call(wh_id, item_ids)
        prof = cProfile.Profile()
        with acting_as(ACTOR):
            prof.enable()
            # after the documents statements_per_call posted on 2026-09-01: nothing backdated
            post_one_by_one(wh_id, "receipt", ins[20:], date(2026, 9, 2))
            post_one_by_one(wh_id, "issue", outs, date(2026, 11, 1))
            prof.disable()
        buf = io.StringIO()
        stats = pstats.Stats(prof, stream=buf)
        moves = n - 20 + n
        per_move = f"{stats.total_calls / moves:,.0f} Python function calls per move (create + post)"
        buf.write(f"# cProfile of {n - 20} receipts + {n} FIFO issues, one document per transaction "
                  f"({backend_name(pg_url)})\n\n{per_move}\n\n## SQL statements per service call\n")
        buf.write("\n".join(calls) + "\n\n## Our code, by cumulative time\n")
        stats.sort_stats("cumulative").print_stats(r"/app/", top)
        buf.write("\n## Everything, by own time\n")
        stats.sort_stats("tottime").print_stats(top)
    return {"text": buf.getvalue(), "calls": [per_move, *calls]}

