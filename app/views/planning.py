"""Planning pages: the plan grid (items x weeks) with the pegging drill-down, Run plan and Firm, the
capacity load chart per work centre, the forecast per item with its chart and the user's override.

Every page reads what the last run stored (app.models.planning) and calls the planning services
through run_command, the same as the REST API (app/api/planning.py).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from flask import Response, request, url_for
from flask_appbuilder import BaseView
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.domain.errors import DomainError
from app.domain.money import parse_quantity
from app.extensions import db
from app.models.catalog import Item
from app.models.planning import CapacityLoad, ForecastFit, ForecastLine, PlannedOrder, PlanRun
from app.models.production import WorkCenter
from app.permissions import ACTION_READ, ACTION_WRITE, RESOURCE_PRODUCTION
from app.services.planning import engine
from app.services.planning.forecast import compute, current_settings, explain, override_line
from app.services.planning.labels import KIND_LABELS, LEVEL_LABELS, METHOD_LABELS, PERIOD_LABELS
from app.services.planning.pipeline import PIPELINE, load_pipeline
from app.services.planning.run import firm, run_plan
from app.views.base import fmt_date, fmt_number, fmt_qty, locale_name, run_command

PROPOSAL_STATE_LABELS = {"draft": _l("draft"), "sent": _l("sent"), "approved": _l("approved")}
STOCK_PEG = _l("stock (rounding the lot)")
FORECAST_PEG = _l("forecast")


def peg_label(origin: str, codes: dict[int, str]) -> str:
    """A peg in words: an order number as it is, the forecast, the lot's rounding, a parent's plan."""
    if origin == engine.STOCK:
        return str(STOCK_PEG)
    if origin == "forecast":
        return str(FORECAST_PEG)
    if origin.startswith(PIPELINE):
        return gettext("proposal %(number)s (pipeline, weighted by its win rate)", number=origin[len(PIPELINE):])
    if origin.startswith(engine.PARENT):
        item, _, due = origin[1:].partition(":")
        return gettext("plan of %(item)s for %(date)s", item=codes.get(int(item), item),
                       date=fmt_date(date.fromisoformat(due)))
    return origin


class _Page(BaseView):
    class_permission_name = RESOURCE_PRODUCTION
    default_view = "index"

    def page(self, template: str, **context: Any) -> str:
        return self.render_template(template, fmt_qty=fmt_qty, fmt_date=fmt_date, fmt_number=fmt_number,
                                    chart_locale=locale_name().replace("_", "-"), kind_labels=KIND_LABELS,
                                    **context)


class PlanView(_Page):
    """The plan grid, the Run plan button with the last run's progress, firming, the pegging drill-down."""

    route_base = "/planning"
    method_permission_name = {"index": ACTION_READ, "order": ACTION_READ, "run": ACTION_WRITE,
                              "firm_orders": ACTION_WRITE, "progress": ACTION_READ}

    @expose("/")
    @has_access
    def index(self) -> Any:
        rows = db.session.scalars(select(PlannedOrder).order_by(PlannedOrder.item_id, PlannedOrder.due_date)).all()
        items = _items({r.item_id for r in rows})
        weeks = sorted({r.due_date for r in rows})
        grid: dict[tuple[int, str], dict[date, PlannedOrder]] = defaultdict(dict)
        for r in rows:
            grid[(r.item_id, r.kind)][r.due_date] = r
        last = db.session.scalar(select(PlanRun).order_by(PlanRun.id.desc()).limit(1))
        return self.page("fabrika/planning_plan.html", title=gettext("Material plan"), grid=grid, weeks=weeks,
                         items=items, last=last, reschedule=_reschedule())

    @expose("/order/<int:pk>")
    @has_access
    def order(self, pk: int) -> Any:
        row = db.session.get(PlannedOrder, pk)
        if row is None:
            return self.page("fabrika/planning_order.html", title=gettext("Planned order"), row=None, pegs=[],
                             item=None)
        codes = dict(db.session.execute(select(Item.id, Item.code)).all())
        pegs = [(peg_label(k, codes), Decimal(v), _parent_link(k)) for k, v in row.pegs.items()]
        return self.page("fabrika/planning_order.html", title=gettext("Planned order"), row=row, pegs=pegs,
                         item=db.session.get(Item, row.item_id))

    @expose("/run", methods=["POST"])
    @has_access
    def run(self) -> Response:
        from app.services.base import current_actor

        return run_command(lambda: run_plan(db.session, username=current_actor().username),
                           lambda s: gettext("Plan ready: %(planned)s planned orders, %(created)s new, %(updated)s "
                                             "changed, %(removed)s gone", planned=s.planned, created=s.created,
                                             updated=s.updated, removed=s.removed), url_for("PlanView.index"))

    @expose("/progress")
    @has_access
    def progress(self) -> Any:
        last = db.session.scalar(select(PlanRun).order_by(PlanRun.id.desc()).limit(1))
        return {"state": last.state if last else "", "progress": last.progress if last else 0}

    @expose("/firm", methods=["POST"])
    @has_access
    def firm_orders(self) -> Response:
        ids = [int(v) for v in request.form.getlist("ids") if v.isdigit()]

        def command():
            if not ids:
                raise DomainError("Choose the planned orders to firm")
            return firm(db.session, ids)

        return run_command(command, lambda r: gettext("Firmed: %(mos)s production orders, %(lines)s purchase "
                                                      "request lines", mos=len(r.production), lines=len(r.requests)),
                           url_for("PlanView.index"))


