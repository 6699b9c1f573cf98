"""What `make loadtest` measures besides locust: exact percentiles from the request log, and CPU from /proc.

Request log: the locustfile writes one line per request (start time, milliseconds, name, error) and
a `warm_end` line when the last user has signed in. The steady state is every request started after
it; signing in is its own kind over the whole run.

CPU: a process tree's CPU seconds are, for every live process in it, user + system time plus the
time of its children already reaped (cutime / cstime), so a PostgreSQL backend that exits during the
run still counts, in the postmaster. Sampled every second; the steady state's share is the difference
between the samples around it. The machine's busy time (/proc/stat) includes every other process,
the other users of this machine too: what is left after our processes is "others".
"""

from __future__ import annotations

import os
import threading
import time
from collections import defaultdict

SERVER_ERRORS = ("500", "502", "503", "504", "Connection", "Timeout", "RemoteDisconnected", "timed out")
TICK = os.sysconf("SC_CLK_TCK")


# --- the request log -------------------------------------------------------------------------------


def read_log(path: str) -> tuple[list[tuple[float, float, str, str]], float | None]:
    """(rows of (start, ms, name, error), warm_end or None when not every user signed in)."""
    rows, warm_end = [], None
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            start, ms, name, error = (line.rstrip("\n").split("\t") + [""])[:4]
            if name == "warm_end":
                warm_end = float(start)
            else:
                rows.append((float(start), float(ms), name, error))
    return rows, warm_end


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (what locust reports too, without its rounding of large values)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q * len(ordered) + 0.5) - 1))] if ordered else 0.0


def summarize(rows: list[tuple[float, float, str, str]], kind_of) -> dict[str, dict]:
    """Per kind: count, p50 / p95 / p99, server errors and other failures (4xx: the script's or the app's)."""
    by_kind: dict[str, list] = defaultdict(list)
    for row in rows:
        by_kind[kind_of(row[2])].append(row)
    out = {}
    for kind, part in by_kind.items():
        times = [r[1] for r in part]
        errors = [r[3] for r in part if r[3]]
        server = sum(1 for e in errors if any(code in e for code in SERVER_ERRORS))
        out[kind] = {"count": len(part), "p50": percentile(times, 0.5), "p95": percentile(times, 0.95),
                     "p99": percentile(times, 0.99), "errors": server, "failures": len(errors) - server,
                     "examples": sorted({f"{r[2]}: {r[3]}" for r in part if r[3]})[:3]}
    return out


def slowest_routes(rows: list[tuple[float, float, str, str]], top: int = 8) -> list[tuple[str, int, float, float]]:
    """(route, count, p50, p95) of the routes with the highest p95."""
    by_name: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        by_name[row[2]].append(row[1])
    stats = [(name, len(t), percentile(t, 0.5), percentile(t, 0.95)) for name, t in by_name.items()]
    return sorted(stats, key=lambda s: -s[3])[:top]


# --- CPU ---------------------------------------------------------------------------------------


def _processes() -> dict[int, tuple[int, float]]:
    """pid -> (parent pid, CPU seconds of the process and its reaped children)."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        table[int(entry)] = (int(fields[1]), sum(int(x) for x in fields[11:15]) / TICK)
    return table


def tree_cpu(table: dict[int, tuple[int, float]], root: int) -> float:
    """CPU seconds of `root` and every live descendant (each with its reaped children)."""
    children: dict[int, list[int]] = defaultdict(list)
    for pid, (ppid, _cpu) in table.items():
        children[ppid].append(pid)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        if pid in table:
            total += table[pid][1]
            todo.extend(children[pid])
    return total


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores."""
    with open("/proc/stat", encoding="ascii") as fh:
        values = [int(x) for x in fh.readline().split()[1:9]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / TICK, sum(values) / TICK


class CpuSampler(threading.Thread):
    """Every second: the CPU seconds of each named process tree and of the machine."""

    def __init__(self, roots: dict[str, int]) -> None:
        super().__init__(daemon=True)
        self.roots = roots
        self.samples: list[tuple[float, dict[str, float], float, float]] = []
        self.stop = threading.Event()

    def sample(self) -> None:
        table = _processes()
        busy, total = machine_busy()
        self.samples.append((time.time(), {name: tree_cpu(table, pid) for name, pid in self.roots.items()},
                             busy, total))

    def run(self) -> None:
        self.sample()
        while not self.stop.wait(1.0):
            self.sample()

    def cores(self, since: float | None) -> dict[str, float]:
        """Cores each tree used on average from `since` (the first sample when None) to the last sample;
        "machine" is every process of the machine, "others" what is not ours."""
        if len(self.samples) < 2:
            return {}
        first = next((s for s in self.samples if since is None or s[0] >= since), self.samples[0])
        last = self.samples[-1]
        wall = max(last[0] - first[0], 1e-6)
        used = {name: (last[1][name] - first[1][name]) / wall for name in self.roots}
        used["machine"] = (last[2] - first[2]) / max(last[3] - first[3], 1e-6) * (os.cpu_count() or 1)
        used["others"] = max(used["machine"] - sum(used[name] for name in self.roots), 0.0)
        used["seconds"] = wall
        return used
