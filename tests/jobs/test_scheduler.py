"""The scheduler wiring: the registry's crontabs, one tick job per process, next slots; dev scheduler.

Schedulers are started paused, so nothing runs and nothing sleeps: the assertions are about what
each process schedules. Claiming fires is tested in test_claims.py, several processes in
test_scheduler_processes.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from app.jobs import claims, registry, scheduler
from app.jobs.registry import JobSpec


@pytest.fixture
def started():
    """start(app) -> a paused BackgroundScheduler configured from the registry."""
    running = []

    def _start(app):
        sched = scheduler.configure(BackgroundScheduler(), app, timezone="UTC")
        sched.start(paused=True)
        running.append(sched)
        return sched

    yield _start
    for sched in running:
        scheduler.shutdown(sched, wait=False)


def test_registry_entries_are_complete_and_loadable():
    ids = [spec.id for spec in registry.JOBS]
    assert len(ids) == len(set(ids))
    assert "backup" in ids
    for spec in registry.JOBS:
        assert callable(spec.load())
        assert isinstance(spec.trigger("UTC"), CronTrigger)
        assert str(spec.label)


def test_each_process_schedules_one_tick_that_claims_the_registry_jobs(app, started):
    app.config["SCHEDULER_TICK_SECONDS"] = 3
    sched = started(app)
    [tick] = sched.get_jobs()
    assert tick.id == scheduler.TICK_JOB_ID and isinstance(tick.trigger, IntervalTrigger)
    assert tick.trigger.interval == timedelta(seconds=3)
    assert (tick.coalesce, tick.max_instances) == (True, 1)
    assert sched.fabrika_ticker.specs() == registry.JOBS


def test_a_six_field_crontab_counts_seconds():
    spec = JobSpec("probe", "tests.jobs.fake_jobs:succeed", "*/10 * * * * *", "Probe")
    at = datetime(2026, 12, 7, 10, 0, 25)
    assert claims.latest_slot(spec, "UTC", datetime(2026, 12, 7, 10, 0, 0), at) == datetime(2026, 12, 7, 10, 0, 20)


def test_a_bad_crontab_fails_when_configuring(app, monkeypatch):
    monkeypatch.setattr(registry, "JOBS", [JobSpec("bad", "app.jobs.backup:nightly_backup", "61 * * * *", "x")])
    with pytest.raises(ValueError):
        scheduler.configure(BackgroundScheduler(), app, timezone="UTC")


def test_the_jobs_status_shows_the_next_slot_and_the_last_claimed_one(app, session):
    before = datetime.now(UTC).replace(tzinfo=None)
    statuses = {s.spec.id: s for s in scheduler.job_statuses(session, "UTC")}
    backup = statuses["backup"]
    assert (backup.next_run.hour, backup.next_run.minute) == (2, 0)
    assert timedelta(0) < backup.next_run - before <= timedelta(days=1)
    assert backup.last_slot is None and backup.last_run is None
    claims.ensure_schedules(session, ["backup"])
    fire = claims.claim(session, registry.get_job("backup"), "UTC", "host-a:1", backup.next_run + timedelta(minutes=1))
    assert scheduler.job_statuses(session, "UTC")[0].last_slot == fire.slot == backup.next_run


def test_the_dev_scheduler_is_never_started_in_a_gunicorn_worker(app):
    try:
        assert scheduler.start_dev_scheduler(app, "gunicorn/27.0.1", paused=True) is None
        assert scheduler.start_dev_scheduler(app, "Werkzeug/3.1", paused=True) is None  # decided once
    finally:
        scheduler.stop_dev_scheduler()


def test_the_dev_scheduler_starts_once_in_process(app):
    try:
        sched = scheduler.start_dev_scheduler(app, "Werkzeug/3.1", paused=True)
        assert sched is not None and sched.running
        assert scheduler.start_dev_scheduler(app, "Werkzeug/3.1") is sched
        assert sched.get_job(scheduler.TICK_JOB_ID) is not None
    finally:
        scheduler.stop_dev_scheduler()
