"""The register of data imports: each run of an import (its kind, who, the file, counts, state)."""

from __future__ import annotations

from datetime import date, datetime

from flask_appbuilder import Model
from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from app.models.base import Keyed, utcnow

IMPORT_STATES = ("uploaded", "checked", "done", "failed")


class ImportRun(Keyed, Model):
    """One uploaded file of one import kind and what became of it.

    The file itself is kept (deferred: lists never load it), so an import can be checked again with
    another column mapping, applied later, and audited afterwards ("which file made these prices").
    """

    __tablename__ = "import_run"
    __table_args__ = (
        CheckConstraint("state IN ('uploaded','checked','done','failed')", name="ck_import_state"),
        Index("ix_import_run_created", "created_at"),
    )
    kind: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    username: Mapped[str] = mapped_column(String(100), default="", nullable=False)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("ab_user.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    file_name: Mapped[str] = mapped_column(String(255), default="", nullable=False)
    content: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    file_locale: Mapped[str] = mapped_column(String(8), default="", nullable=False)  # how its numbers are written
    on_date: Mapped[date | None] = mapped_column(Date, nullable=True)  # opening stock: the balance date
    mapping: Mapped[str] = mapped_column(Text, default="{}", nullable=False)  # JSON {column key: header}
    state: Mapped[str] = mapped_column(String(16), default="uploaded", nullable=False, index=True)
    rows_total: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    rows_new: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    rows_changed: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    rows_same: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    rows_bad: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    result: Mapped[str] = mapped_column(Text, default="", nullable=False)  # documents made, first refusal
    preview: Mapped[str] = deferred(mapped_column(Text, default="", nullable=False))  # JSON: rows shown, problems

    def __repr__(self) -> str:
        return f"{self.kind} {self.file_name}"


class ImportProgress(Model):
    """How far a check or import running in the background is (the run page polls it).

    A row of its own, not columns of the run: the check or import holds the run's row locked for its
    whole transaction, and the progress is written meanwhile through another connection.
    """

    __tablename__ = "import_progress"
    run_id: Mapped[int] = mapped_column(ForeignKey("import_run.id", ondelete="CASCADE"), primary_key=True)
    phase: Mapped[str] = mapped_column(String(16), default="", nullable=False)  # "" | checking | importing
    rows_done: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    rows_expected: Mapped[int] = mapped_column(Integer, default=0, nullable=False)  # estimated from the file
    # who runs it ("host:pid") and when it last said so: a process killed mid-run leaves its phase set,
    # and the page tells such a stale run ("interrupted") from a live one by these two
    worker: Mapped[str] = mapped_column(String(80), default="", nullable=False)
    beat_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class ImportMapping(Keyed, Model):
    """The column mapping a user last chose for an import kind: offered again with the next file."""

    __tablename__ = "import_mapping"
    __table_args__ = (Index("ux_import_mapping", "user_id", "kind", unique=True),)
    user_id: Mapped[int] = mapped_column(ForeignKey("ab_user.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    mapping: Mapped[str] = mapped_column(Text, default="{}", nullable=False)
