"""`python -m bench`: run the phases, each in a fresh process and database, and print the table.

    python -m bench                      # SQLite: W0, W1, W1b, W2 / W2b at 10k, 100k, 1M rows, W3, W5
    python -m bench --pg postgresql+psycopg://postgres@127.0.0.1:56432/postgres   # and PostgreSQL
    python -m bench --quick              # smaller: W1 500 + 500, ledger 10k and 100k
    python -m bench --profile            # also: statements per call and cProfile of posting
    python -m bench --no-peer            # skip the Tryton peer run (its ratios fall back to PEERS.md)

Unless --no-peer, the Tryton 8.2 peer runs first, on this machine, with our W1 / W3 sizes
(/work/shared/peers/tryton/run_peer.sh into bench/peer/, installed once and reused), so that every
ratio compares two figures of the same run; a calibration line (a Python loop, an empty SQLite
transaction) heads the report so reports from other machines can be read beside it.

With --pg, a throwaway database is created on that server for each phase and dropped after.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

from bench import report
from bench.harness import load_average


def _in_child(fn, *args):
    """Run one phase in a new process: its own app, engine, identity map and memory."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


PHASES = ("posting", "ledger", "production", "partners", "sales", "purchasing", "proposals", "calculators", "kpi",
          "quality", "projects", "imports", "marketing", "costing", "planning")


def _parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pg", metavar="URL", help="also run on the PostgreSQL server of this URL")
    p.add_argument("--quick", action="store_true", help="smaller run for a smoke check")
    p.add_argument("--sizes", help="ledger sizes for W2, comma-separated (default 10000,100000,1000000)")
    p.add_argument("--only", choices=PHASES, help="run one phase only")
    p.add_argument("--no-http", action="store_true", help="skip the pages through the Flask test client")
    p.add_argument("--profile", action="store_true", help="profile posting; write bench/results/profile.txt")
    p.add_argument("--no-peer", action="store_true", help="do not run the Tryton peer (PEERS.md figures, labelled)")
    return p.parse_args(argv)


def _peer(peers, args: argparse.Namespace, w1_n: int, productions: int) -> str:
    """Run the peer now (before our phases, same machine) unless told not to; the phase processes
    find its result.json through the environment they inherit."""
    os.environ.pop(peers.RAN_ENV, None)
    if args.no_peer or (args.only and args.only not in ("posting", "ledger", "production", "purchasing")):
        given = os.environ.get(peers.PEER_ENV)
        if given and os.path.exists(given):
            return f"peer not run in this run; Tryton figures from {given} ({peers.EARLIER_RUN}), else {peers.FALLBACK}"
        return f"peer not run (--no-peer or a phase without a peer); Tryton figures are {peers.FALLBACK}"
    print("[bench] running the Tryton peer first (a few minutes)...", file=sys.stderr, flush=True)
    path, note = peers.run(w1_n, productions)
    if path:
        os.environ[peers.PEER_ENV] = path
        os.environ[peers.RAN_ENV] = "1"  # its figures are labelled "same run"
    return note


def main(argv: list[str] | None = None) -> int:
    from bench import (
        calculators,
        calibration,
        costing,
        growth,
        imports,
        kpi,
        marketing,
        partners,
        peers,
        planning,
        posting,
        production,
        profiling,
        projects,
        proposals,
        purchasing,
        quality,
        sales,
    )

    args = _parse(sys.argv[1:] if argv is None else argv)
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else (
        [10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000])
    w1_n = 500 if args.quick else 2_000
    backends = [None] + ([args.pg] if args.pg else [])
    started = time.perf_counter()
    sections, notes = [], [calibration.summary()]
    notes.append(_peer(peers, args, w1_n, 50 if args.quick else 200))
    failed = 0
    for pg in backends:
        name = "PostgreSQL" if pg else "SQLite (file, WAL, synchronous=NORMAL)"
        sec: dict = {"title": name, "results": [], "growth": [], "notes": []}
        quick = args.quick
        for phase, fn, fargs in (("posting", posting.run_phase, (pg, w1_n, w1_n)),
                                 ("ledger", growth.run_phase, (pg, sizes, not args.no_http)),
                                 ("production", production.run_phase, (pg, 50 if quick else 200)),
                                 ("partners", partners.run_phase, (pg, 10_000 if quick else 100_000)),
                                 ("sales", sales.run_phase, (pg, 20_000 if quick else 200_000)),
                                 ("purchasing", purchasing.run_phase,
                                  (pg, 100_000 if quick else 1_000_000, 10_000)),
                                 ("proposals", proposals.run_phase, (pg, 20 if quick else 60)),
                                 ("calculators", calculators.run_phase, (pg, 500 if quick else 2000)),
                                 ("kpi", kpi.run_phase, (pg, 100_000 if quick else 1_000_000)),
                                 ("quality", quality.run_phase, (pg, 100_000 if quick else 1_000_000)),
                                 ("projects", projects.run_phase, (pg, 200)),
                                 ("imports", imports.run_phase, (pg, 20_000 if quick else 100_000)),
                                 ("marketing", marketing.run_phase, (pg, 10_000 if quick else 100_000)),
                                 ("costing", costing.run_phase, (pg, 100_000 if quick else 1_000_000)),
                                 ("planning", planning.run_phase, (pg, 10_000))):
            if args.only and args.only != phase:
                continue
            t0 = time.perf_counter()
            print(f"[bench] {name}: phase {phase}...", file=sys.stderr, flush=True)
            try:
                res = _in_child(fn, *fargs)
            except Exception as exc:  # noqa: BLE001 - one broken phase must not hide the others' figures
                failed += 1
                sec["notes"].append(f"**phase {phase} failed**: {type(exc).__name__}: {exc}")
                continue
            sec["results"] += res["results"]
            sec["growth"] += res.get("growth", [])
            sec["notes"] += res["notes"] + [f"phase {phase} took {time.perf_counter() - t0:.0f} s"]
        if args.profile:
            prof = _in_child(profiling.run_phase, pg, 300)
            path = report.write(prof["text"], "profile.txt" if not pg else "profile-pg.txt")
            sec["notes"] += [f"profile written to {path}"] + [f"profile: {c[:160]}" for c in prof["calls"]]
        sections.append(sec)
    notes.append(f"whole run: {time.perf_counter() - started:.0f} s; load average at the end {load_average()}")
    if os.getloadavg()[0] > (os.cpu_count() or 1):
        notes.append("the machine was shared and oversubscribed during this run: wall-clock figures are "
                     "inflated; the CPU-time column is this process's own cost (all of it on SQLite)")
    text = report.render(sections, [growth._fmt(s) for s in sizes], notes)
    print(text)
    print(f"[bench] written to {report.write(text)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
