"""Widening a race window on purpose, so a "read, then lock" defect shows every time, not one run in ten.

`meet_before(monkeypatch, module, name, parties)` makes every thread that calls `module.name` wait
for the others right before the call (a lock in the services under test). A service that read the
state it checks *before* that point decides on stale data in every thread; one that takes the lock
first and re-reads after it is unaffected. On SQLite the first statement already holds the write
lock, so the meeting times out after a short wait and the threads run one after another.
"""

from __future__ import annotations

import threading
from functools import wraps

MEET_TIMEOUT = 2.0  # seconds: how long a thread waits for the others at the meeting point


def meet_before(monkeypatch, module, name: str, parties: int) -> None:
    """Replace module.name by a wrapper that waits (once per thread) until `parties` threads arrived."""
    original = getattr(module, name)
    barrier = threading.Barrier(parties)
    met: set[int] = set()

    @wraps(original)
    def wrapper(*args, **kwargs):
        me = threading.get_ident()
        if me not in met and threading.current_thread() is not threading.main_thread():
            met.add(me)
            try:
                barrier.wait(MEET_TIMEOUT)
            except threading.BrokenBarrierError:
                pass
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapper)