def _reschedule() -> list[dict[str, Any]]:
    """The last finished run's reschedule messages, with item codes and dates to show."""
    from app.models.planning import RUN_DONE

    run = db.session.scalar(select(PlanRun).where(PlanRun.state == RUN_DONE).order_by(PlanRun.id.desc()).limit(1))
    rows = (run.stats or {}).get("reschedule", []) if run else []
    codes = dict(db.session.execute(select(Item.id, Item.code).where(Item.id.in_({r["item_id"] for r in rows})))
                 .all()) if rows else {}
    out = []
    for r in rows:
        need = date.fromisoformat(r["need"]) if r["need"] else None
        due = date.fromisoformat(r["due"])
        out.append({"ref": r["ref"], "item": codes.get(r["item_id"], r["item_id"]), "due": due, "need": need,
                    "earlier": need is not None and need < due})
    return out


def _parent_link(origin: str) -> int | None:
    if not origin.startswith(engine.PARENT):
        return None
    item, _, due = origin[1:].partition(":")
    return db.session.scalar(select(PlannedOrder.id).where(PlannedOrder.item_id == int(item),
                                                           PlannedOrder.due_date == date.fromisoformat(due)))


def _items(ids: set[int]) -> dict[int, Item]:
    if not ids:
        return {}
    return {i.id: i for i in db.session.scalars(select(Item).where(Item.id.in_(sorted(ids))))}


class CapacityView(_Page):
    """Load against available hours per work centre and week; overloaded weeks in red."""

    route_base = "/planning/capacity"
    method_permission_name = {"index": ACTION_READ}

    @expose("/")
    @has_access
    def index(self) -> Any:
        rows = db.session.scalars(select(CapacityLoad).order_by(CapacityLoad.work_center_id,
                                                                CapacityLoad.week_start)).all()
        centres = {wc.id: wc for wc in db.session.scalars(select(WorkCenter))}
        charts = defaultdict(lambda: {"weeks": [], "load": [], "capacity": [], "over": []})
        for r in rows:
            c = charts[r.work_center_id]
            c["weeks"].append(fmt_date(r.week_start))
            c["load"].append(str((r.load_minutes / 60).quantize(Decimal("0.1"))))
            c["capacity"].append(str((r.capacity_minutes / 60).quantize(Decimal("0.1"))))
            c["over"].append(r.overloaded)
        data = [{"id": wc, "name": centres[wc].label() if wc in centres else str(wc), **c}
                for wc, c in charts.items() if any(Decimal(v) for v in c["load"])]
        return self.page("fabrika/planning_capacity.html", title=gettext("Capacity load"), charts=data,
                         labels={"load": gettext("Load, h"), "capacity": gettext("Available, h")})


class ForecastView(_Page):
    """Per item: the chosen method and its errors; one item's history, held-out actuals and forecast."""

    route_base = "/planning/forecast"
    method_permission_name = {"index": ACTION_READ, "override": ACTION_WRITE, "recompute": ACTION_WRITE}

    @expose("/")
    @has_access
    def index(self) -> Any:
        fits = db.session.scalars(select(ForecastFit).order_by(ForecastFit.item_id)).all()
        items = _items({f.item_id for f in fits})
        chosen = request.args.get("item_id", type=int) or (fits[0].item_id if fits else None)
        today = date.today()
        level, period = current_settings(db.session)
        lines = db.session.scalars(select(ForecastLine).where(ForecastLine.item_id == chosen)
                                   .order_by(ForecastLine.period_start)).all() if chosen else []
        chart = _chart(explain(db.session, today, chosen, level, period), lines) if chosen else {}
        return self.page("fabrika/planning_forecast.html", title=gettext("Demand forecast"), fits=fits, items=items,
                         chosen=chosen, lines=lines, chart=chart, method_labels=METHOD_LABELS, level=level,
                         period=period, level_labels=LEVEL_LABELS, period_labels=PERIOD_LABELS,
                         pipeline=_pipeline(today))

    @expose("/recompute", methods=["POST"])
    @has_access
    def recompute(self) -> Response:
        level, period = request.form.get("level", ""), request.form.get("period", "")

        def command():
            if level not in LEVEL_LABELS:
                raise DomainError("Forecast level: choose per item or per item group", field="level")
            if period not in PERIOD_LABELS:
                raise DomainError("Forecast period: choose a month or a week", field="period")
            return compute(db.session, date.today(), level=level, period=period)

        return run_command(command, lambda n: gettext("Forecast recomputed for %(items)s items", items=n),
                           url_for("ForecastView.index"))

    @expose("/override/<int:pk>", methods=["POST"])
    @has_access
    def override(self, pk: int) -> Response:
        from app.services.base import current_actor

        def command():
            raw = (request.form.get("qty") or "").strip()
            value, err = parse_quantity(raw) if raw else (None, None)
            if err:
                raise DomainError("Override: write a quantity, zero or more", field="qty")
            return override_line(db.session, pk, value, current_actor().username)

        return run_command(command, lambda _: gettext("Forecast override saved"), url_for("ForecastView.index"))


