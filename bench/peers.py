"""Tryton 8.2's figures from /work/shared/PEERS.md (same machine kind), in our units.

Throughputs are moves/s, latencies ms, whole documents s. A peer figure that PEERS.md does not
state directly (a 1,000-line document, the ledger at 1M rows) is derived from one it does state
and the derivation is written beside it, never presented as measured.
"""

from __future__ import annotations

W1_GOAL_X = 50

SQLITE = {
    "W0": 5.2,
    "W1 in": 1000 / 113,  # 113 ms/move
    "W1 out": 1000 / 154,  # 154 ms/move
    "W1 whole": 6.8,  # 147 ms/move, create + post, in + out
    "W1b in": 15.0,  # s: batched <= 50 per tx, 15 ms/move x 1,000 lines
    "W1b out": 55.0,  # s: batched <= 50 per tx, 55 ms/move x 1,000 lines
    "W2 4k": 83.0,  # 50 products, 4,400 moves
    "W2 20k": 242.0,  # 50 products, 20,400 moves, grows linearly with the ledger
}

POSTGRES = {
    "W0": 0.3,
    "W1 in": 1000 / 126,
    "W1 out": 1000 / 161,
    "W1 whole": 6.4,
    "W2 4k": 92.0,
}

W1B_NOTE = "Tryton batched (<= 50 moves/tx) x 1,000"
W2_NOTE = "Tryton: 242 ms at 20,400 moves, linear in the ledger"


def get(backend: str, key: str) -> float | None:
    table = POSTGRES if backend == "postgresql" else SQLITE
    return table.get(key)


def w2_at(backend: str, moves: int) -> tuple[float | None, str]:
    """Tryton's on-hand time at `moves` ledger rows: measured at 20,400, linear beyond (PEERS.md)."""
    base = get(backend, "W2 20k")
    if base is None:
        return None, ""
    if moves <= 20_400:
        return base, "Tryton at 20,400 moves (measured)"
    return base * moves / 20_400, "Tryton extrapolated linearly from 242 ms at 20,400"
