"""The CLI: `scheduler list | run-job` and `backup create | list | verify | restore`."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from app.models.audit import JobRun
from app.models.core import Currency
from app.services.base import Actor, acting_as


@pytest.fixture
def cli(app, session):
    session.commit()  # SQLite: the command's session must not wait for this test's transaction
    runner = app.test_cli_runner()

    def _invoke(*args: str):
        result = runner.invoke(args=list(args))
        session.remove()
        return result

    return _invoke


def _add_currency(session, code: str) -> None:
    with acting_as(Actor(None, "tester")):
        session.add(Currency(code=code, name=code))
        session.commit()


def test_scheduler_list_shows_each_registered_job(cli):
    result = cli("scheduler", "list")
    assert result.exit_code == 0, result.output
    assert "backup" in result.output and "0 2 * * *" in result.output
    backup = next(line for line in result.output.splitlines() if line.startswith("backup"))
    assert " 02:00 UTC" in backup and "never run" in backup  # the crontab's next slot, before any run


def test_scheduler_run_job_records_a_manual_run(cli, session, fake_jobs):
    assert cli("scheduler", "run-job", "fake-ok").exit_code == 0
    failed = cli("scheduler", "run-job", "fake-boom")
    assert failed.exit_code == 1 and "RuntimeError: boom" in failed.output
    unknown = cli("scheduler", "run-job", "nope")
    assert unknown.exit_code == 1 and "Unknown job: nope" in unknown.output

    runs = session.scalars(select(JobRun).order_by(JobRun.id)).all()
    assert [(r.job_id, r.trigger, r.status) for r in runs] == [("fake-ok", "manual", "success"),
                                                              ("fake-boom", "manual", "failed")]
    assert runs[0].username.startswith("cli:")


def test_backup_create_restore_round_trip(cli, session, tmp_path):
    _add_currency(session, "AAA")
    created = cli("backup", "create", "--dir", str(tmp_path))
    assert created.exit_code == 0, created.output
    [path] = tmp_path.glob("fabrika-*")
    assert str(path) in created.output
    _add_currency(session, "BBB")

    restored = cli("backup", "restore", str(path), "--yes")

    assert restored.exit_code == 0, restored.output
    assert "Restored" in restored.output
    codes = set(session.scalars(select(Currency.code)))
    assert "AAA" in codes and "BBB" not in codes
    restore_run = session.scalars(select(JobRun).where(JobRun.job_id == "restore")).one()
    assert (restore_run.status, restore_run.message) == ("success", path.name)


def test_backup_restore_asks_first(cli, session, tmp_path):
    created = cli("backup", "create", "--dir", str(tmp_path))
    [path] = tmp_path.glob("fabrika-*")
    _add_currency(session, "BBB")

    answered_no = cli("backup", "restore", str(path))  # no input: the confirmation is declined

    assert created.exit_code == 0 and answered_no.exit_code == 1
    assert "BBB" in set(session.scalars(select(Currency.code)))


def test_backup_restore_refuses_a_bad_file_and_says_why(cli, session, tmp_path):
    bad = tmp_path / "garbage.bin"
    bad.write_bytes(b"\x00garbage" * 1000)
    _add_currency(session, "KEP")

    result = cli("backup", "restore", str(bad), "--yes")

    assert result.exit_code == 1
    assert "garbage.bin" in result.output
    assert "KEP" in set(session.scalars(select(Currency.code)))
    assert session.scalars(select(JobRun)).all() == []


def test_backup_list_and_verify_use_the_backup_dir(app, cli):
    created = cli("backup", "create")
    assert created.exit_code == 0, created.output
    name = Path(created.output.split()[0]).name

    assert name in cli("backup", "list").output
    verified = cli("backup", "verify", name)  # a bare name is looked up in BACKUP_DIR
    assert verified.exit_code == 0 and verified.output.startswith("OK:")


def test_a_restore_closes_runs_left_running_in_the_snapshot(cli, session, tmp_path):
    from app.services.jobs import start_run

    start_run(session, "backup", "schedule", "system")  # the backup job's own run, mid-flight
    cli("backup", "create", "--dir", str(tmp_path))
    [path] = tmp_path.glob("fabrika-*")

    assert cli("backup", "restore", str(path), "--yes").exit_code == 0

    [interrupted] = session.scalars(select(JobRun).where(JobRun.job_id == "backup")).all()
    assert interrupted.status == "failed" and path.name in interrupted.message
