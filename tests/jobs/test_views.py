"""The job pages: runs register, "Run now" (POST, CSRF, permissions) and the backups page."""

from __future__ import annotations

import os
import re

import pytest
from sqlalchemy import select

from app.models.audit import JobRun
from app.services.backup import list_backups


def _runs(session):
    session.rollback()
    return session.scalars(select(JobRun).order_by(JobRun.id)).all()


def test_admin_sees_the_registered_jobs_with_run_now(login_as, fake_jobs):
    page = login_as("Admin").get("/jobsview/jobs/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-job="backup"' in html and 'data-job="fake-ok"' in html
    assert "Run now" in html and 'action="/jobsview/run/fake-ok"' in html
    assert "0 2 * * *" in html


def test_run_now_by_admin_runs_the_job_and_records_a_manual_run(login_as, session, fake_jobs):
    client = login_as("Admin")

    resp = client.post("/jobsview/run/fake-ok")

    assert resp.status_code == 302 and resp.headers["Location"].endswith("/jobsview/jobs/")
    [run] = _runs(session)
    assert (run.job_id, run.trigger, run.status, run.username) == ("fake-ok", "manual", "success", "admin")
    assert fake_jobs.CALLS == ["admin"]
    followed = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Fake OK finished: 3 items checked" in followed


def test_a_failing_run_now_is_recorded_and_flashed_as_failed(login_as, session, fake_jobs):
    client = login_as("Admin")

    resp = client.post("/jobsview/run/fake-refuse", follow_redirects=True)

    assert resp.status_code == 200
    assert "Fake refuse failed: Nothing to do for widgets" in resp.get_data(as_text=True)
    [run] = _runs(session)
    assert (run.status, run.trigger, run.username) == ("failed", "manual", "admin")


def test_run_now_is_refused_to_a_role_without_can_run(login_as, session, fake_jobs):
    client = login_as("Sales")

    assert client.post("/jobsview/run/fake-ok").status_code == 403
    assert client.get("/jobsview/jobs/").status_code == 403
    assert client.get("/jobsview/list/").status_code == 403
    assert _runs(session) == [] and fake_jobs.CALLS == []


def test_a_manager_runs_jobs_but_not_the_admin_only_backup(login_as, session, fake_jobs):
    client = login_as("Manager")
    html = client.get("/jobsview/jobs/").get_data(as_text=True)
    assert 'action="/jobsview/run/fake-ok"' in html
    assert 'action="/jobsview/run/backup"' not in html

    assert client.post("/jobsview/run/fake-ok").status_code == 302
    assert client.post("/jobsview/run/backup").status_code == 403
    assert [(r.job_id, r.username) for r in _runs(session)] == [("fake-ok", "manager")]


def test_run_now_only_by_post_and_only_for_registered_jobs(login_as, session, fake_jobs):
    client = login_as("Admin")
    assert client.get("/jobsview/run/fake-ok").status_code == 405
    assert client.post("/jobsview/run/no-such-job").status_code == 404
    assert _runs(session) == []


def test_run_now_needs_the_csrf_token(app, login_as, session, fake_jobs, monkeypatch):
    client = login_as("Admin")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)

    assert client.post("/jobsview/run/fake-ok").status_code == 400
    assert _runs(session) == []

    page = client.get("/jobsview/jobs/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/jobsview/run/fake-ok", data={"csrf_token": token}).status_code == 302
    assert [r.status for r in _runs(session)] == ["success"]


def test_the_runs_register_lists_filters_and_exports(login_as, session, fake_jobs):
    client = login_as("Admin")
    client.post("/jobsview/run/fake-ok")
    client.post("/jobsview/run/fake-boom")

    listing = client.get("/jobsview/list/").get_data(as_text=True)
    assert "fake-ok" in listing and "fake-boom" in listing and "Failed" in listing
    filtered = client.get("/jobsview/list/?_flt_0_status=failed").get_data(as_text=True)
    assert "fake-boom" in filtered and "fake-ok" not in filtered
    export = client.get("/jobsview/export/csv")
    assert export.status_code == 200
    assert "RuntimeError: boom" in export.get_data(as_text=True)


def test_the_backups_page_creates_lists_and_downloads_backups(app, login_as, session):
    client = login_as("Admin")
    before = {b.name for b in list_backups(app.config["BACKUP_DIR"])}

    resp = client.post("/backups/create", follow_redirects=True)

    assert resp.status_code == 200
    created = [b for b in list_backups(app.config["BACKUP_DIR"]) if b.name not in before]
    assert len(created) == 1
    name = created[0].name
    assert name in resp.get_data(as_text=True)  # listed, and named in the flash message
    [run] = _runs(session)
    assert (run.job_id, run.trigger, run.status, run.username) == ("backup", "manual", "success", "admin")
    download = client.get(f"/backups/download/{name}")
    assert download.status_code == 200
    assert len(download.data) == os.path.getsize(created[0].path)
    if name.endswith(".sqlite3"):
        assert download.data.startswith(b"SQLite format 3\x00")


@pytest.mark.parametrize("name", ["secret_key", "..%2Fsecret_key", "fabrika-20260101-000000-000000.sqlite3"])
def test_only_existing_backups_can_be_downloaded(login_as, name):
    assert login_as("Admin").get(f"/backups/download/{name}").status_code == 404


def test_backups_are_admin_only(login_as, session):
    client = login_as("Manager")
    assert client.get("/backups/list/").status_code == 403
    assert client.post("/backups/create").status_code == 403
    assert _runs(session) == []


@pytest.mark.parametrize(("role", "jobs", "backups"), [("Admin", True, True), ("Manager", True, False),
                                                        ("Sales", False, False)])
def test_the_menu_shows_the_job_pages_to_those_who_may_open_them(login_as, role, jobs, backups):
    html = login_as(role).get("/").get_data(as_text=True)
    assert ("/jobsview/jobs/" in html, "/jobsview/list/" in html) == (jobs, jobs)
    assert ("/backups/list/" in html) == backups


@pytest.mark.parametrize("locale", ["ru", "es"])
def test_the_job_pages_render_in_every_language(login_as, locale):
    client = login_as("Admin")
    client.get(f"/lang/{locale}")
    client.post("/backups/create")
    for url in ("/jobsview/jobs/", "/jobsview/list/", "/backups/list/"):
        assert client.get(url).status_code == 200, url
