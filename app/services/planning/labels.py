"""The words for the planning registers' codes (planned order kind, run state and trigger, forecast
method, level and period), shared by the planning pages and the vocabulary registry that the lists,
cards, filters and exports read (app/services/vocabulary.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l

KIND_LABELS = {"make": _l("Make"), "buy": _l("Buy")}
RUN_STATE_LABELS = {"running": _l("Running"), "done": _l("Done"), "failed": _l("Failed")}
TRIGGER_LABELS = {"manual": _l("By hand"), "schedule": _l("On schedule"), "demo": _l("Demo data"),
                  "api": _l("Through the API")}
METHOD_LABELS = {"naive": _l("Naive (last value)"), "seasonal_naive": _l("Seasonal naive"),
                 "moving_average": _l("Moving average"), "ses": _l("Exponential smoothing"),
                 "croston_sba": _l("Croston (intermittent)")}
LEVEL_LABELS = {"item": _l("Per item"), "group": _l("Per item group")}
PERIOD_LABELS = {"month": _l("By month"), "week": _l("By week")}

REGISTRY: dict[tuple[str, str], Mapping[str, Any]] = {
    ("planned_order", "kind"): KIND_LABELS,
    ("plan_run", "state"): RUN_STATE_LABELS,
    ("plan_run", "trigger"): TRIGGER_LABELS,
    ("forecast_fit", "method"): METHOD_LABELS,
    ("forecast_fit", "level"): LEVEL_LABELS,
    ("forecast_fit", "period"): PERIOD_LABELS,
    ("forecast_line", "period"): PERIOD_LABELS,
}
