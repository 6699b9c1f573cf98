"""The Markdown report of `make loadtest` (bench/results/loadtest.md), from run.py's results."""

from __future__ import annotations

import os

GOALS = {"page": 300.0, "posting": 500.0}
SIGN_IN = "sign in"
OURS = ("gunicorn", "scheduler", "postgresql", "pgbouncer", "locust")


def _via(r: dict) -> str:
    return f"{r['users']} (pgbouncer)" if r.get("pgbouncer") else str(r["users"])


def latency_table(results: list[dict]) -> list[str]:
    lines = ["| workers | users | kind | requests | p50 ms | p95 ms | p99 ms | server errors | other failures | goal "
             "| met |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        for kind, k in sorted(r["kinds"].items(), key=lambda kv: (kv[0] == SIGN_IN, kv[0])):
            goal = GOALS.get(kind)
            ok = goal is not None and k["p95"] < goal and k["p99"] < 1000 and not k["errors"]
            met = "" if goal is None else ("yes" if ok else "**no**")
            label = "sign in (whole run)" if kind == SIGN_IN else kind
            lines.append(f"| {r['workers']} | {_via(r)} | {label} | {k['count']:,} | {k['p50']:.0f} | {k['p95']:.0f} "
                         f"| {k['p99']:.0f} | {k['errors']} | {k['failures']} | "
                         f"{f'p95 < {goal:.0f} ms' if goal else ''} | {met} |")
    return lines


def throughput_table(results: list[dict]) -> list[str]:
    lines = ["| workers | users | warm-up (sign-in) s | steady s | throughput (requests/s) | x of 1 worker | "
             "peak database connections | gunicorn workers |", "|---|---|---|---|---|---|---|---|"]
    base = results[0]["rps"] if results else 1
    for r in results:
        warm = "not every user signed in" if r["warmup"] is None else f"{r['warmup']:.0f}"
        lines.append(f"| {r['workers']} | {_via(r)} | {warm} | {r['steady_seconds']:.0f} | {r['rps']:.1f} | "
                     f"{r['rps'] / base:.2f}x | {r['connections']} | {r.get('restarts', '')} |")
    return lines


def ceiling(r: dict, cores: int) -> tuple[float, float]:
    """(CPU ms all our processes spend per request, requests/s the cores not taken by others allow)."""
    cpu = r["cpu"]
    ours = sum(cpu.get(name, 0.0) for name in OURS)
    per_request = ours / r["rps"] * 1000 if r["rps"] else 0.0
    free = cores - cpu.get("others", 0.0)
    return per_request, (free / per_request * 1000 if per_request else 0.0)


def cpu_table(results: list[dict]) -> list[str]:
    cores = os.cpu_count() or 1
    lines = [f"Where the CPU went in the steady state, in cores (of {cores}); \"others\" is every other process of "
             "the machine. The ceiling is the throughput the cores not taken by others would allow at this run's "
             "CPU per request (ours: app, database, load generator together).", "",
             "| workers | users | gunicorn | scheduler | PostgreSQL | pgbouncer | locust | others | machine | "
             "app CPU ms / request | all ours ms / request | ceiling requests/s |", "|---|---|---|---|---|---|---|---|"
             "---|---|---|---|"]
    for r in results:
        cpu = r["cpu"]
        if not cpu:
            continue
        per_request, top = ceiling(r, cores)
        cells = " | ".join(f"{cpu[name]:.2f}" if name in cpu else "" for name in OURS)
        lines.append(f"| {r['workers']} | {_via(r)} | {cells} | {cpu['others']:.2f} | {cpu['machine']:.2f} | "
                     f"{r['app_cpu_ms']:.1f} | {per_request:.1f} | {top:.0f} |")
    return lines


def slowest_table(r: dict) -> list[str]:
    lines = [f"Slowest routes of the steady state, {r['workers']} workers, {_via(r)} users:", "",
             "| route | requests | p50 ms | p95 ms |", "|---|---|---|---|"]
    return lines + [f"| {name} | {n} | {p50:.0f} | {p95:.0f} |" for name, n, p50, p95 in r["slowest"]]


def capacity_table(runs: list[dict]) -> list[str]:
    """The capacity phase: users with no think time, so the server is saturated; throughput per worker count."""
    if not runs:
        return []
    first = runs[0]
    lines = [f"Capacity (a measurement of its own, not the 50 users above): {first['users']} users with **no think "
             f"time**, {first['steady_seconds']:.0f} s of steady state each: what the server carries when saturated.",
             "", "| workers | users | throughput (requests/s) | x of 1 worker | page p50 ms | page p95 ms | errors | "
             "gunicorn cores | PostgreSQL cores | others cores | app CPU ms / request | all ours ms / request |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in runs:
        page = r["kinds"].get("page", {"p50": 0.0, "p95": 0.0})
        errors = sum(k["errors"] for k in r["kinds"].values())
        cpu, per_request = r["cpu"], ceiling(r, os.cpu_count() or 1)[0]
        lines.append(f"| {r['workers']} | {r['users']} | {r['rps']:.1f} | {r['rps'] / first['rps']:.2f}x | "
                     f"{page['p50']:.0f} | {page['p95']:.0f} | {errors} | {cpu.get('gunicorn', 0):.2f} | "
                     f"{cpu.get('postgresql', 0):.2f} | {cpu.get('others', 0):.2f} | {r['app_cpu_ms']:.1f} | "
                     f"{per_request:.1f} |")
    return lines + [""]


def render(results: list[dict], notes: list[str], users: int, seconds: int,
           capacity: list[dict] | None = None) -> str:
    main = [r for r in results if not r.get("pgbouncer")]
    lines = [f"# Load test: {users} concurrent users, {seconds} s of steady state per run, gunicorn threads 4, "
             "PostgreSQL", "",
             "The steady state starts when the last user has signed in; signing in (one password hash per user, "
             "all at the start) is its own kind, measured over the whole run. Percentiles are exact per kind.", "",
             *latency_table(results), "", *throughput_table(results), "", *cpu_table(results), ""]
    lines += capacity_table(capacity or [])
    if main:
        lines += [*slowest_table(main[-1]), ""]
    lines += [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"
