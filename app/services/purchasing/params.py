"""Parameters of the generation methods: parsed from a page form, the API or the settings, validated
all at once (one DomainError listing every problem, nothing written).

A period is either explicit (date_from, date_to) or rolling (period_days ending on the run date):
the nightly job keeps "the last 90 days" in its settings, a buyer on the page picks dates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from app.domain.abc import check_thresholds
from app.domain.errors import Collector
from app.domain.money import read_decimal
from app.models.purchasing import METHOD_ABC, METHOD_INVOICES, METHOD_MATRIX, METHOD_MINMAX, METHOD_SALES, METHODS

CRITERIA = ("revenue", "quantity", "margin", "orders")
ABC_SOURCES = ("ledger", "invoices")
DEFAULT_PERIOD_DAYS = 90
MAX_DAYS = 3660


@dataclass
class MethodParams:
    """Everything any method may use; each method reads the fields it needs."""

    method: str
    warehouse_id: int | None = None
    group_id: int | None = None
    on_date: date = field(default_factory=date.today)
    date_from: date | None = None
    date_to: date | None = None
    safety_days: int = 0
    default_lead_time: int = 7
    include_writeoffs: bool = False
    criterion: str = "revenue"
    source: str = "ledger"
    threshold_a: Decimal = Decimal(80)
    threshold_b: Decimal = Decimal(95)
    cover_days: dict[str, int | None] = field(default_factory=lambda: {"A": 30, "B": 14, "C": None})

    @property
    def days(self) -> int:
        assert self.date_from is not None and self.date_to is not None
        return (self.date_to - self.date_from).days + 1

    def as_reason(self) -> dict[str, str]:
        out = {"method": self.method}
        if self.date_from and self.date_to:
            out["period"] = f"{self.date_from.isoformat()} – {self.date_to.isoformat()}"
        return out


def _text(raw: dict[str, Any], key: str) -> str:
    value = raw.get(key)
    return "" if value is None else str(value).strip()


def _number(text: str, key: str, parse: Callable[[str], Any], problems: Collector, msgid: str) -> Any:
    """`text` read by `parse` (int, Decimal), or None with the problem noted: a word, NaN or infinity."""
    try:
        value = parse(text)
    except (ValueError, InvalidOperation):
        value = None
    if value is None or (isinstance(value, Decimal) and not value.is_finite()):
        problems.add(msgid, field=key, value=text)
        return None
    return value


def _int(raw: dict[str, Any], key: str, default: int | None, problems: Collector, msgid: str) -> int | None:
    text = _text(raw, key)
    if text == "":
        return default
    value = _number(text, key, int, problems, "Not a whole number: %(value)s")
    if value is None:
        return default
    if value < 0:
        problems.add(msgid, field=key, value=value)
    if value > MAX_DAYS:
        problems.add("The number %(value)s is too large", field=key, value=value)
    return value


def _date(raw: dict[str, Any], key: str, problems: Collector) -> date | None:
    value = raw.get(key)
    if isinstance(value, date):
        return value
    text = _text(raw, key)
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.add("Not a date: %(value)s", field=key, value=text)
        return None


def _decimal(raw: dict[str, Any], key: str, default: Decimal, problems: Collector) -> Decimal:
    text = _text(raw, key)
    if not text:
        return default
    value = _number(text, key, read_decimal, problems, "Not a number: %(value)s")
    return default if value is None else value


def _bool(raw: dict[str, Any], key: str) -> bool:
    value = raw.get(key)
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in ("1", "true", "on", "yes")


def _period(raw: dict[str, Any], on_date: date, problems: Collector) -> tuple[date | None, date | None]:
    date_from, date_to = _date(raw, "date_from", problems), _date(raw, "date_to", problems)
    if date_from is None and date_to is None:
        days = _int(raw, "period_days", DEFAULT_PERIOD_DAYS, problems, "The period must have at least one day")
        if days is not None and days < 1:
            problems.add("The period must have at least one day", field="period_days")
            days = 1
        date_to = on_date
        date_from = on_date - timedelta(days=(days or DEFAULT_PERIOD_DAYS) - 1)
    elif date_from is None or date_to is None:
        problems.add("Give both the start and the end of the period", field="date_from")
    elif date_to < date_from:
        problems.add("The period ends (%(end)s) before it starts (%(start)s)", field="date_to",
                     start=date_from.isoformat(), end=date_to.isoformat())
    elif (date_to - date_from).days >= MAX_DAYS:
        problems.add("The period is too long (at most %(days)s days)", field="date_to", days=MAX_DAYS)
    return date_from, date_to


def _cover_days(raw: dict[str, Any], problems: Collector) -> dict[str, int | None]:
    """Per class: cover days, or None for "skip" (policy_X = "skip" or cover_X empty)."""
    out: dict[str, int | None] = {}
    defaults = {"A": 30, "B": 14, "C": None}
    for klass in ("A", "B", "C"):
        policy = _text(raw, f"policy_{klass}").lower()
        key = f"cover_{klass}"
        if policy == "skip":
            out[klass] = None
            continue
        if key not in raw:
            out[klass] = defaults[klass]
            continue
        if _text(raw, key) == "":
            out[klass] = None
            continue
        out[klass] = _int(raw, key, None, problems, "Cover days cannot be negative (class %(klass)s)")
        if out[klass] is not None and out[klass] < 0:
            problems.problems[-1].params["klass"] = klass
    return out


def parse_params(method: str, raw: dict[str, Any], on_date: date | None = None) -> MethodParams:
    """Validate the raw parameters of a method; one DomainError with every problem."""
    problems = Collector()
    if method not in METHODS:
        problems.add("Unknown method: %(method)s", method=method)
        problems.raise_if_any()
    p = MethodParams(method=method, on_date=on_date or _date(raw, "on_date", problems) or date.today())
    p.warehouse_id = _id(raw.get("warehouse_id"))
    p.group_id = _id(raw.get("group_id"))
    if method in (METHOD_SALES, METHOD_INVOICES, METHOD_ABC):
        p.date_from, p.date_to = _period(raw, p.on_date, problems)
    if method == METHOD_SALES:
        p.safety_days = _int(raw, "safety_days", 0, problems, "Safety days cannot be negative") or 0
        p.include_writeoffs = _bool(raw, "include_writeoffs")
    if method in (METHOD_SALES, METHOD_ABC):
        p.default_lead_time = _int(raw, "default_lead_time", 7, problems, "Lead time cannot be negative") or 0
    if method == METHOD_ABC:
        _abc(raw, p, problems)
    problems.raise_if_any()
    return p


def _abc(raw: dict[str, Any], p: MethodParams, problems: Collector) -> None:
    p.criterion = _text(raw, "criterion") or "revenue"
    if p.criterion not in CRITERIA:
        problems.add("Unknown criterion: %(value)s", field="criterion", value=p.criterion)
    p.source = _text(raw, "source") or "ledger"
    if p.source not in ABC_SOURCES:
        problems.add("Unknown data source: %(value)s", field="source", value=p.source)
    p.threshold_a = _decimal(raw, "threshold_a", Decimal(80), problems)
    p.threshold_b = _decimal(raw, "threshold_b", Decimal(95), problems)
    for msgid in check_thresholds(p.threshold_a, p.threshold_b):
        problems.add(msgid, field="threshold_a")
    p.cover_days = _cover_days(raw, problems)


def _id(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


PARAM_KEYS = {
    METHOD_SALES: ("warehouse_id", "group_id", "date_from", "date_to", "period_days", "safety_days",
                   "default_lead_time", "include_writeoffs"),
    METHOD_INVOICES: ("warehouse_id", "group_id", "date_from", "date_to", "period_days"),
    METHOD_MATRIX: ("warehouse_id", "group_id"),
    METHOD_ABC: ("warehouse_id", "group_id", "date_from", "date_to", "period_days", "criterion", "source",
                 "threshold_a", "threshold_b", "cover_A", "cover_B", "cover_C", "policy_A", "policy_B", "policy_C",
                 "default_lead_time"),
    METHOD_MINMAX: ("warehouse_id", "group_id"),
}
