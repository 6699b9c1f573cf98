"""The team timeline: every project the reader sees on one Gantt, each person's hours per week, overload in red."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from flask_appbuilder.security.sqla.models import User
from sqlalchemy import select

from app.extensions import db
from app.models.projects import Project, ProjectTask
from app.services.base import unit_of_work
from app.services.projects import tasks as svc


def test_team_timeline_sums_a_person_across_projects_and_marks_overload(app, login_as):
    engineer = db.session.scalar(select(User).where(User.username == "engineer"))
    monday = date.today() - timedelta(days=date.today().weekday()) + timedelta(weeks=1)
    friday = monday + timedelta(days=4)
    with unit_of_work(db.session):
        a = Project(code="XL", name="Robots", owner_id=engineer.id)
        b = Project(code="LAB", name="Lab kits", owner_id=engineer.id)
        hidden = Project(code="SECRET", name="Not theirs")
        db.session.add_all([a, b, hidden, *(
            ProjectTask(project=p, title=t, assignee_id=engineer.id, start_date=monday, due_date=friday,
                        estimate_hours=Decimal(h)) for p, t, h in ((a, "Case", 30), (b, "Board", 20))),
            ProjectTask(project=hidden, title="Hidden", start_date=monday, due_date=friday)])
    data = svc.team_timeline(db.session, [a, b])
    who = svc.who_of(a.tasks[0])
    assert data["load"][who][monday] == Decimal(50) and (who, monday) in data["over"]  # 30 + 20 h > 40 h
    assert {r["name"] for r in data["tasks"]} == {"XL · Case", "LAB · Board"}
    assert svc.timeline(db.session, a)["over"] == set()  # one project alone: 30 h fit the week

    client = login_as("Engineer")
    client.get("/lang/ru")
    page = client.get("/projects/team/").get_data(as_text=True)
    assert "График команды" in page and "XL \\u00b7 Case" in page and "SECRET" not in page
    assert 'load-num load-over" title="Перегрузка"><span class="num">50,0<' in page
    assert "js/projects_timeline.js" in page and 'data-view-mode="Week"' in page
