"""The nightly backup job: back up the app's database into BACKUP_DIR, keep the last BACKUP_KEEP."""

from __future__ import annotations

from flask import current_app

from app.extensions import db
from app.services.backup import create_backup
from app.services.jobs import JobResult


def nightly_backup() -> JobResult:
    """Runs inside an app context (the runner opens it)."""
    config = current_app.config
    result = create_backup(db.engine, config["BACKUP_DIR"], config.get("BACKUP_KEEP"))
    return JobResult(
        message=result.backup.name,
        counts={"bytes": result.backup.size, "pruned": len(result.pruned)},
    )
