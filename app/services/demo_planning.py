"""Demo data of planning (the Robokids story): the forecast from the shipments, the material plan that
covers the Robokids order, and the order's promise date with its reasons (the order page shows it)."""

from __future__ import annotations

from datetime import date

from app.extensions import db


def load() -> None:
    """Refit the forecast and run the plan once, as the nightly job would."""
    from app.services.planning.forecast import compute
    from app.services.planning.run import run_plan

    today = date.today()
    compute(db.session, today)
    run_plan(db.session, today, trigger="demo", username="demo")
