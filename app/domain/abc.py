"""ABC (Pareto) classification: rank items by a measure, cut the cumulative share at two thresholds.

Pure Decimal, no database. Items are ranked by value (descending; ties by key, so the result is
deterministic); an item belongs to class A while the cumulative share *before* it is below the A
threshold (so the item that crosses 80 % is still A: at least one item is A whenever anything has
value), to B while it is below the B threshold, else to C. Items with zero or negative value are C.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal(0)
HUNDRED = Decimal(100)
SHARE_Q = Decimal("0.01")
CLASSES = ("A", "B", "C")


@dataclass(frozen=True)
class AbcRow:
    key: Hashable
    value: Decimal
    share: Decimal  # % of the total, 2 places
    cumulative: Decimal  # % of the total up to and including this row, 2 places
    klass: str
    rank: int


def check_thresholds(a: Decimal, b: Decimal) -> list[str]:
    """Problems with the thresholds (msgids), empty when 0 < a < b <= 100."""
    problems = []
    if not (ZERO < a < HUNDRED) or not (ZERO < b <= HUNDRED):
        problems.append("Thresholds are percentages between 0 and 100")
    if a >= b:
        problems.append("Thresholds must increase: A below B")
    return problems


def classify(values: Mapping[Hashable, Decimal], a: Decimal = Decimal(80), b: Decimal = Decimal(95)) -> list[AbcRow]:
    """Rank `values` and give each key its class; raises ValueError on bad thresholds."""
    problems = check_thresholds(a, b)
    if problems:
        raise ValueError("; ".join(problems))
    ranked = sorted(values.items(), key=lambda kv: (-kv[1], _sort_key(kv[0])))
    total = sum((v for _, v in ranked if v > 0), ZERO)
    out: list[AbcRow] = []
    running = ZERO
    for rank, (key, value) in enumerate(ranked, start=1):
        before = (running * HUNDRED / total) if total else HUNDRED
        if value <= 0:
            klass = "C"
        elif before < a:
            klass = "A"
        elif before < b:
            klass = "B"
        else:
            klass = "C"
        running += max(value, ZERO)
        share = (max(value, ZERO) * HUNDRED / total) if total else ZERO
        cumulative = (running * HUNDRED / total) if total else ZERO
        out.append(AbcRow(key, value, share.quantize(SHARE_Q, ROUND_HALF_UP),
                          cumulative.quantize(SHARE_Q, ROUND_HALF_UP), klass, rank))
    return out


def _sort_key(key: Hashable) -> tuple[str, str]:
    return (type(key).__name__, f"{key:>20}" if isinstance(key, int) else str(key))


def summary(rows: list[AbcRow]) -> dict[str, dict[str, Decimal | int]]:
    """Per class: number of items, their value and share of the total."""
    total = sum((r.value for r in rows if r.value > 0), ZERO)
    out: dict[str, dict[str, Decimal | int]] = {k: {"count": 0, "value": ZERO, "share": ZERO} for k in CLASSES}
    for r in rows:
        out[r.klass]["count"] += 1
        out[r.klass]["value"] += r.value
    for k in CLASSES:
        out[k]["share"] = (max(out[k]["value"], ZERO) * HUNDRED / total).quantize(SHARE_Q, ROUND_HALF_UP) \
            if total else ZERO
    return out
