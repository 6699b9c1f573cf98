"""The results as markdown: one table per backend, the growth table, and the notes.

Ratio is always "how many times faster than Tryton": our throughput over theirs, or their time
over ours; above 1 we are faster.
"""

from __future__ import annotations

import os
import platform
from datetime import datetime

from bench.harness import MS, SECONDS, THROUGHPUT

RESULTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def fmt_value(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == THROUGHPUT:
        return f"{value:,.0f} moves/s" if value >= 100 else f"{value:,.1f} moves/s"
    if unit == MS:
        digits = 3 if value < 1 else 2 if value < 10 else 1
        return f"{value:,.{digits}f} ms"
    if unit == SECONDS:
        return f"{value:,.2f} s"
    return f"{value:g} {unit}"


def ratio(r: dict) -> str:
    if not r.get("peer") or not r.get("ours"):
        return "-"
    x = r["ours"] / r["peer"] if r["unit"] == THROUGHPUT else r["peer"] / r["ours"]
    return f"{x:,.0f}x" if x >= 10 else f"{x:,.1f}x"


def _met(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "**no**")


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|")


def results_table(results: list[dict]) -> list[str]:
    lines = ["| workload | data size | Fabrika | Fabrika, CPU-time basis | Tryton 8.2 | x faster "
             "| goal | met | how |", "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        peer = fmt_value(r.get("peer"), r["unit"])
        if r.get("peer_note") and r.get("peer") is not None:
            peer += f" ({r['peer_note']})"
        lines.append("| " + " | ".join(_cell(c) for c in (
            r["workload"], r["size"], fmt_value(r["ours"], r["unit"]), fmt_value(r.get("ours_cpu"), r["unit"]),
            peer, ratio(r), r.get("goal", ""),
            _met(r.get("goal_ok")), r.get("note", ""))) + " |")
    return lines


def growth_table(growth: list[dict], sizes: list[str]) -> list[str]:
    if not growth:
        return []
    head = "| query (ms) | " + " | ".join(sizes) + f" | {sizes[-1]} / {sizes[0]} |"
    lines = [head, "|---|" + "---|" * (len(sizes) + 1)]
    for g in growth:
        vals = [g.get(s) for s in sizes]
        first, last = vals[0], vals[-1]
        factor = f"{last / first:.1f}x" if first and last else "-"
        lines.append("| " + " | ".join([_cell(g["query"]), *(fmt_value(v, MS) for v in vals), factor]) + " |")
    return lines


def render(sections: list[dict], sizes: list[str], header_notes: list[str]) -> str:
    """The whole report: header, then per backend its table, growth and notes."""
    import sqlalchemy

    out = [f"# Fabrika warehouse ledger benchmark, {datetime.now():%Y-%m-%d %H:%M}", "",
           f"Python {platform.python_version()}, SQLAlchemy {sqlalchemy.__version__}, {os.cpu_count()} CPUs; "
           "Tryton 8.2 figures: measured in this run on this machine where the cell says so, else "
           "/work/shared/PEERS.md (another machine of this kind, which may differ 2-3x: read those ratios "
           "with the calibration line).", ""]
    out += [f"- {n}" for n in header_notes]
    for sec in sections:
        out += ["", f"## {sec['title']}", ""]
        out += results_table(sec["results"])
        if sec.get("growth"):
            out += ["", "### How the reads grow with the ledger", ""]
            out += growth_table(sec["growth"], sizes)
        if sec.get("notes"):
            out += ["", "### Notes", ""] + [f"- {n}" for n in sec["notes"]]
    return "\n".join(out) + "\n"


def write(text: str, name: str = "latest.md") -> str:
    os.makedirs(RESULTS_DIR, exist_ok=True)
    path = os.path.join(RESULTS_DIR, name)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    return path
