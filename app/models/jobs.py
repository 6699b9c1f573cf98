"""Scheduled fires claimed in the database, so that any number of scheduler processes can run.

`JobSchedule` is one row per registered job: the mutex a scheduler locks (FOR UPDATE SKIP LOCKED on
PostgreSQL, the write lock on SQLite) to claim the job's next fire, and the last slot claimed.
`JobFire` is one row per fire slot, unique per job and time: who claimed it, until when the claim
holds (the lease, renewed while the job runs), and how it ended. A process that dies leaves its
fire claimed with a lease that runs out; another process takes it over. See app/jobs/claims.py.
"""

from __future__ import annotations

from datetime import datetime

from flask_appbuilder import Model
from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Keyed, utcnow

FIRE_CLAIMED = "claimed"
FIRE_DONE = "done"
FIRE_FAILED = "failed"


class JobSchedule(Model):
    """A registered job's claim row: locked by the scheduler that claims the job's next fire."""

    __tablename__ = "job_schedule"
    job_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_slot: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class JobFire(Keyed, Model):
    """One fire slot of one job, claimed once (UTC, naive datetimes)."""

    __tablename__ = "job_fire"
    __table_args__ = (
        UniqueConstraint("job_id", "slot", name="uq_job_fire_slot"),
        Index("ix_job_fire_state_lease", "state", "lease_until"),
    )
    job_id: Mapped[str] = mapped_column(String(64), nullable=False)
    slot: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    state: Mapped[str] = mapped_column(String(16), default=FIRE_CLAIMED, nullable=False)
    claimed_by: Mapped[str] = mapped_column(String(128), nullable=False)
    claimed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    lease_until: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("job_run.id"), nullable=True)

    def __repr__(self) -> str:
        return f"{self.job_id} {self.slot:%Y-%m-%d %H:%M:%S} {self.state}"
