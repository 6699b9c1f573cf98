"""Browser test of a project's board and timeline: the engineer drags the demo's "XL case" task from
"In progress" to "On review" in Russian (saved: it survives a reload); the timeline is drawn in Spanish."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.conftest import drag
from tests.e2e.test_smoke import Problems, _sign_in, _switch_language

TASK = "Спроектировать корпус XL"  # the demo project's task (app/services/demo_projects.py), in progress


def _column(page: Page, state: str):
    return page.locator(f".board-col[data-state='{state}']")


def test_drag_a_task_on_the_board_and_see_the_timeline(page: Page, base_url: str):
    problems = Problems(base_url)
    problems.watch(page)
    _sign_in(page, "Engineer")
    _switch_language(page, "ru")
    page.goto("/projects/mine/")
    page.locator("table.my-tasks a", has_text=TASK).first.wait_for()
    page.goto("/projects/board/1")
    card = page.locator(".task-card", has_text=TASK)
    expect(_column(page, "in_progress").locator(".task-card", has_text=TASK)).to_have_count(1)
    with page.expect_response(lambda r: r.url.endswith("/projects/board/move")) as move:
        drag(page, card, _column(page, "review").locator(".board-list"))
    assert move.value.status == 200, move.value.text()
    page.reload()
    expect(_column(page, "review").locator(".task-card", has_text=TASK)).to_have_count(1)
    _switch_language(page, "es")
    page.goto("/projects/timeline/1")
    expect(page.locator("#gantt .bar-wrapper").first).to_be_visible()
    expect(page.locator("h4", has_text="Carga por semana, horas")).to_have_count(1)
