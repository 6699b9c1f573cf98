"""Tryton 8.2, the peer: measured in the same run on this machine, else PEERS.md's figures, labelled.

Machines of this kind differ 2-3x in Python speed, so a ratio is honest only when both sides ran on
the same machine in the same run. `make bench` therefore runs the peer first
(`/work/shared/peers/tryton/run_peer.sh WORKDIR`, sizes matching ours) and hands its result.json to
the phase processes through the environment (PEER_ENV). Figures the peer run does not produce (the
batched W1b, the ledger at 20k+ rows, everything on PostgreSQL: the peer runner is SQLite only) fall
back to /work/shared/PEERS.md and say so in the table ("PEERS.md, another machine").

Throughputs are moves/s, latencies ms, whole documents s, in our units.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from functools import cache

W1_GOAL_X = 50
W3_GOAL_X = 40
PEER_ENV = "FABRIKA_PEER_RESULT"
RAN_ENV = "FABRIKA_PEER_RAN"  # set by `python -m bench` when it ran the peer itself, in this run
SAME_RUN = "Tryton 8.2, same run"
EARLIER_RUN = "Tryton 8.2, earlier run on this machine"
FALLBACK = "PEERS.md, another machine"
RUNNER = os.environ.get("FABRIKA_PEER_RUNNER", "/work/shared/peers/tryton/run_peer.sh")
WORKDIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "peer")  # ignored by git, reused

SQLITE = {
    "W0": 5.2,
    "W1 in": 1000 / 113,  # 113 ms/move
    "W1 out": 1000 / 154,  # 154 ms/move
    "W1 whole": 6.8,  # 147 ms/move, create + post, in + out
    "W1b in": 15.0,  # s: batched <= 50 per tx, 15 ms/move x 1,000 lines
    "W1b out": 55.0,  # s: batched <= 50 per tx, 55 ms/move x 1,000 lines
    "W2 4k": 83.0,  # 50 products, 4,400 moves
    "W2 20k": 242.0,  # 50 products, 20,400 moves, grows linearly with the ledger
    "W3": 884.0,  # ms per production (884-903)
    "W4": 460.0,  # ms per run of 50 order points (390-500)
}

POSTGRES = {
    "W0": 0.3,
    "W1 in": 1000 / 126,
    "W1 out": 1000 / 161,
    "W1 whole": 6.4,
    "W2 4k": 92.0,
    "W3": 1016.0,
    "W4": 500.0,
}

W1B_NOTE = "Tryton batched (<= 50 moves/tx) x 1,000"


def _rows(path: str) -> dict[str, dict]:
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    rows = data["results"] if isinstance(data, dict) else data
    return {r["step"]: r for r in rows}


def _per_s(rows: dict[str, dict], *steps: str) -> float | None:
    """Throughput over the summed seconds of `steps` (the first step's op count)."""
    if not all(s in rows for s in steps):
        return None
    seconds = sum(rows[s]["seconds"] for s in steps)
    return rows[steps[0]]["ops"] / seconds if seconds else None


def _ms(rows: dict[str, dict], step: str) -> float | None:
    row = rows.get(step)
    return 1000.0 * row["seconds"] / row["ops"] if row and row["ops"] else None


def _key_of_w2(rows: dict[str, dict]) -> float | None:
    step = next((s for s in rows if s.startswith("products_by_location")), None)
    return _ms(rows, step) if step else None


@cache
def same_run() -> dict[str, float]:
    """The peer's figures of this run in our keys; {} when the peer did not run.

    W1 per document = its bulk create plus its one-transaction-per-move `do`, like our create + post.
    """
    path = os.environ.get(PEER_ENV)
    if not path or not os.path.exists(path):
        return {}
    rows = _rows(path)
    found = {
        "W0": _ms(rows, "empty read-write txn (start+commit)"),
        "W1 in": _per_s(rows, "create incoming moves (1 bulk create)", "do incoming (txn per move)"),
        "W1 out": _per_s(rows, "create outgoing FIFO moves (1 bulk create)", "do outgoing FIFO (txn per move)"),
        "W1 whole": _per_s(rows, "TOTAL create+do in+out"),
        "W2 4k": _key_of_w2(rows),
        "W3": _ms(rows, "production create+assign+run+done"),
        "W4": _ms(rows, "purchase.request.generate_requests()"),
    }
    return {k: v for k, v in found.items() if v}


def get(backend: str, key: str) -> float | None:
    """The peer's figure: this run's when measured (SQLite), else PEERS.md's."""
    if backend != "postgresql" and key in same_run():
        return same_run()[key]
    table = POSTGRES if backend == "postgresql" else SQLITE
    return table.get(key)


def source(backend: str, key: str) -> str:
    """Where get(backend, key) came from, for the table: "same run" only when this run ran the peer; a
    result.json handed in through FABRIKA_PEER_RESULT (with --no-peer) is labelled with its own date."""
    if get(backend, key) is None:
        return ""
    if backend == "postgresql" or key not in same_run():
        return FALLBACK
    if os.environ.get(RAN_ENV) == "1":
        return SAME_RUN
    when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(os.path.getmtime(os.environ[PEER_ENV])))
    return f"{EARLIER_RUN}, {when} UTC"


def note(backend: str, key: str, detail: str = "") -> str:
    return "; ".join(p for p in (source(backend, key), detail) if p)


def w2_at(backend: str, moves: int) -> tuple[float | None, str]:
    """Tryton's on-hand time at `moves` ledger rows: the 4k figure grown linearly (PEERS.md measured
    242 ms at 20,400 moves, linear in the ledger), labelled as extrapolated."""
    base_key = "W2 4k" if (backend != "postgresql" and "W2 4k" in same_run()) else "W2 20k"
    base = get(backend, base_key)
    if base is None:
        return None, ""
    at = 4_000 if base_key == "W2 4k" else 20_400
    if moves <= at:
        return base, note(backend, base_key, f"at {at:,} moves")
    return base * moves / at, note(backend, base_key, f"extrapolated linearly from {base:.0f} ms at {at:,} moves")


def run(n: int, k: int, repeat: int = 20) -> tuple[str | None, str]:
    """Run the peer with our sizes (n receipts + n issues over 50 products, k productions); return
    (result.json path or None, a note with its duration and the load average around it)."""
    from bench.harness import load_average

    if not os.path.exists(RUNNER):
        return None, f"peer not run: {RUNNER} is missing; Tryton figures are PEERS.md's ({FALLBACK})"
    before, t0 = load_average(), time.perf_counter()
    cmd = ["bash", RUNNER, WORKDIR, "--n", str(n), "--k", str(k), "--batch", "1", "--repeat", str(repeat)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    took = time.perf_counter() - t0
    path = done.stdout.strip().splitlines()[-1] if done.returncode == 0 and done.stdout.strip() else ""
    if not path or not os.path.exists(path):
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        return None, (f"peer run failed (exit {done.returncode}: {tail[0][:200]}); "
                      f"Tryton figures are PEERS.md's ({FALLBACK})")
    return path, (f"peer (Tryton 8.2, SQLite) ran in this run with --n {n} --k {k}: {took:.0f} s, "
                  f"load average {before} before, {load_average()} after")
