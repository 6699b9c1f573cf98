"""Project pages: a role sees its team's projects only; the board moves a card through the workflow; timeline,
my tasks, .ics, the process template's publish and dry run."""

from __future__ import annotations

import json
from datetime import date, timedelta

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import select

from app.extensions import db
from app.models.projects import ProcessTemplate, Project, ProjectTask
from app.services.base import unit_of_work


def _setup() -> tuple[Project, Project, ProjectTask]:
    engineer = db.session.scalar(select(User).where(User.username == "engineer"))
    today = date.today()
    with unit_of_work(db.session):
        ours = Project(code="OURS", name="Robokids robots", name_ru="Заказные роботы", owner_id=engineer.id)
        theirs = Project(code="THEIRS", name="Секретный проект")
        task = ProjectTask(project=ours, title="Спроектировать корпус", assignee_id=engineer.id, start_date=today,
                           due_date=today + timedelta(days=3))
        db.session.add_all([ours, theirs, task])
    return ours, theirs, task


def test_team_sees_its_projects_only_and_moves_cards(app, login_as):
    ours, theirs, task = _setup()
    engineer = login_as("Engineer")
    page = engineer.get("/projectview/list/").get_data(as_text=True)
    assert "OURS" in page and "THEIRS" not in page
    assert engineer.get(f"/projects/board/{theirs.id}").status_code == 404
    board = engineer.get(f"/projects/board/{ours.id}")
    assert board.status_code == 200 and "Спроектировать корпус" in board.get_data(as_text=True)
    resp = engineer.post("/projects/board/move", json={"task_id": task.id, "state": "in_progress"})
    assert resp.status_code == 200 and resp.json["state"] == "in_progress"
    resp = engineer.post("/projects/board/move", json={"task_id": task.id, "state": "nowhere"})
    assert resp.status_code == 422
    assert engineer.get(f"/projects/timeline/{ours.id}").status_code == 200
    mine = engineer.get("/projects/mine/").get_data(as_text=True)
    assert "Спроектировать корпус" in mine
    ics = engineer.get("/projects/mine.ics")
    assert ics.mimetype == "text/calendar" and "SUMMARY:Спроектировать корпус" in ics.get_data(as_text=True)
    assert b"home-my-tasks" in engineer.get("/").data  # the home dashboard's panel


def test_publish_and_dry_run_pages(app, login_as):
    with unit_of_work(db.session):
        t = ProcessTemplate(code="ORD", name="Order confirmed", event="order_confirmed",
                            condition="order.total > 1", steps=json.dumps([{"title": "Price", "role": "Economist"}]))
        db.session.add(t)
    manager = login_as("Manager")
    assert manager.post(f"/processtemplateview/publish/{t.id}").status_code == 302
    db.session.expire_all()
    assert [v.number for v in db.session.get(ProcessTemplate, t.id).versions] == [1]
    page = manager.get(f"/processtemplateview/dry_run/{t.id}")
    assert page.status_code == 200
    assert login_as("Engineer").post(f"/processtemplateview/publish/{t.id}").status_code in (302, 403)
    db.session.expire_all()
    assert len(db.session.get(ProcessTemplate, t.id).versions) == 1  # the engineer may not publish


def test_pages_speak_russian_and_spanish(app, login_as):
    """The crawl's detector (tests/views/test_crawl_language.py) over every projects page, on hand-built rows."""
    from app.models.projects import ProcessInstance
    from app.services.projects import processes as proc
    from tests.views.test_crawl_language import ALLOWED, page_findings

    ours, _theirs, task = _setup()
    with unit_of_work(db.session):
        t = ProcessTemplate(code="ORD", name="Robokids flow", name_ru="Заказ подтверждён", name_es="Pedido confirmado",
                            event="order_confirmed", condition="order.total > 1",
                            steps=json.dumps([{"title": "Проверить цену", "role": "Economist", "hours": 2}]))
        db.session.add(t)
    proc.publish(db.session, t.id)
    with unit_of_work(db.session):
        proc.record_event(db.session, "order_confirmed", 1, {"order.total": "5"})
    proc.dispatch(db.session)
    instance = db.session.scalar(select(ProcessInstance.id))
    pages = ["/projectview/list/", f"/projectview/show/{ours.id}", f"/projectview/edit/{ours.id}", "/projectview/add",
             "/projecttaskview/list/", f"/projecttaskview/show/{task.id}", f"/projecttaskview/edit/{task.id}",
             f"/projects/board/{ours.id}", f"/projects/timeline/{ours.id}", "/projects/mine/", "/tasklinkview/list/",
             "/timeentryview/list/", "/processtemplateview/list/", f"/processtemplateview/show/{t.id}",
             f"/processtemplateview/dry_run/{t.id}", "/processinstanceview/list/"]
    if instance:
        pages.append(f"/processinstanceview/show/{instance}")
    admin = login_as("Admin")
    for lang in ("ru", "es"):
        admin.get(f"/lang/{lang}")
        chrome = set(page_findings(admin.get("/users/userinfo/").get_data(as_text=True), lang, ALLOWED))  # navbar's
        for url in pages:
            resp = admin.get(url)
            assert resp.status_code == 200, url
            assert set(page_findings(resp.get_data(as_text=True), lang, ALLOWED)) - chrome == set(), (lang, url)
