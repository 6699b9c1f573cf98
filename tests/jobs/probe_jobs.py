"""Jobs for the multi-process scheduler test: each run writes one probe row for its fire's slot.

The slow one sleeps before writing (outside any transaction, so on SQLite it holds no lock): the
window in which the test kills the process running it.
"""

from __future__ import annotations

import os
import time

from sqlalchemy import text

from app.extensions import db
from app.jobs import claims
from app.jobs.registry import JobSpec

SLOW = "probe-slow"
SLOW_SECONDS = 1.5
PROBE_TABLE = "fire_probe"


def probe() -> None:
    fire = claims.current_fire.get()
    if fire is None:
        raise RuntimeError("a probe job runs only for a claimed fire")
    if fire.job_id == SLOW:
        time.sleep(SLOW_SECONDS)
    db.session.execute(text(f"INSERT INTO {PROBE_TABLE} (job_id, slot, pid) VALUES (:j, :s, :p)"),
                       {"j": fire.job_id, "s": fire.slot.isoformat(), "p": os.getpid()})


def specs(fast: int) -> list[JobSpec]:
    """`fast` jobs firing every second, and the slow one."""
    every_second = "* * * * * *"
    return [JobSpec(f"probe-{n:02d}", "tests.jobs.probe_jobs:probe", every_second, f"Probe {n}")
            for n in range(fast)] + [JobSpec(SLOW, "tests.jobs.probe_jobs:probe", every_second, "Slow probe")]
