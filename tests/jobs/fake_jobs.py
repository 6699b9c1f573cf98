"""Job functions for the tests: one that succeeds with counts, ones that fail in different ways."""

from __future__ import annotations

from decimal import Decimal

from app.domain.errors import DomainError
from app.extensions import db
from app.models.core import Currency
from app.services.base import current_actor
from app.services.jobs import JobResult

CALLS: list[str] = []


def succeed() -> JobResult:
    CALLS.append(current_actor().username)
    return JobResult(message="3 items checked", counts={"items": 3, "value": Decimal("1.50")})


def explode() -> JobResult:
    raise RuntimeError("boom")


def refuse() -> JobResult:
    raise DomainError("Nothing to do for %(what)s", what="widgets")


def write_then_fail() -> JobResult:
    db.session.add(Currency(code="ZZZ", name="Half-written"))
    db.session.flush()
    raise RuntimeError("failed after writing")


def write_and_leave_pending() -> None:
    db.session.add(Currency(code="YYY", name="Pending"))
