"""Defect analysis: Pareto by cause, defects per lot / production order / supplier / item, trend by month.

Each figure is one grouped query over the complaints of the period (rejected complaints are not
defects and are left out); the cost of quality is the sum of the complaints' cost columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain.quality import ParetoRow, pareto
from app.models.catalog import Item
from app.models.partners import Partner
from app.models.production import ProductionOrder
from app.models.quality import Complaint, DefectCause
from app.models.stock import StockLot
from app.services.quality.complaints import COST_FIELDS

ZERO = Decimal(0)
DIMENSIONS = ("cause", "lot", "production_order", "supplier", "item", "component_lot")
_COLUMN = {"cause": Complaint.cause_id, "lot": Complaint.lot_id, "production_order": Complaint.production_order_id,
           "supplier": Complaint.supplier_id, "item": Complaint.item_id, "component_lot": Complaint.component_lot_id}


@dataclass(frozen=True)
class Period:
    start: date | None = None
    end: date | None = None

    def where(self, q):
        q = q.where(Complaint.state != "rejected")
        if self.start:
            q = q.where(Complaint.complaint_date >= self.start)
        if self.end:
            q = q.where(Complaint.complaint_date <= self.end)
        return q


def _measures():
    return (func.count(Complaint.id), func.sum(Complaint.qty), *(func.sum(getattr(Complaint, f)) for f in COST_FIELDS))


def grouped(session: Session, dimension: str, period: Period) -> list[tuple[object, str, int, Decimal, Decimal]]:
    """(key, label, complaints, defective qty, cost of quality) per value of `dimension`."""
    column = _COLUMN[dimension]
    rows = session.execute(period.where(select(column, *_measures()).group_by(column))).all()
    labels = _labels(session, dimension, [r[0] for r in rows if r[0] is not None])
    out = []
    for key, count, qty, *costs in rows:
        label = labels.get(key, "") if key is not None else gettext("Not given")
        out.append((key, label, int(count), qty or ZERO, sum((c or ZERO for c in costs), ZERO)))
    return out


def _labels(session: Session, dimension: str, keys: list) -> dict:
    if not keys:
        return {}
    if dimension == "cause":
        return {c.id: c.label() for c in session.scalars(select(DefectCause).where(DefectCause.id.in_(keys)))}
    if dimension == "item":
        return {i.id: str(i) for i in session.scalars(select(Item).where(Item.id.in_(keys)))}
    if dimension == "supplier":
        return dict(session.execute(select(Partner.id, Partner.name).where(Partner.id.in_(keys))).all())
    if dimension == "production_order":
        return {o.id: str(o) for o in session.scalars(select(ProductionOrder).where(ProductionOrder.id.in_(keys)))}
    lots = session.execute(select(StockLot.id, StockLot.code, StockLot.doc_number).where(StockLot.id.in_(keys)))
    return {i: code or f"#{i} {number}".strip() for i, code, number in lots}


def pareto_by(session: Session, period: Period, measure: str = "count", dimension: str = "cause") -> list[ParetoRow]:
    return pareto(grouped(session, dimension, period), measure)


def trend_by_month(session: Session, period: Period) -> list[dict]:
    """Complaints, defective quantity and cost of quality per calendar month, oldest first."""
    q = period.where(select(Complaint.complaint_date, Complaint.qty, *(getattr(Complaint, f) for f in COST_FIELDS)))
    months: dict[str, dict] = {}
    for day, qty, *costs in session.execute(q):
        m = months.setdefault(f"{day:%Y-%m}", {"month": f"{day:%Y-%m}", "count": 0, "qty": ZERO, "cost": ZERO})
        m["count"] += 1
        m["qty"] += qty or ZERO
        m["cost"] += sum((c or ZERO for c in costs), ZERO)
    return [months[k] for k in sorted(months)]


def chart(rows: list[ParetoRow], measure: str) -> dict:
    """What the Pareto chart draws: labels, the measure per cause and the cumulative share."""
    value = {"count": lambda r: r.count, "qty": lambda r: r.qty, "cost": lambda r: r.cost}[measure]
    return {"labels": [r.label for r in rows], "values": [str(value(r)) for r in rows],
            "cumulative": [str(r.cumulative) for r in rows]}
