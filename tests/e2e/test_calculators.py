"""Browser test of the calculator editor's live test-run panel, in Russian and Spanish: the Engineer
opens the door calculator, sees its result, changes the height and sees the price follow, then breaks
a formula and sees the problem with its line, in the page's language, without saving anything."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_smoke import Problems, _sign_in, _switch_language

# Default door (2000 x 800 pine, hinged, hardware): price 11 630; at 2400 mm high: 12 990
PRICES = {"ru": (r"11\s630,00", r"12\s990,00"), "es": (r"11\.630,00", r"12\.990,00")}
LINE_WORD = {"ru": "Строка", "es": "Línea"}


@pytest.mark.parametrize("lang", ["ru", "es"])
def test_the_editor_recalculates_live_and_explains_a_broken_formula(page: Page, base_url: str, lang: str):
    problems = Problems(base_url)
    problems.watch(page)
    _sign_in(page, "Engineer")
    _switch_language(page, lang)
    listing = page.request.get("/api/v1/calculator/?q=(filters:!((col:code,opr:eq,value:DOOR)))").json()
    door = listing["ids"][0]
    page.goto(f"/calculatorview/editor/{door}")
    outputs = page.locator("#calc-test-outputs")
    before, after = PRICES[lang]
    expect(outputs).to_contain_text(re.compile(before))
    page.fill("#tr-p-height", "2400")
    expect(outputs).to_contain_text(re.compile(after))
    expect(page.locator("#calc-test-intermediates")).to_contain_text(re.compile(r"1[,.]92"))
    formulas = page.locator("#calc-formulas")
    formulas.fill(formulas.input_value() + "bad = ().__class__\n")
    panel = page.locator("#calc-test-problems")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text(f"{LINE_WORD[lang]} 11 (bad)")
    page.reload()  # nothing was saved: the editor shows the stored formulas, the panel works again
    expect(page.locator("#calc-formulas")).not_to_contain_text("bad = ")
    expect(outputs).to_contain_text(re.compile(before))
    assert problems.take() == []
