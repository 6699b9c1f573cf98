"""Fresh databases and apps for a benchmark phase, timing helpers and the result record.

A phase gets a new temp directory with its own SQLite file (or, with `--pg`, a new database
created on the given server and dropped afterwards), and an app built by `create_app` with a
TestConfig subclass like tests/conftest.py's, with AUTO_CREATE_SCHEMA so the schema is the models'.
"""

from __future__ import annotations

import logging
import os
import shutil
import statistics
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

THROUGHPUT = "moves/s"
MS = "ms"
SECONDS = "s"


@dataclass
class Result:
    """One line of the results table: our figure beside the peer's, in the same unit."""

    workload: str
    size: str
    ours: float
    unit: str
    peer: float | None = None
    peer_note: str = ""
    goal: str = ""
    goal_ok: bool | None = None
    note: str = ""
    ours_cpu: float | None = None  # the same figure from this process's CPU time (see Timed)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class PhaseOutput:
    """What a phase process sends back: its table lines, growth series and free-text notes."""

    backend: str
    results: list[dict] = field(default_factory=list)
    growth: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, result: Result) -> Result:
        self.results.append(result.as_dict())
        return result


def quiet() -> None:
    """Keep FAB's start-up chatter and library warnings out of the benchmark's stdout."""
    logging.disable(logging.WARNING)
    warnings.simplefilter("ignore")


@dataclass(frozen=True)
class Timed:
    """Wall time (what a user waits) and this process's CPU time (what the code costs).

    The machine is shared: when other jobs load its two cores, wall time grows while CPU time
    stays close to what an idle machine would show, so both are reported. On SQLite all the work
    is in this process; on PostgreSQL the server's share is missing from the CPU figure.
    """

    wall: float
    cpu: float


def median_ms(fn: Callable[[], object], reps: int, warmup: int = 2) -> Timed:
    """Median wall and CPU time of `fn` in milliseconds: robust to the odd GC pause or checkpoint.

    A call slower than 100 ms is repeated at most 5 times (20 ms: 15 times), which keeps the whole
    suite within its ten minutes without making a fast read's median rest on few samples.
    """
    t0 = time.perf_counter()
    for _ in range(warmup):
        fn()
    slowest = (time.perf_counter() - t0) / max(warmup, 1)
    reps = min(reps, 5) if slowest > 0.1 else min(reps, 15) if slowest > 0.02 else reps
    walls, cpus = [], []
    for _ in range(reps):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        walls.append((time.perf_counter() - t0) * 1000.0)
        cpus.append((time.process_time() - c0) * 1000.0)
    return Timed(statistics.median(walls), statistics.median(cpus))


class Stopwatch:
    """Accumulates wall and CPU seconds of the blocks it wraps (to split create from post)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.cpu = 0.0

    @contextmanager
    def __call__(self) -> Iterator[None]:
        c0, t0 = time.process_time(), time.perf_counter()
        try:
            yield
        finally:
            self.seconds += time.perf_counter() - t0
            self.cpu += time.process_time() - c0


def load_average() -> str:
    """The 1-minute load average against the core count: above it, timings are inflated."""
    try:
        one = os.getloadavg()[0]
    except OSError:
        return "unknown"
    return f"{one:.1f} on {os.cpu_count()} cores"


def _config(url: str, tmp: str) -> type:
    from app.database import CHECKPOINT_SECONDS
    from config import TestConfig, _engine_options

    class BenchConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        SQLALCHEMY_ENGINE_OPTIONS = _engine_options(url)
        AUTO_CREATE_SCHEMA = True
        BACKUP_DIR = os.path.join(tmp, "backups")
        SQLITE_CHECKPOINT_SECONDS = CHECKPOINT_SECONDS  # the product's setting, not the test suite's

    return BenchConfig


@contextmanager
def _postgres_database(server_url: str) -> Iterator[str]:
    """Create a throwaway database on the server of `server_url`, yield its URL, drop it after."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(server_url)
    name = f"fabrika_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        from app.extensions import db

        try:
            db.engine.dispose()
        except Exception:  # noqa: BLE001 - no app context left: nothing to dispose
            pass
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def fresh_app(pg_url: str | None = None) -> Iterator[Any]:
    """Yield an app (inside its app context) on a brand-new, empty database."""
    quiet()
    tmp = tempfile.mkdtemp(prefix="fabrika-bench-")
    os.environ["FABRIKA_INSTANCE"] = os.path.join(tmp, "instance")
    try:
        if pg_url:
            with _postgres_database(pg_url) as url, _app(url, tmp) as app:
                yield app
        else:
            with _app("sqlite:///" + os.path.join(tmp, "bench.db"), tmp) as app:
                yield app
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # the 1M-row database is ~250 MB


@contextmanager
def _app(url: str, tmp: str) -> Iterator[Any]:
    from app import create_app
    from app.extensions import db

    app = create_app(_config(url, tmp))
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def backend_name(pg_url: str | None) -> str:
    return "postgresql" if pg_url else "sqlite"


def standalone_main(module: str, doc: str | None, run_phase, n_default: int, n_help: str,
                    argv: list[str] | None = None) -> int:
    """`python -m bench.<module>`: run one phase by itself (SQLite, or --pg) and print its table."""
    import argparse
    import sys

    from bench import report

    p = argparse.ArgumentParser(prog=f"python -m bench.{module}", description=doc,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pg", metavar="URL", help="run on a throwaway database of this PostgreSQL server instead")
    p.add_argument("--n", type=int, default=n_default, help=n_help)
    args = p.parse_args(sys.argv[1:] if argv is None else argv)
    res = run_phase(args.pg, args.n)
    print("\n".join(report.results_table(res["results"])))
    print("\n".join(f"- {note}" for note in res["notes"]))
    return 0
