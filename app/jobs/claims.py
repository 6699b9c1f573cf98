"""Each scheduled fire claimed once in the database: any number of scheduler processes, on any hosts.

APScheduler 3 has no locking between processes, so the processes do not share its job store. Each
runs one APScheduler interval job, the tick (`tick`), which for every registered job:

1. locks the job's JobSchedule row (FOR UPDATE SKIP LOCKED on PostgreSQL: a process busy claiming
   it is skipped, not waited for; on SQLite the transaction's BEGIN IMMEDIATE serialises claims),
2. re-reads it and computes the latest cron slot after the last one claimed (a backlog of missed
   slots fires once, coalesced; a slot is never lost while no scheduler runs),
3. claims it: a JobFire row, unique per job and slot, with a lease; never while an earlier fire of
   the same job still holds an unexpired lease (no overlapping runs),
4. takes over a fire whose lease ran out (its process died): same row, new owner, one more attempt.

A claimed fire runs in this process's thread pool. While it runs, a heartbeat renews the lease.
The fire is marked done *inside the job's own transaction*, conditioned on still owning it: a job
that lost its claim (taken over after a stall) rolls back instead of committing a second time, so
a fire's effects are committed exactly once. Only short transactions and row locks are used, never
session-level advisory locks, so this works through pgbouncer in transaction pooling mode.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.jobs.registry import JobSpec
from app.models.audit import JobRun
from app.models.jobs import FIRE_CLAIMED, FIRE_DONE, FIRE_FAILED, JobFire, JobSchedule
from app.services.base import is_postgres, unit_of_work

log = logging.getLogger(__name__)
DEFAULT_LEASE = timedelta(seconds=120)
# How far back a job that was never claimed looks for a due slot (a first start, a new job).
FIRST_LOOKBACK = timedelta(hours=1)
# How far back a backlog is searched: older missed slots coalesce into the latest one anyway.
MAX_LOOKBACK = timedelta(days=2)
TICK = timedelta(microseconds=1)  # "strictly after": triggers round up to the next whole second


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def owner_id() -> str:
    """Which process claimed a fire: host and pid, shown on the job runs page."""
    return f"{socket.gethostname()}:{os.getpid()}"


def due_jobs(session: Session, specs: list[JobSpec], timezone: Any, now: datetime) -> list[JobSpec]:
    """The jobs worth a claim transaction now, from one read without locks (the claim re-checks),
    the longest waiting first: a busy process claims only what it has workers for, so no job starves."""
    slots = dict(session.execute(select(JobSchedule.job_id, JobSchedule.last_slot)).all())
    live = dict(session.execute(select(JobFire.job_id, func.min(JobFire.lease_until))
                                .where(JobFire.state == FIRE_CLAIMED).group_by(JobFire.job_id)).all())
    due = []
    for spec in specs:
        if spec.id in live:
            if live[spec.id] < now:
                due.append(spec)  # abandoned: take it over
        elif latest_slot(spec, timezone, slots.get(spec.id), now) is not None:
            due.append(spec)
    return sorted(due, key=lambda spec: slots.get(spec.id) or datetime.min)


class LostClaim(Exception):
    """The fire was taken over by another scheduler while this one ran it: roll the job back."""


@dataclass(frozen=True)
class Fire:
    """A fire this process owns and must run."""

    id: int
    job_id: str
    slot: datetime
    owner: str
    attempt: int
    run_id: int | None = None


# The fire a scheduled job runs for (its slot: "yesterday" is relative to it), None for "Run now".
current_fire: ContextVar[Fire | None] = ContextVar("current_fire", default=None)


@lru_cache(maxsize=256)
def _trigger(spec: JobSpec, timezone: Any) -> Any:
    return spec.trigger(timezone)


def latest_slot(spec: JobSpec, timezone: Any, after: datetime | None, now: datetime) -> datetime | None:
    """The latest fire time of `spec` in (after, now], UTC naive; None when nothing is due.

    Searched backwards from `now` in doubling windows, so a job firing every second costs a few
    trigger steps whatever the lookback, and a daily one a dozen.
    """
    floor = max(after, now - MAX_LOOKBACK) if after else now - FIRST_LOOKBACK
    trigger = _trigger(spec, timezone)
    width = timedelta(seconds=2)
    while True:
        start = max(now - width, floor)
        found = _last_fire_in(trigger, start, now)
        if found is not None or start <= floor:
            return found
        width *= 2


def _last_fire_in(trigger: Any, start: datetime, end: datetime) -> datetime | None:
    """The last fire time in (start, end]."""
    found = None
    candidate = trigger.get_next_fire_time(None, _aware(start + TICK))
    while candidate is not None and _naive(candidate) <= end:
        found = _naive(candidate)
        candidate = trigger.get_next_fire_time(candidate, candidate + TICK)
    return found


def next_slot(spec: JobSpec, timezone: Any, now: datetime) -> datetime | None:
    """The next fire time after `now` (the jobs page), UTC naive."""
    fire = _trigger(spec, timezone).get_next_fire_time(None, _aware(now + TICK))
    return _naive(fire) if fire else None


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC)


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def _insert(session: Session):
    return pg_insert if is_postgres(session) else sqlite_insert


def ensure_schedules(session: Session, job_ids: Iterable[str]) -> None:
    """One JobSchedule row per registered job (concurrent starts insert each once)."""
    with unit_of_work(session):
        rows = [{"job_id": job_id} for job_id in job_ids]
        if rows:
            session.execute(_insert(session)(JobSchedule).values(rows).on_conflict_do_nothing())


def claim_due(session: Session, specs: list[JobSpec], timezone: Any, owner: str, now: datetime,
              lease: timedelta = DEFAULT_LEASE) -> list[Fire]:
    """Claim the due fire of each job in `specs`, or take over its abandoned one, in one short
    transaction: lock the jobs' rows first (on PostgreSQL, rows another process is claiming right
    now are skipped, not waited for), then re-read their live fires, then check.

    Each claimed fire gets its JobRun ("running", this process) in the same transaction, so the
    run is visible at once and the job's own transaction can finish it.
    """
    by_id = {spec.id: spec for spec in specs}
    fires: list[Fire] = []
    with unit_of_work(session):
        locked = session.scalars(select(JobSchedule).where(JobSchedule.job_id.in_(sorted(by_id)))
                                 .order_by(JobSchedule.job_id).with_for_update(skip_locked=True)
                                 .execution_options(populate_existing=True)).all()
        live = {f.job_id: f for f in session.scalars(
            select(JobFire).where(JobFire.job_id.in_([s.job_id for s in locked]), JobFire.state == FIRE_CLAIMED)
            .with_for_update().execution_options(populate_existing=True))}
        for schedule in locked:
            fire = live.get(schedule.job_id)
            if fire is not None:
                if fire.lease_until < now:
                    fires.append(_take_over(session, fire, owner, now, lease))
                continue
            slot = latest_slot(by_id[schedule.job_id], timezone, schedule.last_slot, now)
            if slot is not None:
                fire = JobFire(job_id=schedule.job_id, slot=slot, state=FIRE_CLAIMED, claimed_by=owner,
                               claimed_at=now, lease_until=now + lease, attempts=1)
                session.add(fire)
                schedule.last_slot = slot
                fires.append(_with_run(session, fire))
    return fires


def claim(session: Session, spec: JobSpec, timezone: Any, owner: str, now: datetime,
          lease: timedelta = DEFAULT_LEASE) -> Fire | None:
    """claim_due for one job: its fire, or None when there is nothing to do."""
    found = claim_due(session, [spec], timezone, owner, now, lease)
    return found[0] if found else None


def _with_run(session: Session, fire: JobFire) -> Fire:
    """The fire's JobRun, "running" in this process from the claim on."""
    from app.services.base import SYSTEM
    from app.services.jobs import STATUS_RUNNING, TRIGGER_SCHEDULE

    run = JobRun(job_id=fire.job_id, trigger=TRIGGER_SCHEDULE, username=SYSTEM.username, status=STATUS_RUNNING,
                 started_at=utc_now(), runner=fire.claimed_by[:128])
    session.add(run)
    session.flush()
    fire.run_id = run.id
    session.flush()
    return Fire(fire.id, fire.job_id, fire.slot, fire.claimed_by, fire.attempts, run.id)


