"""Quality workflows (complaints, corrective / preventive actions) and pure analysis helpers.

The workflows follow app/domain/documents.py and are listed in its WORKFLOWS. Closing a corrective
action needs the post permission on Quality: the person who asked for the action (a salesperson
who logged the complaint) can't also declare it effective. Pareto is pure Decimal arithmetic.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from app.domain.workflow import Transition, _l, workflow
from app.permissions import ACTION_POST, ACTION_WRITE, RESOURCE_QUALITY

EDIT = _l("Editing")


def _t(action: str, label: str, sources: tuple[str, ...], target: str | None, permission: str = ACTION_WRITE,
       stamp: str | None = None) -> Transition:
    return Transition(action, label, sources, target, permission, stamp)


COMPLAINT = workflow(
    "complaint", _l("Complaint"), RESOURCE_QUALITY,
    {"open": _l("Open"), "investigating": _l("Investigating"), "resolved": _l("Resolved"), "closed": _l("Closed"),
     "rejected": _l("Rejected")},
    _t("edit", EDIT, ("open", "investigating", "resolved"), None),
    _t("investigate", _l("Start investigation"), ("open",), "investigating"),
    _t("resolve", _l("Resolve"), ("open", "investigating"), "resolved"),
    _t("close", _l("Close"), ("resolved",), "closed", ACTION_POST, stamp="closed"),
    _t("reject", _l("Reject"), ("open", "investigating"), "rejected", ACTION_POST, stamp="closed"),
    _t("reopen", _l("Reopen"), ("resolved", "closed", "rejected"), "investigating", ACTION_POST),
    initial="open",
)

CORRECTIVE_ACTION = workflow(
    "corrective_action", _l("Corrective action"), RESOURCE_QUALITY,
    {"open": _l("Open"), "in_progress": _l("In progress"), "done": _l("Done"), "closed": _l("Closed (effective)"),
     "cancelled": _l("Cancelled")},
    _t("edit", EDIT, ("open", "in_progress"), None),
    _t("start", _l("Start"), ("open",), "in_progress"),
    _t("complete", _l("Mark done"), ("open", "in_progress"), "done", stamp="done"),
    _t("close", _l("Close as effective"), ("done",), "closed", ACTION_POST, stamp="closed"),
    _t("reopen", _l("Not effective: reopen"), ("done",), "in_progress", ACTION_POST),
    _t("cancel", _l("Cancel"), ("open", "in_progress"), "cancelled", ACTION_POST),
    initial="open",
)


@dataclass(frozen=True)
class ParetoRow:
    key: object
    label: str
    count: int
    qty: Decimal
    cost: Decimal
    share: Decimal  # of the measure, %
    cumulative: Decimal  # %


def pareto(rows: Iterable[tuple[object, str, int, Decimal, Decimal]], measure: str = "count") -> list[ParetoRow]:
    """Causes ordered by `measure` (count, qty or cost), largest first, with share and cumulative share in %.

    Shares are rounded to 0.01 for display; the cumulative share is computed from the running exact sum,
    so the last row is exactly 100 whatever the rounding of the rows before it.
    """
    index = {"count": 2, "qty": 3, "cost": 4}[measure]
    data = sorted(rows, key=lambda r: (-Decimal(r[index]), str(r[1])))
    total = sum((Decimal(r[index]) for r in data), Decimal(0))
    out: list[ParetoRow] = []
    running = Decimal(0)
    cent = Decimal("0.01")
    for key, label, count, qty, cost in data:
        value = Decimal((count, qty, cost)[index - 2])
        running += value
        share = (value * 100 / total).quantize(cent) if total else Decimal(0)
        cumulative = (running * 100 / total).quantize(cent) if total else Decimal(0)
        out.append(ParetoRow(key, label, int(count), Decimal(qty), Decimal(cost), share, cumulative))
    return out
