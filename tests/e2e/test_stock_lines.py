"""Browser test of a goods receipt in Russian and Spanish (issue 14, item 8): the saved header lands on its draft,
lines are added, changed and removed in the grid with the item picked by code or name and its unit, the totals
follow every keystroke, the grid is saved in one go and the document posted; a posted receipt's grid is read-only."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_smoke import Problems, _sign_in, _switch_language

WORDS = {
    "ru": {"saved": "Строки сохранены", "box": "кор", "search": "процессор"},
    "es": {"saved": "Líneas guardadas", "box": "caja", "search": "procesador"},
}


def _digits(text: str) -> str:
    """A number as shown, without its group separators (a space, no-break space, narrow no-break space or dot)."""
    return re.sub(r"[\s\u00a0\u202f.]", "", text)


def _pick(page: Page, row, typed: str, code: str) -> None:
    """Type part of the code or name, wait for the offered items, choose the one with `code`."""
    field = row.locator(".line-item")
    field.fill(typed)
    option = page.locator(f"#stock-item-list option[value^='{code} ']")
    expect(option).to_have_count(1)
    field.fill(option.get_attribute("value"))
    expect(row.locator(".line-item-id")).not_to_have_value("")


@pytest.mark.parametrize("lang", ["ru", "es"])
def test_receipt_lines_in_the_grid(page: Page, base_url: str, lang: str):
    words = WORDS[lang]
    problems = Problems(base_url)
    problems.watch(page)
    page.on("dialog", lambda d: d.accept())
    _sign_in(page, "Warehouse")
    _switch_language(page, lang)
    page.goto("/receiptview/add")
    page.evaluate("() => { const s = document.querySelector('#warehouse');"
                  " s.value = [...s.options].find(o => o.value && o.value !== '__None').value; }")
    page.locator("form button[type=submit], form input[type=submit]").last.click()
    page.wait_for_url(re.compile(r".*/receiptview/show/\d+$"))
    rows = page.locator("#stock-lines-table tbody tr.stock-line")
    expect(rows).to_have_count(1)  # a new draft offers an empty row

    _pick(page, rows.nth(0), words["search"], "CPU-A1")  # by name, lower case
    rows.nth(0).locator(".line-qty").fill("4")
    rows.nth(0).locator(".line-cost").fill("1800,5")
    expect(page.locator("#total-qty")).to_have_text("4")
    page.click("#add-line")
    _pick(page, rows.nth(1), "bolt", "BOLT-M3")  # by code, any case
    rows.nth(1).locator(".line-unit").select_option(label=words["box"])
    rows.nth(1).locator(".line-qty").fill("2")
    rows.nth(1).locator(".line-cost").fill("240")
    page.click("#add-line")
    _pick(page, rows.nth(2), "WHEEL", "WHEEL")
    expect(rows).to_have_count(3)
    rows.nth(2).locator(".remove-line").click()
    expect(rows).to_have_count(2)
    expect(page.locator("#total-qty")).to_have_text("6")
    assert _digits(page.locator("#total-amount").inner_text()) == "7682,00"  # 4 x 1800.5 + 2 x 240
    expect(rows.nth(1).locator(".line-no")).to_have_text("2")

    page.click("#save-lines")
    expect(page.locator(".alert-success").first).to_contain_text(words["saved"])
    expect(rows).to_have_count(2)
    rows.nth(0).locator(".line-qty").fill("5")
    expect(page.locator("#total-qty")).to_have_text("7")
    assert _digits(page.locator("#total-amount").inner_text()) == "9482,50"
    page.click("#save-lines")
    expect(page.locator(".alert-success").first).to_contain_text(words["saved"])
    assert rows.nth(0).locator(".line-qty").input_value() == "5"

    page.locator("button[data-action=post_doc]").click()
    expect(page.locator("#stock-lines")).to_have_count(0)  # posted: the grid is read-only
    expect(page.locator("#stock-lines-table tbody tr.stock-line")).to_have_count(2)
    expect(page.locator("#stock-lines-table")).to_contain_text("CPU-A1")
    assert problems.take() == []
