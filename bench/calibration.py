"""A machine's speed in two fixed figures, printed in every report.

Machines of this kind differ 2-3x in Python speed; with these two figures beside the results, a
report from another machine can be read side by side with this one (scale by the loop's ratio).
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import tempfile
import time


def python_loop(n: int = 10_000_000) -> float:
    """Seconds for a plain loop of n additions (PEERS.md quotes 0.74-1.75 s for 10^7)."""
    t0 = time.perf_counter()
    total = 0
    for i in range(n):
        total += i
    return time.perf_counter() - t0


def sqlite_transaction(reps: int = 2_000) -> float:
    """Median ms of an empty write transaction (BEGIN IMMEDIATE + COMMIT) on a WAL SQLite file."""
    with tempfile.TemporaryDirectory() as tmp:
        con = sqlite3.connect(os.path.join(tmp, "c.sqlite"), isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            con.execute("BEGIN IMMEDIATE")
            con.execute("COMMIT")
            times.append((time.perf_counter() - t0) * 1000.0)
        con.close()
    return statistics.median(times)


def summary() -> str:
    """One line for the report's header."""
    from bench.harness import load_average

    loop = min(python_loop() for _ in range(3))
    return (f"calibration: a Python loop of 10^7 additions {loop:.2f} s (best of 3); an empty SQLite "
            f"write transaction (WAL, BEGIN IMMEDIATE + COMMIT) {sqlite_transaction():.3f} ms median; "
            f"load average {load_average()}")
