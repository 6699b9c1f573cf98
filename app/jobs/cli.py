"""CLI: `flask --app run scheduler run | list | run-job ID` and `backup create | list | verify | restore`.

`scheduler run` is the deployment's one scheduler process (see app/jobs/scheduler.py). Backup
commands call app/services/backup.py; a restore is also written to the job runs as "restore".
"""

from __future__ import annotations

import getpass
import logging
import signal
from pathlib import Path
from typing import NoReturn

import click
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask, current_app
from flask.cli import AppGroup

from app.domain.errors import DomainError
from app.extensions import db
from app.services import backup as backups
from app.services.base import Actor
from app.services.jobs import STATUS_SUCCESS, TRIGGER_MANUAL, close_interrupted_runs, record_run

scheduler_cli = AppGroup("scheduler", help="The job scheduler: run it as ONE process per deployment.")
backup_cli = AppGroup("backup", help="Database backups: create, list, verify, restore.")


def register(app: Flask) -> None:
    """Register the scheduler and backup CLI groups, and the dev-only in-process scheduler.

    The dev scheduler hook lives here because this is the jobs package's one call from create_app.
    """
    from app.jobs.scheduler import init_app

    app.cli.add_command(scheduler_cli)
    app.cli.add_command(backup_cli)
    init_app(app)


def _cli_actor() -> Actor:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return Actor(None, f"cli:{user}")


def _fail(exc: DomainError) -> NoReturn:
    raise click.ClickException("\n".join(exc.messages()))


# --- scheduler -----------------------------------------------------------------------------------


def _exit_on_sigterm(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


@scheduler_cli.command("run")
def scheduler_run() -> None:
    """Run the scheduler in the foreground until stopped (Ctrl+C or SIGTERM)."""
    from app.jobs.scheduler import configure, shutdown

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    scheduler = configure(BlockingScheduler(), current_app._get_current_object())
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    click.echo("Starting the scheduler; Ctrl+C or SIGTERM stops it.")
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        shutdown(scheduler, wait=True)  # let a running job (a backup) finish
    click.echo("Scheduler stopped.")


@scheduler_cli.command("list")
def scheduler_list() -> None:
    """Print the registered jobs, their next slot, the last slot a scheduler claimed and their last run."""
    from app.jobs.scheduler import job_statuses

    for status in job_statuses(db.session):
        spec, last = status.spec, status.last_run
        next_run = f"{status.next_run:%Y-%m-%d %H:%M} UTC" if status.next_run else "never"
        last_text = (f"{last.status} at {last.started_at:%Y-%m-%d %H:%M} UTC"
                     + (f" by {last.runner}" if last.runner else "")) if last else "never run"
        click.echo(f"{spec.id:<16} {spec.cron:<16} next: {next_run:<22} last: {last_text}  ({spec.label})")
    db.session.rollback()


@scheduler_cli.command("run-job")
@click.argument("job_id")
def scheduler_run_job(job_id: str) -> None:
    """Run one registered job now, in this process (recorded as a manual run)."""
    from app.jobs.runner import run_job

    try:
        outcome = run_job(job_id, TRIGGER_MANUAL, _cli_actor())
    except DomainError as exc:
        _fail(exc)
    click.echo(f"{job_id}: {outcome.status} {outcome.message}".rstrip())
    if not outcome.ok:
        raise SystemExit(1)


# --- backup --------------------------------------------------------------------------------------


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


@backup_cli.command("create")
@click.option("--dir", "directory", type=click.Path(file_okay=False), default=None,
              help="Where to write the backup (default: BACKUP_DIR).")
def backup_create(directory: str | None) -> None:
    """Back up the database now; keeps the newest BACKUP_KEEP backups in that directory."""
    config = current_app.config
    db.session.remove()
    try:
        result = backups.create_backup(db.engine, directory or config["BACKUP_DIR"], config.get("BACKUP_KEEP"))
    except DomainError as exc:
        _fail(exc)
    click.echo(f"{result.backup.path} ({_human(result.backup.size)})")
    for name in result.pruned:
        click.echo(f"removed old backup {name}")


@backup_cli.command("list")
def backup_list() -> None:
    """List the backups in BACKUP_DIR, newest first."""
    for item in backups.list_backups(current_app.config["BACKUP_DIR"]):
        click.echo(f"{item.name}  {item.created_at:%Y-%m-%d %H:%M:%S} UTC  {_human(item.size):>10}")


def _backup_path(file: str) -> Path:
    """FILE as given, or a backup of that name in BACKUP_DIR."""
    path = Path(file)
    if path.exists() or path.parent != Path("."):
        return path
    return Path(current_app.config["BACKUP_DIR"]) / file


@backup_cli.command("verify")
@click.argument("file")
def backup_verify(file: str) -> None:
    """Check that FILE can be restored, without touching the database."""
    db.session.remove()
    try:
        check = backups.verify_backup(db.engine, _backup_path(file))
    except DomainError as exc:
        _fail(exc)
    click.echo(f"OK: {check.tables} tables, {check.rows} rows")


@backup_cli.command("restore")
@click.argument("file")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--no-safety-backup", is_flag=True,
              help="Do not back up the current database first (when it is too damaged to back up).")
def backup_restore(file: str, yes: bool, no_safety_backup: bool) -> None:
    """Replace the database with backup FILE (verified first; refused if unsound)."""
    path = _backup_path(file)
    if not yes:
        click.confirm(f"Replace the database {db.engine.url.render_as_string()} with {path}?", abort=True)
    db.session.remove()
    safety_dir = None if no_safety_backup else current_app.config["BACKUP_DIR"]
    try:
        result = backups.restore_backup(db.engine, path, safety_dir=safety_dir)
    except DomainError as exc:
        _fail(exc)
    if result.safety_backup:
        click.echo(f"The database as it was before: {result.safety_backup.path}")
    _record_restore(path, result.check)
    click.echo(f"Restored {path.name}: {result.check.tables} tables, {result.check.rows} rows.")


def _record_restore(path: Path, check: backups.BackupCheck) -> None:
    # The snapshot may hold "running" rows (the backup job's own run, at least): those runs are over.
    close_interrupted_runs(db.session, f"Interrupted: the database was restored from {path.name}")
    record_run(db.session, "restore", TRIGGER_MANUAL, _cli_actor().username, STATUS_SUCCESS, path.name,
               {"tables": check.tables, "rows": check.rows})
    db.session.remove()
