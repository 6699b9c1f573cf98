"""The planning registers as lists (filterable, sortable, paginated, exportable like every register):
plan runs, planned orders, capacity load, forecast fits and forecast lines. They are read-only: the
plan and the forecast are written by their runs (app/services/planning), a forecast override is made
on the forecast page. Codes (kind, state, method, level, period) read as words through
app/services/planning/labels.py in the vocabulary registry."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from app.models.planning import CapacityLoad, ForecastFit, ForecastLine, PlannedOrder, PlanRun
from app.permissions import RESOURCE_PRODUCTION
from app.views.base import ReadOnlyModelView, fmt_qty, interface
from app.views.labels import COMMON_LABELS
from app.views.titles import titles

LABELS = COMMON_LABELS | {
    "finished_at": _l("Finished"), "progress": _l("Progress, %"), "message": _l("Message"), "stats": _l("Result"),
    "start_date": _l("Start"), "pegs": _l("Serves"), "late": _l("Late"), "moved_weeks": _l("Moved earlier, weeks"),
    "supplier": _l("Supplier"), "updated_at": _l("Updated"), "work_center": _l("Work centre"),
    "week_start": _l("Week"), "load_minutes": _l("Load, min"), "capacity_minutes": _l("Available, min"),
    "method": _l("Method"), "period": _l("Period"), "level": _l("Level"), "item_group": _l("Item group"),
    "mase": "MASE", "wape": "WAPE", "naive_wape": _l("Naive WAPE"), "period_start": _l("Period start"),
    "override_qty": _l("Override"), "overridden_by": _l("Overridden by"),
}
STAT_LABELS = {"items": _l("items"), "recomputed": _l("recomputed"), "planned": _l("planned"), "created": _l("new"),
               "updated": _l("changed"), "removed": _l("gone"), "overloaded": _l("overloaded weeks")}


def _stats(value: dict[str, Any] | None) -> str:
    return ", ".join(f"{STAT_LABELS.get(k, k)}: {v}" for k, v in (value or {}).items())


def _pegs(value: dict[str, str] | None) -> str:
    """The pegs in words with the reader's numbers; item codes read once per request."""
    from flask import g
    from sqlalchemy import select

    from app.extensions import db
    from app.models.catalog import Item
    from app.views.planning import peg_label, plain_number

    codes = getattr(g, "planning_item_codes", None)
    if codes is None:
        codes = g.planning_item_codes = dict(db.session.execute(select(Item.id, Item.code)).all())
    return ", ".join(f"{peg_label(k, codes)}: {plain_number(float(v), 2).rstrip('0').rstrip(',.')}"
                     for k, v in (value or {}).items())


class _PlanningList(ReadOnlyModelView):
    class_permission_name = RESOURCE_PRODUCTION
    label_columns = LABELS
    base_order = ("id", "desc")


@titles(_l("Plan runs"), _l("Plan run"))
class PlanRunView(_PlanningList):
    datamodel = interface(PlanRun)
    list_columns = ["started_at", "finished_at", "trigger", "username", "state", "progress", "stats"]
    show_columns = [*list_columns, "message"]
    search_columns = ["started_at", "trigger", "username", "state"]
    formatters_columns = {"stats": _stats}


@titles(_l("Planned orders"), _l("Planned order"))
class PlannedOrderView(_PlanningList):
    datamodel = interface(PlannedOrder)
    list_columns = ["item", "kind", "start_date", "due_date", "qty", "late", "moved_weeks", "supplier", "pegs"]
    show_columns = [*list_columns, "updated_at"]
    search_columns = ["item", "kind", "due_date", "late", "supplier"]
    base_order = ("due_date", "asc")
    formatters_columns = {"qty": fmt_qty, "pegs": _pegs}


@titles(_l("Capacity load by week"), _l("Capacity load of a week"))
class CapacityLoadView(_PlanningList):
    datamodel = interface(CapacityLoad)
    list_columns = show_columns = ["work_center", "week_start", "load_minutes", "capacity_minutes"]
    search_columns = ["work_center", "week_start"]
    base_order = ("week_start", "asc")
    formatters_columns = {"load_minutes": fmt_qty, "capacity_minutes": fmt_qty}


@titles(_l("Forecast methods"), _l("Forecast method"))
class ForecastFitView(_PlanningList):
    datamodel = interface(ForecastFit)
    list_columns = show_columns = ["item", "level", "item_group", "period", "method", "wape", "mase", "naive_wape",
                                   "updated_at"]
    search_columns = ["item", "level", "item_group", "period", "method"]


@titles(_l("Forecast lines"), _l("Forecast line"))
class ForecastLineView(_PlanningList):
    datamodel = interface(ForecastLine)
    list_columns = show_columns = ["item", "period", "period_start", "qty", "override_qty", "overridden_by"]
    search_columns = ["item", "period", "period_start", "overridden_by"]
    base_order = ("period_start", "asc")
    formatters_columns = {"qty": fmt_qty, "override_qty": fmt_qty}


VIEWS = ((PlanRunView, "Plan runs", _l("Plan runs")), (PlannedOrderView, "Planned orders", _l("Planned orders")),
         (CapacityLoadView, "Capacity load by week", _l("Capacity load by week")),
         (ForecastFitView, "Forecast methods", _l("Forecast methods")),
         (ForecastLineView, "Forecast lines", _l("Forecast lines")))


def register(appbuilder, category: str) -> None:
    for view, name, label in VIEWS:
        appbuilder.add_view(view, name, label=label, icon="fa-list", category=category)