def _take_over(session: Session, fire: JobFire, owner: str, now: datetime, lease: timedelta) -> Fire:
    from app.services.jobs import abandon_run

    log.warning("job %s: taking over the fire of %s from %s (lease ran out at %s)",
                fire.job_id, fire.slot, fire.claimed_by, fire.lease_until)
    if fire.run_id:
        abandon_run(session, fire.run_id, fire.claimed_by)
    fire.claimed_by, fire.claimed_at, fire.lease_until = owner, now, now + lease
    fire.attempts += 1
    return _with_run(session, fire)


def complete(session: Session, fire: Fire, state: str = FIRE_DONE) -> None:
    """Mark the fire finished, inside the job's transaction; LostClaim when another process owns it."""
    done = session.execute(update(JobFire).where(
        JobFire.id == fire.id, JobFire.claimed_by == fire.owner, JobFire.state == FIRE_CLAIMED,
    ).values(state=state, finished_at=utc_now()).execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise LostClaim(f"fire {fire.id} of {fire.job_id} was taken over by another scheduler")


def renew(session: Session, fire: Fire, lease: timedelta = DEFAULT_LEASE) -> bool:
    """Extend the lease of a running fire (the heartbeat); False when it is no longer ours."""
    with unit_of_work(session):
        done = session.execute(update(JobFire).where(
            JobFire.id == fire.id, JobFire.claimed_by == fire.owner, JobFire.state == FIRE_CLAIMED,
        ).values(lease_until=utc_now() + lease).execution_options(synchronize_session=False))
        return done.rowcount == 1


class Heartbeat:
    """Renews a fire's lease every third of it, on a session of its own, until stopped."""

    def __init__(self, app: Any, fire: Fire, lease: timedelta) -> None:
        self._app, self._fire, self._lease = app, fire, lease
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{fire.id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _beat(self) -> None:
        from app.extensions import db

        interval = max(self._lease.total_seconds() / 3, 0.05)
        while not self._stop.wait(interval):
            with self._app.app_context():
                try:
                    if not renew(db.session, self._fire, self._lease):
                        return
                except Exception:  # noqa: BLE001 - a busy database: try again at the next beat
                    log.warning("could not renew the lease of fire %s", self._fire.id, exc_info=True)
                finally:
                    db.session.remove()


def run_fire(app: Any, fire: Fire, lease: timedelta = DEFAULT_LEASE) -> None:
    """Run a claimed fire through the runner, with the heartbeat keeping its lease."""
    from app.extensions import db
    from app.jobs.runner import run_claimed

    token = current_fire.set(fire)
    with app.app_context():
        try:
            with Heartbeat(app, fire, lease):
                run_claimed(fire)
        except Exception:  # noqa: BLE001 - the scheduler must carry on
            log.exception("fire %s of %s failed outside the job", fire.id, fire.job_id)
        finally:
            db.session.remove()
            current_fire.reset(token)


class Ticker:
    """One scheduler process's claims: the tick claims due fires and hands them to a thread pool."""

    def __init__(self, app: Any, specs: list[JobSpec] | None = None, timezone: Any = None,
                 lease: timedelta = DEFAULT_LEASE, workers: int = 4, owner: str | None = None) -> None:
        self.app, self._specs, self.timezone, self.lease = app, specs, timezone, lease
        self.owner = owner or owner_id()
        self.workers = workers
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="job")
        self._running: set[int] = set()
        self._lock = threading.Lock()
        self._ensured = False

    def specs(self) -> list[JobSpec]:
        from app.jobs import registry

        return self._specs if self._specs is not None else list(registry.JOBS)

    def tick(self, now: datetime | None = None) -> list[Fire]:
        """Claim what is due now, as much as this process has free workers for, and start it; returns
        the fires started. A fire waiting in a queue would let its lease run out for nothing, while
        another process with free workers could have claimed it."""
        from app.extensions import db
        from app.services.base import end_read_transaction

        started: list[Fire] = []
        free = self.workers - self.running()
        if free <= 0:
            return started
        with self.app.app_context():
            try:
                specs = self.specs()
                if not self._ensured:
                    ensure_schedules(db.session, [s.id for s in specs])
                    self._ensured = True
                moment = now or utc_now()
                due = due_jobs(db.session, specs, self.timezone, moment)
                end_read_transaction(db.session)
                if due:
                    started = claim_due(db.session, due[:free], self.timezone, self.owner, moment, self.lease)
            finally:
                db.session.remove()
        for fire in started:
            self._start(fire)
        return started

    def _start(self, fire: Fire) -> None:
        with self._lock:
            self._running.add(fire.id)
        future = self.pool.submit(run_fire, self.app, fire, self.lease)
        future.add_done_callback(lambda _f, fid=fire.id: self._done(fid))

    def _done(self, fire_id: int) -> None:
        with self._lock:
            self._running.discard(fire_id)

    def running(self) -> int:
        with self._lock:
            return len(self._running)

    def shutdown(self, wait: bool = True) -> None:
        self.pool.shutdown(wait=wait)


def mark_failed(session: Session, fire: Fire) -> None:
    """A job that failed is finished too: its fire is not run again (the failure is on record)."""
    with unit_of_work(session):
        session.execute(update(JobFire).where(JobFire.id == fire.id, JobFire.claimed_by == fire.owner,
                                              JobFire.state == FIRE_CLAIMED)
                        .values(state=FIRE_FAILED, finished_at=utc_now())
                        .execution_options(synchronize_session=False))
