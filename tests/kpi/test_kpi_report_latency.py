"""A scheduled report leaves the outbox within 60 s of its time.

The scheduled-reports job is registered every minute, and a report's schedule is a crontab of whole
minutes, so the job's fire at a report's slot is that very slot: the delay is the scheduler's claim
interval (SCHEDULER_TICK_SECONDS) plus building and sending, measured here with the job run as the
scheduler runs it (one JobRun) against a local SMTP server.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from app.jobs import registry
from app.jobs.runner import run_job
from app.models.base import utcnow
from app.models.kpi import ScheduledReport, ScheduledReportRun
from app.services.kpi.reports import next_slot
from tests.kpi import factories_kpi as fk
from tests.purchasing import factories_purchasing as pf

GOAL = 60.0


@pytest.mark.parametrize("cron", ["0 7 * * 1", "30 6 * * 1-5", "5 * * * *", "0 8 1 * *", "*/15 9-17 * * *"])
def test_the_job_fires_at_every_report_slot(app, cron):
    after = datetime(2026, 12, 5, 23, 59, 30)
    slot = next_slot(cron, after)
    trigger = registry.get_job("scheduled-reports").trigger(UTC)
    fire = trigger.get_next_fire_time(None, slot.replace(tzinfo=UTC) - timedelta(microseconds=1))
    assert fire.astimezone(UTC).replace(tzinfo=None) == slot


def test_a_due_report_reaches_the_mail_server_well_within_a_minute(app, session, smtp_server):
    controller, handler = smtp_server
    fk.sales_history(session)  # two posted invoices: the overdue list is not empty
    pf.company(smtp_host="127.0.0.1", smtp_port=controller.port, mail_from="reports@robofabrika.example")
    slot = utcnow().replace(microsecond=0)  # the scheduler fires the job at the report's slot: now
    report = ScheduledReport(name="Overdue", report="overdue_invoices", fmt="pdf", language="es",
                             recipients="director@robofabrika.example", cron="* * * * *", skip_empty=False,
                             next_run_at=slot)
    session.add(report)
    session.commit()
    started = time.perf_counter() - (utcnow() - slot).total_seconds()
    outcome = run_job("scheduled-reports")
    elapsed = time.perf_counter() - started
    tick = float(app.config.get("SCHEDULER_TICK_SECONDS", 5))
    assert outcome.status == "success", outcome
    assert len(handler.messages) == 1 and handler.messages[0].rcpt_tos == ["director@robofabrika.example"]
    run = session.query(ScheduledReportRun).one()
    assert (run.slot, run.status) == (slot, "sent")
    assert elapsed + tick < GOAL, elapsed
