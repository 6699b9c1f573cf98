"""Purchasing settings (which methods the nightly run uses, and their parameters), the nightly run
itself, and the dashboard's figures.

Parameters are kept raw (as a form would send them) per method and validated by parse_params both
when saved and when run, so a setting that became invalid (a deleted warehouse) is reported by the
run instead of silently skipped. Periods in the settings are rolling ("period_days"): the nightly
run always looks at the last N days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from app.domain import numbers
from app.domain.errors import DomainError, Problem
from app.domain.money import ZERO
from app.models.purchasing import METHODS, PurchaseOrder, PurchaseRequest, PurchasingRun, PurchasingSettings
from app.services.base import unit_of_work
from app.services.purchasing.methods import RunSummary, generate
from app.services.purchasing.orders import RECEIVABLE
from app.services.purchasing.params import PARAM_KEYS, parse_params

DEFAULT_METHODS = ["minmax"]
DEFAULT_PARAMETERS: dict[str, dict[str, str]] = {
    "sales": {"period_days": "90", "safety_days": "7", "default_lead_time": "7"},
    "invoices": {"period_days": "30"},
    "matrix": {},
    "abc": {"period_days": "90", "criterion": "revenue", "threshold_a": "80", "threshold_b": "95", "cover_A": "30",
            "cover_B": "14", "policy_C": "skip"},
    "minmax": {},
}


def get_settings(session: Session) -> PurchasingSettings:
    """The settings row, or an unsaved one with the defaults (reading never writes)."""
    row = session.scalar(select(PurchasingSettings).order_by(PurchasingSettings.id).limit(1))
    if row is None:
        row = PurchasingSettings(nightly_methods=list(DEFAULT_METHODS),
                                 parameters={k: dict(v) for k, v in DEFAULT_PARAMETERS.items()},
                                 default_lead_time_days=7)
    return row


def _machine(text: str) -> str:
    """A typed parameter in machine form when it is a number in the typist's format, else as typed."""
    try:
        return numbers.machine_text(numbers.parse_number(text, numbers.input_locale())) if text else text
    except numbers.NumberError:
        return text


def method_raw(settings: PurchasingSettings, method: str) -> dict[str, Any]:
    raw = dict(DEFAULT_PARAMETERS.get(method, {}))
    raw.update((settings.parameters or {}).get(method, {}))
    if settings.warehouse_id and not raw.get("warehouse_id"):
        raw["warehouse_id"] = settings.warehouse_id
    raw.setdefault("default_lead_time", str(settings.default_lead_time_days))
    return raw


def save_settings(session: Session, methods: list[str], parameters: dict[str, dict[str, Any]],
                  warehouse_id: int | None, default_lead_time_days: Any) -> PurchasingSettings:
    """Validate every method's parameters (all problems at once) and save the one settings row."""
    problems: list[Problem] = []
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        problems.append(Problem("Unknown method: %(method)s", {"method": ", ".join(unknown)}))
    try:
        lead = int(str(default_lead_time_days).strip() or "7")
        if lead < 0:
            problems.append(Problem("Lead time cannot be negative"))
    except ValueError:
        lead = 7
        problems.append(Problem("Not a whole number: %(value)s", {"value": default_lead_time_days}))
    clean: dict[str, dict[str, str]] = {}
    for method in METHODS:
        raw = {k: str(v).strip() for k, v in (parameters.get(method) or {}).items() if k in PARAM_KEYS[method]}
        # kept in machine form ("0.125"): typed "0,125" on a Russian page and read by tonight's job alike
        clean[method] = {k: _machine(v) for k, v in raw.items()}
        try:
            parse_params(method, {**raw, "warehouse_id": warehouse_id})
        except DomainError as exc:
            problems += exc.problems
    if problems:
        raise DomainError(problems)
    with unit_of_work(session):
        row = get_settings(session)
        row.nightly_methods = [m for m in METHODS if m in methods]
        row.parameters = clean
        row.warehouse_id = warehouse_id
        row.default_lead_time_days = lead
        session.add(row)
        session.flush()
        return row


def nightly_run(session: Session, on_date: date | None = None, trigger: str = "schedule") -> RunSummary:
    """Run the configured methods in order, in one transaction, and leave the run's summary."""
    settings = get_settings(session)
    methods = [m for m in settings.nightly_methods or [] if m in METHODS]
    if not methods:
        raise DomainError("No method is chosen for the nightly run: choose them in the purchasing settings")
    with numbers.stored():  # the settings are kept in machine form, whoever presses "run now"
        params = [parse_params(m, method_raw(settings, m), on_date) for m in methods]
    return generate(session, params, trigger=trigger)


@dataclass
class Dashboard:
    runs: list[PurchasingRun] = field(default_factory=list)
    requests_by_state: dict[str, tuple[int, Decimal]] = field(default_factory=dict)
    orders_open: list[PurchaseOrder] = field(default_factory=list)
    orders_open_count: int = 0
    latest: PurchasingRun | None = None


def dashboard(session: Session, limit: int = 10) -> Dashboard:
    runs = list(session.scalars(select(PurchasingRun).order_by(PurchasingRun.id.desc()).limit(limit)))
    by_state = {state: (count, total or ZERO) for state, count, total in session.execute(
        select(PurchaseRequest.state, func.count(), func.sum(PurchaseRequest.total_base))
        .group_by(PurchaseRequest.state))}
    open_orders = list(session.scalars(
        select(PurchaseOrder).where(PurchaseOrder.state.in_(RECEIVABLE))
        .options(joinedload(PurchaseOrder.supplier), joinedload(PurchaseOrder.currency))
        .order_by(PurchaseOrder.expected_date.is_(None), PurchaseOrder.expected_date, PurchaseOrder.id).limit(limit)))
    count = session.scalar(select(func.count()).select_from(PurchaseOrder)
                           .where(PurchaseOrder.state.in_(RECEIVABLE))) or 0
    return Dashboard(runs, by_state, open_orders, count, runs[0] if runs else None)
