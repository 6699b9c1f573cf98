"""Browser test of the deals board: a manager drags a deal card to the next stage in Russian and in
Spanish; the move is saved (it survives a reload) and the column counts follow; dragging a won
deal is refused with a message and the card goes back."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import drag
from tests.e2e.test_smoke import Problems, _sign_in, _switch_language

# language -> (deal title start, stage it is in, stage to drag it to): demo deals, names as the demo gives them
MOVES = {
    "ru": ("РобоТех", "Квалифицирован", "Предложение"),
    "es": ("Escuela de Robótica", "Cliente potencial", "Calificado"),
}
WON_DEAL = "Умники: конструкторы"


def _column(page: Page, stage: str):
    return page.locator(".kanban-col", has=page.locator("h5", has_text=stage))


def _card(page: Page, title: str):
    return page.locator(".deal-card", has_text=title)


def _drag(page: Page, card, column) -> None:
    drag(page, card, column.locator(".kanban-list"))


@pytest.mark.parametrize("lang", ["ru", "es"])
def test_drag_a_deal_to_the_next_stage(page: Page, base_url: str, lang: str):
    problems = Problems(base_url)
    problems.watch(page)
    _sign_in(page, "Sales")
    _switch_language(page, lang)
    title, source, target = MOVES[lang]
    page.goto("/crm/kanban/")
    card, to_column = _card(page, title), _column(page, target)
    expect(_column(page, source).locator(".deal-card", has_text=title)).to_have_count(1)
    before = int(to_column.locator(".col-count").inner_text())
    with page.expect_response(lambda r: r.url.endswith("/crm/kanban/move")) as move:
        _drag(page, card, to_column)
    assert move.value.status == 200, move.value.text()
    expect(to_column.locator(".col-count")).to_have_text(str(before + 1))
    page.reload()
    expect(_column(page, target).locator(".deal-card", has_text=title)).to_have_count(1)
    expect(_column(page, source).locator(".deal-card", has_text=title)).to_have_count(0)

    won = _card(page, WON_DEAL)
    with page.expect_response(lambda r: r.url.endswith("/crm/kanban/move")) as refused:
        _drag(page, won, _column(page, MOVES[lang][1]))
    assert refused.value.status == 422
    expect(page.locator("#kanban-message.alert-danger")).to_contain_text(WON_DEAL)
    expect(page.locator(".kanban-col.won .deal-card", has_text=WON_DEAL)).to_have_count(1)  # back in its column
    assert [p for p in problems.take() if "/crm/kanban/move" not in p] == []
