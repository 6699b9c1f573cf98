"""Fire claims: each scheduled slot claimed once, a backlog once, no overlap, takeover after the lease.

Two scheduler processes are played by two owner names on one database; the clock is passed in,
so nothing sleeps. The multi-process run with a SIGKILL is in test_scheduler_processes.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.jobs import claims, registry
from app.jobs.registry import JobSpec
from app.jobs.runner import run_claimed
from app.models.audit import JobRun
from app.models.core import Currency
from app.models.jobs import FIRE_DONE, FIRE_FAILED, JobFire

EVERY_5 = JobSpec("fake-ok", "tests.jobs.fake_jobs:succeed", "*/5 * * * *", "Fake OK")
T = datetime(2026, 12, 7, 10, 17, 30)
LEASE = timedelta(minutes=10)


def _claim(session, owner: str, now: datetime, spec: JobSpec = EVERY_5):
    claims.ensure_schedules(session, [spec.id])
    return claims.claim(session, spec, "UTC", owner, now, LEASE)


def _finish(session, fire) -> None:
    from app.services.base import unit_of_work

    with unit_of_work(session):
        claims.complete(session, fire)


@pytest.mark.parametrize(("after", "now", "expected"), [
    (datetime(2026, 12, 7, 10, 0), T, datetime(2026, 12, 7, 10, 15)),
    (None, T, datetime(2026, 12, 7, 10, 15)),  # first start: the last slot within the hour
    (datetime(2026, 12, 7, 10, 15), T, None),  # nothing new yet
    (datetime(2026, 12, 7, 10, 0), datetime(2026, 12, 7, 13, 2), datetime(2026, 12, 7, 13, 0)),  # coalesced
    (datetime(2026, 12, 1, 2, 0), T, datetime(2026, 12, 7, 10, 15)),  # down for days: once, the latest
])
def test_the_latest_due_slot(after, now, expected):
    assert claims.latest_slot(EVERY_5, "UTC", after, now) == expected


def test_a_slot_is_claimed_once_and_a_later_one_after_it_finished(session):
    first = _claim(session, "host-a:1", T)
    assert first is not None and first.slot == datetime(2026, 12, 7, 10, 15) and first.attempt == 1
    assert _claim(session, "host-b:2", T) is None  # same slot: already claimed
    assert _claim(session, "host-b:2", T + timedelta(minutes=3)) is None  # 10:20 due, 10:15 still running
    _finish(session, first)
    second = _claim(session, "host-b:2", T + timedelta(minutes=3))
    assert second is not None and second.slot == datetime(2026, 12, 7, 10, 20) and second.owner == "host-b:2"
    fires = session.scalars(select(JobFire).order_by(JobFire.slot)).all()
    assert [(f.slot.minute, f.claimed_by) for f in fires] == [(15, "host-a:1"), (20, "host-b:2")]
    assert fires[0].state == FIRE_DONE


def test_a_fire_whose_lease_ran_out_is_taken_over_and_the_old_owner_cannot_finish_it(session):
    first = _claim(session, "host-a:1", T)
    assert _claim(session, "host-b:2", T + LEASE - timedelta(seconds=1)) is None  # lease still holds
    taken = _claim(session, "host-b:2", T + LEASE + timedelta(seconds=1))
    assert taken is not None and (taken.id, taken.slot, taken.attempt) == (first.id, first.slot, 2)
    with pytest.raises(claims.LostClaim):
        _finish(session, first)
    _finish(session, taken)
    fire = session.get(JobFire, first.id)
    assert (fire.state, fire.claimed_by, fire.attempts) == (FIRE_DONE, "host-b:2", 2)


def test_renewing_the_lease_keeps_the_fire(session):
    first = _claim(session, "host-a:1", T)
    assert claims.renew(session, first, timedelta(days=1))
    assert _claim(session, "host-b:2", T + LEASE * 10) is None


def test_a_scheduled_run_marks_its_fire_done_and_names_its_process(app, session, fake_jobs):
    fire = _claim(session, "host-a:1", T)
    outcome = run_claimed(fire)
    assert outcome.ok
    run = session.get(JobRun, outcome.run_id)
    stored = session.get(JobFire, fire.id)
    assert (run.runner, stored.state, stored.run_id) == ("host-a:1", FIRE_DONE, run.id)


def test_a_failed_job_marks_its_fire_failed_and_it_is_not_run_again(app, session, fake_jobs, monkeypatch):
    boom = JobSpec("fake-boom", "tests.jobs.fake_jobs:explode", "*/5 * * * *", "Fake boom")
    fire = _claim(session, "host-a:1", T, boom)
    assert not run_claimed(fire).ok
    assert session.get(JobFire, fire.id).state == FIRE_FAILED
    assert _claim(session, "host-b:2", T + timedelta(minutes=2), boom) is None  # not retried; 10:20 not yet due


def test_a_job_that_lost_its_claim_rolls_its_work_back(app, session, fake_jobs):
    half = JobSpec("fake-pending", "tests.jobs.fake_jobs:write_and_leave_pending", "*/5 * * * *", "Pending")
    fire = _claim(session, "host-a:1", T, half)
    taken = _claim(session, "host-b:2", T + LEASE * 2, half)  # host-a stalled past its lease
    assert taken is not None
    outcome = run_claimed(fire)  # host-a wakes up and finishes
    assert not outcome.ok and "taken over" in outcome.message
    assert session.scalars(select(Currency).where(Currency.code == "YYY")).first() is None
    run_claimed(taken)
    assert len(session.scalars(select(Currency).where(Currency.code == "YYY")).all()) == 1


def test_the_tick_claims_due_jobs_and_runs_them_in_its_pool(app, session, fake_jobs):
    spec = next(s for s in registry.JOBS if s.id == "fake-ok")
    ticker = claims.Ticker(app, specs=[spec], timezone="UTC", owner="host-t:9")
    session.commit()
    try:
        started = ticker.tick(now=T)
        assert [f.slot for f in started] == [datetime(2026, 12, 7, 10, 15)]
        assert ticker.tick(now=T) == []  # claimed already
    finally:
        ticker.shutdown(wait=True)
    session.rollback()
    run = session.scalars(select(JobRun).where(JobRun.job_id == "fake-ok")).one()
    assert (run.status, run.runner) == ("success", "host-t:9")
    assert fake_jobs.CALLS == ["system"]
