"""The runner records every run as one JobRun row: success with counts, failure with the message."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.domain.errors import DomainError
from app.jobs import runner
from app.models.audit import JobRun
from app.models.core import Currency
from app.services.base import Actor
from app.services.jobs import STATUS_FAILED, STATUS_SUCCESS, TRIGGER_MANUAL, TRIGGER_SCHEDULE


def _runs(session, job_id):
    session.rollback()
    return session.scalars(select(JobRun).where(JobRun.job_id == job_id).order_by(JobRun.id)).all()


def test_success_is_recorded_with_message_and_counts(session, fake_jobs):
    outcome = runner.run_job("fake-ok", TRIGGER_MANUAL, Actor(7, "alice"))

    assert outcome.ok and outcome.status == STATUS_SUCCESS
    [run] = _runs(session, "fake-ok")
    assert (run.status, run.trigger, run.username) == (STATUS_SUCCESS, "manual", "alice")
    assert run.message == "3 items checked"
    assert json.loads(run.counts) == {"items": 3, "value": "1.50"}  # Decimal kept exact, not a float
    assert run.finished_at is not None and run.finished_at >= run.started_at
    assert fake_jobs.CALLS == ["alice"]  # the job ran as the given actor


def test_a_job_that_raises_is_recorded_as_failed_and_the_runner_returns(session, fake_jobs):
    outcome = runner.run_job("fake-boom")

    assert outcome.status == STATUS_FAILED and isinstance(outcome.error, RuntimeError)
    [run] = _runs(session, "fake-boom")
    assert run.status == STATUS_FAILED
    assert run.message == "RuntimeError: boom"
    assert run.trigger == TRIGGER_SCHEDULE and run.username == "system"
    assert run.finished_at is not None and run.counts == ""


def test_a_domain_error_is_recorded_with_its_rendered_message(session, fake_jobs):
    outcome = runner.run_job("fake-refuse")

    assert isinstance(outcome.error, DomainError)
    assert _runs(session, "fake-refuse")[0].message == "Nothing to do for widgets"


def test_the_work_of_a_failed_job_is_rolled_back(session, fake_jobs):
    runner.run_job("fake-half")

    assert _runs(session, "fake-half")[0].status == STATUS_FAILED
    assert session.scalar(select(Currency).where(Currency.code == "ZZZ")) is None


def test_what_a_successful_job_left_pending_is_committed(session, fake_jobs):
    runner.run_job("fake-pending")

    session.remove()
    assert session.scalar(select(Currency).where(Currency.code == "YYY")) is not None


def test_a_job_whose_function_is_missing_is_recorded_as_failed(session, fake_jobs):
    outcome = runner.run_job("fake-missing")

    assert outcome.status == STATUS_FAILED
    assert "no_such_function" in _runs(session, "fake-missing")[0].message


def test_an_unknown_job_is_refused_and_nothing_is_recorded(session, fake_jobs):
    with pytest.raises(DomainError, match="Unknown job"):
        runner.run_job("no-such-job")
    assert session.scalars(select(JobRun)).all() == []


def test_every_run_gets_its_own_row(session, fake_jobs):
    runner.run_job("fake-ok")
    runner.run_job("fake-boom")
    runner.run_job("fake-ok")

    statuses = [(r.job_id, r.status) for r in session.scalars(select(JobRun).order_by(JobRun.id))]
    assert statuses == [("fake-ok", "success"), ("fake-boom", "failed"), ("fake-ok", "success")]


def test_run_scheduled_opens_its_own_app_context_and_records_a_scheduled_run(app, session, fake_jobs):
    runner.set_app(app)
    session.commit()

    runner.run_scheduled("fake-boom")  # must not raise: the scheduler carries on

    [run] = _runs(session, "fake-boom")
    assert (run.trigger, run.status, run.username) == (TRIGGER_SCHEDULE, STATUS_FAILED, "system")
