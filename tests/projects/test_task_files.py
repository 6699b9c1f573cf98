"""Files on a task: uploaded and downloaded by its team, refused in words (type, size), hidden from others."""

from __future__ import annotations

import io
from datetime import date

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import select

from app.extensions import db
from app.models.projects import Project, ProjectTask, TaskAttachment
from app.services.base import unit_of_work
from app.services.projects import files


def _task() -> ProjectTask:
    engineer = db.session.scalar(select(User).where(User.username == "engineer"))
    with unit_of_work(db.session):
        project = Project(code="XL", name="Robots", owner_id=engineer.id)
        task = ProjectTask(project=project, title="Case drawing", assignee_id=engineer.id, start_date=date.today(),
                           due_date=date.today())
        db.session.add_all([project, task])
    return task


def _upload(client, task_id: int, name: str, data: bytes):
    return client.post(f"/projecttaskview/attach/{task_id}", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", follow_redirects=True)


def test_team_uploads_and_downloads_others_are_refused(app, login_as):
    task = _task()
    engineer = login_as("Engineer")
    page = _upload(engineer, task.id, "корпус v2.pdf", b"%PDF-1.4 drawing").get_data(as_text=True)
    row = db.session.scalar(select(TaskAttachment))
    assert row is not None and row.filename == "корпус v2.pdf" and row.size == 16 and "корпус v2.pdf" in page
    got = engineer.get(f"/projecttaskview/attachment/{row.id}")
    assert got.data == b"%PDF-1.4 drawing" and got.mimetype == "application/octet-stream"
    assert "filename*=UTF-8''%D0%BA" in got.headers["Content-Disposition"]

    engineer.get("/lang/ru")
    refused = _upload(engineer, task.id, "setup.exe", b"MZ").get_data(as_text=True)
    assert "Файл: файлы типа .exe не принимаются" in refused
    big = _upload(engineer, task.id, "scan.png", b"x" * (files.MAX_BYTES + 1)).get_data(as_text=True)
    assert "Файл: файл больше 10 МБ" in big
    assert db.session.query(TaskAttachment).count() == 1

    outsider = login_as("Warehouse")  # not on the project's team: the file does not exist for them
    assert outsider.get(f"/projecttaskview/attachment/{row.id}").status_code == 404
    _upload(outsider, task.id, "x.pdf", b"%PDF")  # refused: the task does not exist for them
    assert db.session.query(TaskAttachment).count() == 1
    with app.test_request_context():
        from app.domain.errors import DomainError

        try:
            files.check_file("page.html", b"<script>")
        except DomainError as exc:
            assert exc.problems[0].field == "file"
        else:
            raise AssertionError("an .html file was accepted")

    assert engineer.post(f"/projecttaskview/attachment/{row.id}/delete").status_code == 302
    assert db.session.query(TaskAttachment).count() == 0
