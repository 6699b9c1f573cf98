"""The scheduler wiring: registry jobs with explicit ids, defaults, next run times; sync on restart.

Schedulers are started paused, so nothing runs and nothing sleeps: the assertions are about what
the job store holds.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select

from app.jobs import registry, scheduler
from app.jobs.registry import JobSpec
from app.jobs.runner import RUNNER_REF, run_scheduled
from app.models.audit import JobRun


@pytest.fixture
def started():
    """start(store) -> a paused BackgroundScheduler on `store` configured from the registry."""
    running = []

    def _start(app, store=None):
        sched = scheduler.configure(BackgroundScheduler(), app, jobstore=store or MemoryJobStore(), timezone="UTC")
        sched.start(paused=True)
        running.append(sched)
        return sched

    yield _start
    for sched in running:
        if sched.running:
            sched.shutdown(wait=False)


def test_registry_entries_are_complete_and_loadable():
    ids = [spec.id for spec in registry.JOBS]
    assert len(ids) == len(set(ids))
    assert "backup" in ids
    for spec in registry.JOBS:
        assert callable(spec.load())
        assert isinstance(spec.trigger("UTC"), CronTrigger)
        assert str(spec.label)


def test_the_registry_jobs_are_scheduled_with_ids_defaults_and_next_run_times(app, started):
    before = datetime.now(UTC)
    sched = started(app)

    jobs = {job.id: job for job in sched.get_jobs()}
    assert set(jobs) == {spec.id for spec in registry.JOBS}
    backup = jobs["backup"]
    assert backup.func_ref == RUNNER_REF and backup.args == ("backup",)
    assert (backup.coalesce, backup.max_instances, backup.misfire_grace_time) == (True, 1, 3600)
    nxt = backup.next_run_time
    assert (nxt.hour, nxt.minute, nxt.second) == (2, 0, 0)  # "0 2 * * *" in UTC
    assert timedelta(0) < nxt - before <= timedelta(days=1)


def test_every_fake_cron_gets_its_own_next_run(app, started, fake_jobs):
    before = datetime.now(UTC)
    sched = started(app)

    every_five = sched.get_job("fake-ok").next_run_time  # "*/5 * * * *"
    assert every_five.minute % 5 == 0 and every_five.second == 0
    assert timedelta(0) < every_five - before <= timedelta(minutes=5)
    assert sched.get_job("fake-boom").next_run_time.hour == 3


def test_a_changed_job_is_replaced_and_an_unregistered_one_removed(app, started, monkeypatch):
    sched = started(app)
    sched.add_job(RUNNER_REF, "interval", hours=1, args=["gone"], id="gone")
    others = {spec.id: "removed" for spec in registry.JOBS if spec.id != "backup"}
    monkeypatch.setattr(registry, "JOBS", [JobSpec("backup", "app.jobs.backup:nightly_backup", "30 4 * * *", "b")])

    report = scheduler.sync_jobs(sched)

    assert report == {"gone": "removed", "backup": "updated", **others}
    assert [job.id for job in sched.get_jobs()] == ["backup"]
    assert (sched.get_job("backup").next_run_time.hour, sched.get_job("backup").next_run_time.minute) == (4, 30)


def test_a_bad_crontab_fails_when_configuring(app, monkeypatch):
    monkeypatch.setattr(registry, "JOBS", [JobSpec("bad", "app.jobs.backup:nightly_backup", "61 * * * *", "x")])
    with pytest.raises(ValueError):
        scheduler.configure(BackgroundScheduler(), app, jobstore=MemoryJobStore(), timezone="UTC")


def test_restarts_on_the_database_store_keep_one_job_and_its_missed_run(app, session, monkeypatch):
    """Explicit ids + replace_existing: one job per id however often the process restarts; an
    unchanged job keeps its stored next run time, so a run missed while down still fires."""
    monkeypatch.setattr(registry, "JOBS", [spec for spec in registry.JOBS if spec.id == "backup"])
    session.commit()  # SQLite: the job store writes on its own connection
    try:
        first = scheduler.configure(BackgroundScheduler(), app, timezone="UTC")
        first.start(paused=True)
        first.shutdown()
        missed = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
        _set_stored_next_run("backup", missed)  # as if the process was down when the run was due

        second = scheduler.configure(BackgroundScheduler(), app, timezone="UTC")
        second.start(paused=True)
        assert [job.id for job in second.get_jobs()] == ["backup"]
        assert second.get_job("backup").next_run_time == missed
        assert scheduler.sync_jobs(second) == {"backup": "kept"}

        expected = missed.replace(tzinfo=None)
        assert scheduler.stored_next_runs(session) == {"backup": expected}
        [status] = scheduler.job_statuses(session)
        assert status.spec.id == "backup" and status.next_run == expected and status.last_run is None
        session.rollback()
        # APScheduler 3 processes due jobs once more while shutting down: drop them first.
        second.remove_all_jobs()
        second.shutdown()
    finally:
        session.rollback()
        _drop_job_store(session)


def _set_stored_next_run(job_id: str, when: datetime) -> None:
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    from app.extensions import db

    store = SQLAlchemyJobStore(engine=db.engine, tablename=scheduler.JOBSTORE_TABLE)
    store.start(BackgroundScheduler(timezone="UTC"), "default")
    job = store.lookup_job(job_id)
    job._modify(next_run_time=when)
    store.update_job(job)


def _drop_job_store(session) -> None:
    from sqlalchemy import text

    session.execute(text(f"DROP TABLE IF EXISTS {scheduler.JOBSTORE_TABLE}"))
    session.commit()


def test_no_job_store_table_means_nothing_scheduled_yet(session):
    assert scheduler.stored_next_runs(session) == {}


def test_the_stored_job_runs_the_registered_job_through_the_runner(app, session, started):
    sched = started(app)
    job = sched.get_job("backup")
    assert job.func is run_scheduled
    session.commit()

    job.func(*job.args)  # what the executor calls when the trigger fires

    session.rollback()
    run = session.scalars(select(JobRun)).one()
    assert (run.job_id, run.trigger, run.status) == ("backup", "schedule", "success")
    assert run.message.startswith("fabrika-")


def test_the_dev_scheduler_is_never_started_in_a_gunicorn_worker(app):
    try:
        assert scheduler.start_dev_scheduler(app, "gunicorn/27.0.1", jobstore=MemoryJobStore()) is None
        assert scheduler.start_dev_scheduler(app, "Werkzeug/3.1", jobstore=MemoryJobStore()) is None  # decided once
    finally:
        scheduler.stop_dev_scheduler()


def test_the_dev_scheduler_starts_once_in_process(app):
    try:
        sched = scheduler.start_dev_scheduler(app, "Werkzeug/3.1", jobstore=MemoryJobStore())
        assert sched is not None and sched.running
        assert scheduler.start_dev_scheduler(app, "Werkzeug/3.1") is sched
        assert sched.get_job("backup") is not None
    finally:
        scheduler.stop_dev_scheduler()
