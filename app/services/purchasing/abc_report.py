"""The ABC result page's view-model: ranked rows, per-class summary, Pareto chart data, export rows.

The classification itself is app.domain.abc over the measure computed by
app.services.purchasing.methods (one GROUP BY over the ledger or the invoices); this module only
shapes the result for the page, the chart and the XLSX export.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from app.domain import abc as abc_domain
from app.services.purchasing.methods import classify
from app.services.purchasing.params import MethodParams

CHART_POINTS = 200  # the chart shows the first 200 items; the table and export show all


@dataclass
class AbcRowView:
    rank: int
    item_id: int
    code: str
    name: str
    qty: Decimal
    value: Decimal
    share: Decimal
    cumulative: Decimal
    klass: str


@dataclass
class AbcReport:
    params: MethodParams
    rows: list[AbcRowView] = field(default_factory=list)
    summary: dict[str, dict[str, Any]] = field(default_factory=dict)
    chart: dict[str, list] = field(default_factory=dict)


def abc_report(session: Session, p: MethodParams, locale: str = "en") -> AbcReport:
    """Classify and shape every row (the page paginates in the template, the export takes all)."""
    ranked, usage, items = classify(session, p)
    lang = locale.split("_")[0]
    rows = [AbcRowView(r.rank, r.key, items[r.key].code, items[r.key].label(lang), usage[r.key].qty,
                       r.value, r.share, r.cumulative, r.klass) for r in ranked]
    head = rows[:CHART_POINTS]
    chart = {"labels": [r.code for r in head], "values": [str(r.value) for r in head],
             "cumulative": [str(r.cumulative) for r in head], "classes": [r.klass for r in head],
             "thresholds": [str(p.threshold_a), str(p.threshold_b)]}
    return AbcReport(p, rows, abc_domain.summary(ranked), chart)


def export_rows(report: AbcReport) -> list[list[Any]]:
    return [[r.rank, r.code, r.name, r.qty, r.value, r.share, r.cumulative, r.klass] for r in report.rows]
