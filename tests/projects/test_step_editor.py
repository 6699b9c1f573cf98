"""The process template form's visual step editor (static/js/process_steps.js): the form renders its container
with the words and choices in data attributes in the reader's language and the event's condition fields; the
JSON the editor writes into the hidden `steps` box is saved and checked by the server as typed JSON."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from app.extensions import db
from app.models.projects import ProcessTemplate


def _editor(page: str) -> str:
    found = re.search(r'<div id="process-steps-editor"[^>]*>', page)
    assert found, "the step editor's container is missing"
    return found.group(0)


def test_form_renders_the_editor_in_russian_and_saves_its_json(app, login_as):
    manager = login_as("Manager")
    manager.get("/lang/ru")
    page = manager.get("/processtemplateview/add").get_data(as_text=True)
    editor = _editor(page)
    assert 'data-w-add="Добавить шаг"' in editor and 'data-w-days="Срок, рабочих дней"' in editor
    roles = json.loads(re.search(r"data-roles='([^']*)'", editor).group(1).replace("&#34;", '"'))
    assert ["Engineer", "Инженер"] in roles  # stored name, label in the reader's language
    assert "process_steps.js" in page and 'id="steps"' in page  # the JSON box stays for a page without JS
    fields = page[page.index('id="process-event-fields"'):]
    assert "Поля для условий по событиям" in fields and "Заказ подтверждён: <code>order.id</code>" in fields
    assert "<code>order.custom_lines</code>" in fields and "<code>kpi.target</code>" in fields

    # what the editor writes: title, role, days, hours, when, wait false; keys it does not show kept
    steps = [{"key": "design", "title": "Check the design", "title_ru": "Проверить конструкцию", "role": "Engineer",
              "days": 2, "hours": 6.5, "when": "order.custom_lines > 0"},
             {"title": "Price the order", "role": "Economist", "days": 1, "wait": False}]
    form = {"code": "EDITOR", "name": "Editor flow", "event": "order_confirmed", "condition": "",
            "steps": json.dumps(steps, indent=1), "active": "y"}
    assert manager.post("/processtemplateview/add", data=form).status_code == 302
    saved = db.session.scalar(select(ProcessTemplate).where(ProcessTemplate.code == "EDITOR"))
    assert json.loads(saved.steps) == steps
    assert 'data-event="order_confirmed"' in manager.get(f"/processtemplateview/edit/{saved.id}").get_data(as_text=True)

    # a bad `when` is refused as before, the message naming the step's field, in Russian
    bad = dict(form, code="EDITOR2", steps=json.dumps([{"title": "X", "role": "Engineer", "when": "order.nope > 1"}]))
    refused = manager.post("/processtemplateview/add", data=bad)
    resp = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "steps[1].when" in resp
    # the form comes back as typed (FAB used to redirect home and lose it)
    assert 'value="EDITOR2"' in resp and "order.nope &gt; 1" in resp
    assert db.session.scalar(select(ProcessTemplate).where(ProcessTemplate.code == "EDITOR2")) is None