def _series(values: list, offset: int, total: int) -> list[str | None]:
    """`values` placed from `offset` in a chart row of `total` points (None elsewhere: no point drawn)."""
    row: list[str | None] = [None] * total
    for k, v in enumerate(values):
        row[offset + k] = None if v is None else format(round(float(v), 2), "g")
    return row


def _chart(c, lines: list[ForecastLine]) -> dict[str, Any]:
    """History, the held-out actuals beside the backtest forecast for them, and the forecast ahead."""
    n, total = len(c.history), len(c.history) + len(lines)
    backtest = [v * c.share for v in c.fit.backtest] if c.fit else []
    held = c.history[n - c.hold:] if c.hold else []
    return {"labels": [fmt_date(d) for d in c.starts] + [fmt_date(ln.period_start) for ln in lines],
            "datasets": [
                {"label": gettext("History"), "data": _series(c.history[:n - c.hold] + [None] * c.hold, 0, total),
                 "color": "#31708f"},
                {"label": gettext("Held-out actuals"), "data": _series(held, n - c.hold, total), "color": "#3c763d"},
                {"label": gettext("Backtest forecast"), "data": _series(backtest, n - len(backtest), total),
                 "color": "#8e44ad", "dash": True},
                {"label": gettext("Forecast"), "data": _series([ln.effective for ln in lines], n, total),
                 "color": "#f0ad4e", "dash": True}]}


def class_label(cls: str, stages: dict[int, str]) -> str:
    """A win-rate class in words: the proposal's state or the deal's stage."""
    kind, _, key = cls.partition(":")
    if kind == "deal":
        return gettext("deal at stage %(stage)s", stage=stages.get(int(key), key))
    return gettext("proposal: %(state)s", state=str(PROPOSAL_STATE_LABELS.get(key, key)))


def plain_number(value: float, places: int) -> str:
    """A number in the reader's locale as text inside a sentence (fmt_number is a right-aligned cell)."""
    from babel.numbers import format_decimal

    return format_decimal(round(value, places), format="0." + "0" * places, locale=locale_name())


def _pipeline(today: date) -> dict[str, Any]:
    """The learned win rates per class, their Brier score and the open proposals they weight."""
    from app.models.crm import DealStage

    pipe = load_pipeline(db.session, today)
    stages = {s.id: s.label() for s in db.session.scalars(select(DealStage))}
    rates = [{"cls": class_label(cls, stages), "n": c.n, "won": c.won, "rate": float(pipe.model.rate(cls, None))}
             for cls, c in sorted(pipe.model.by_class.items()) if c.n]
    cases = [{"label": c.label, "cls": class_label(c.cls, stages), "segment": c.segment or "—", "due": c.due,
              "p": float(c.probability), "lines": len(c.lines)} for c in pipe.cases]
    brier = pipe.brier
    return {"rates": rates, "cases": cases, "brier": None if brier is None else plain_number(float(brier), 3),
            "closed": len(pipe.history)}


def register(appbuilder) -> None:
    from app.views.production.common import CAT_PRODUCTION

    cat = dict(category=CAT_PRODUCTION)
    appbuilder.add_separator(CAT_PRODUCTION)
    appbuilder.add_view(PlanView, "Material plan", label=_l("Material plan"), icon="fa-calendar", **cat)
    appbuilder.add_view(CapacityView, "Capacity load", label=_l("Capacity load"), icon="fa-tasks", **cat)
    appbuilder.add_view(ForecastView, "Demand forecast", label=_l("Demand forecast"), icon="fa-line-chart", **cat)
    from app.views import planning_registers

    planning_registers.register(appbuilder, CAT_PRODUCTION)


