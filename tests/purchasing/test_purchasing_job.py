"""The nightly reorder job: registered, runs the configured methods, records the run, feeds the dashboard."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from app.extensions import db
from app.jobs.registry import get_job
from app.jobs.runner import run_job
from app.models.audit import JobRun
from app.models.purchasing import PurchaseRequest, PurchaseRequestLine, PurchasingRun
from app.services.purchasing.settings import dashboard, save_settings
from tests import factories as f
from tests.purchasing import factories_purchasing as pf

D = Decimal
TODAY = pf.TODAY


def _story():
    wh = f.warehouse()
    cpu, bolt = f.item("CPU"), f.item("BOLT")
    sup = pf.supplier("Alpha")
    pf.offer(sup, cpu, "100")
    pf.offer(sup, bolt, "2", pack="100")
    f.receipt(wh, [(cpu, 30, 90), (bolt, 50, 2)], on=TODAY - timedelta(days=40))
    pf.consume(cpu, wh, "28", TODAY - timedelta(days=10))
    pf.reorder_point(bolt, wh, "100", "300")
    return wh, cpu, bolt


def test_job_registered_and_runs_configured_methods(base):
    wh, cpu, bolt = _story()
    save_settings(db.session, ["minmax", "sales"], {"sales": {"period_days": "30", "safety_days": "0"}}, wh.id, "5")
    assert get_job("purchasing-reorder").func == "app.jobs.purchasing:nightly_reorder"
    outcome = run_job("purchasing-reorder")
    assert outcome.ok, outcome.message
    assert outcome.counts["requests"] == 1 and outcome.counts["lines"] == 2
    lines = {ln.item.code: ln for ln in db.session.scalars(select(PurchaseRequestLine))}
    # BOLT: 50 < 100 -> 300 - 50 = 250 -> packs of 100: 300; CPU: 28 / 30 x (0 lead + 0) ... offer lead 5:
    # 0.9333 x 5 = 4.6665 - 2 on hand = 2.6665, whole pieces: 3
    assert lines["BOLT"].qty == D(300) and lines["BOLT"].source == "minmax"
    assert lines["CPU"].qty == D(3) and lines["CPU"].source == "sales"
    run = db.session.scalar(select(PurchasingRun))
    assert (run.trigger, run.methods, run.requests_created, run.lines_created, run.value_base) == (
        "schedule", "sales,minmax", 1, 2, D("900.00"))
    assert db.session.scalar(select(JobRun.status).where(JobRun.job_id == "purchasing-reorder")) == "success"
    board = dashboard(db.session)
    assert board.latest.id == run.id and board.requests_by_state["draft"] == (1, D("900.00"))
    again = run_job("purchasing-reorder")
    assert again.counts["lines"] == 0
    assert db.session.scalar(select(func.count()).select_from(PurchaseRequestLine)) == 2


def test_job_without_methods_fails_with_a_message(base):
    _story()
    save_settings(db.session, [], {}, None, "7")
    outcome = run_job("purchasing-reorder")
    assert not outcome.ok and "No method is chosen" in outcome.message


def test_two_concurrent_runs_never_duplicate(app, base):
    """Two runs at once (threads, each its own session): one request, one line per item."""
    wh, *_ = _story()
    save_settings(db.session, ["minmax"], {}, wh.id, "5")
    db.session.commit()
    barrier = threading.Barrier(2)
    results = []

    def worker():
        with app.app_context():
            from app.services.purchasing.settings import nightly_run

            try:
                barrier.wait()
                results.append(nightly_run(db.session).stats.lines_created)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert Counter(results) == Counter({1: 1, 0: 1})
    assert db.session.scalar(select(func.count()).select_from(PurchaseRequest)) == 1
    assert db.session.scalar(select(func.count()).select_from(PurchaseRequestLine)) == 1
