"""Calculator benchmarks: one evaluation of the door and robot calculators (goal < 1 ms), a whole
run through the service (database reads included), compiling, and refusing hostile formulas.

    C1 evaluate      evaluate() of a compiled version, its tables and item costs already read:
                     the formula work a click costs (goal < 1 ms), p50 and p95
    C2 run           run_calculator(): version, tables and items read, inputs validated, evaluated
    C3 compile       parsing and checking a whole definition (done once per version per process)
    C4 hostile       refusing 9**9**9 (at run time) and a 100 kB script (before parsing)

Run alone:  python -m bench.calculators [--pg URL] [--n 2000]
From bench/__main__.py: calculators.run_phase(pg_url, n) -> dict (PhaseOutput fields).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable

from bench.harness import MS, PhaseOutput, Result

GOAL_EVAL_MS = 1.0
DOOR_INPUTS = {"height": "2100", "width": "900", "material": "oak", "opening": "sliding", "hardware": True}
ROBOT_INPUTS = {"case_height": "420", "case_width": "300", "case_depth": "260", "processor": "B2", "boards": "3",
                "board_kind": "motor", "nodes": "3", "paint": "0.35"}


def _percentiles(fn: Callable[[], object], n: int) -> tuple[float, float, float]:
    """p50, p95 of wall time and median CPU time, in ms, after a short warm-up."""
    for _ in range(min(50, n)):
        fn()
    walls, cpus = [], []
    for _ in range(n):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        walls.append((time.perf_counter() - t0) * 1000.0)
        cpus.append((time.process_time() - c0) * 1000.0)
    q = statistics.quantiles(walls, n=20)
    return statistics.median(walls), q[18], statistics.median(cpus)


def _seed() -> dict[str, int]:
    from decimal import Decimal

    from app.calculators.builtin import DOOR_ITEMS, ROBOT_ITEMS
    from app.extensions import db
    from app.models.catalog import Item
    from app.models.core import Unit
    from app.services.demo_calculators import load_definitions
    from app.services.demo_stock import ITEMS

    unit = Unit(code="pcs", name="piece", decimals=0)
    db.session.add(unit)
    db.session.flush()
    rows = [(c, cost) for c, _en, _ru, _es, _k, _g, _u, cost, _p in ITEMS]
    rows += [(c, cost) for c, *_rest, cost in DOOR_ITEMS + ROBOT_ITEMS]
    db.session.add_all(Item(code=c, name=c, unit_id=unit.id, standard_cost=Decimal(cost)) for c, cost in rows)
    db.session.commit()
    return load_definitions()


def measure(out: PhaseOutput, n: int) -> None:
    from app.calculators import CalcError, compile_definition, evaluate, validate_inputs
    from app.calculators.compiler import _compile
    from app.extensions import db
    from app.models.calculators import Calculator
    from app.services.calculators import DbEnvironment, compiled_version, run_calculator

    ids = _seed()
    for code, inputs in (("DOOR", DOOR_INPUTS), ("ROBOT", ROBOT_INPUTS)):
        version = db.session.get(Calculator, ids[code]).current_version
        compiled = compiled_version(version)
        env = DbEnvironment(db.session, compiled)
        keys = {name: set(t.rows) for name, t in env.tables.items()}
        values = validate_inputs(compiled.params, inputs, keys)
        evaluate(compiled, values, env)  # item codes computed at run time are read once here
        p50, p95, cpu = _percentiles(lambda c=compiled, v=values, e=env: evaluate(c, v, e), n)
        nodes = sum(1 for ln in compiled.program.lines for _ in __import__("ast").walk(ln.expr))
        out.add(Result(f"C1 evaluate {code.lower()}", f"{len(compiled.program.lines)} lines, {nodes} nodes", p50,
                       MS, goal=f"< {GOAL_EVAL_MS:g} ms", goal_ok=p95 < GOAL_EVAL_MS, ours_cpu=cpu,
                       note=f"p95 {p95:.3f} ms over {n} runs"))
        p50, p95, cpu = _percentiles(lambda i=ids[code], x=inputs: run_calculator(db.session, i, x), max(n // 4, 50))
        out.add(Result(f"C2 run_calculator {code.lower()}", "with database reads", p50, MS, ours_cpu=cpu,
                       note=f"p95 {p95:.3f} ms"))
        texts = (version.parameters, version.formulas, version.outputs)

        def cold(t=texts) -> None:
            _compile.cache_clear()
            compile_definition(*t)

        p50, p95, cpu = _percentiles(cold, 200)
        out.add(Result(f"C3 compile {code.lower()}", f"{len(version.formulas)} chars", p50, MS, ours_cpu=cpu,
                       note=f"p95 {p95:.3f} ms"))
        db.session.rollback()

    def hostile(source: str) -> Callable[[], None]:
        def run() -> None:
            try:
                compiled = compile_definition("[]", source, '{"cost": "0"}')
                evaluate(compiled, {}, DbEnvironment(db.session, compiled))
            except CalcError:
                return
            raise AssertionError("a hostile formula ran")

        return run

    for label, source in (("9**9**9", "x = 9**9**9"), ("100 kB script", "x = 1\n" * 17_000)):
        p50, p95, cpu = _percentiles(hostile(source), 200)
        out.add(Result(f"C4 refuse {label}", f"{len(source)} chars", p50, MS, ours_cpu=cpu, note=f"p95 {p95:.3f} ms"))


def run_phase(pg_url: str | None = None, n: int = 2000) -> dict:
    """Phase 'calculators' on one fresh database; returns PhaseOutput's fields."""
    from bench.harness import backend_name, fresh_app, load_average

    out = PhaseOutput(backend_name(pg_url))
    with fresh_app(pg_url):
        out.notes.append(f"calculators phase starts at load average {load_average()}")
        measure(out, n)
        out.notes.append(f"calculators phase ends at load average {load_average()}")
    return out.__dict__


def main(argv: list[str] | None = None) -> int:
    from bench.harness import standalone_main

    return standalone_main("calculators", __doc__, run_phase, 2000,
                           "evaluations measured per calculator (default 2000)", argv)


if __name__ == "__main__":
    sys.exit(main())
