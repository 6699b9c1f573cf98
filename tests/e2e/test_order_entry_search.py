"""Browser test of order entry's look-ups in Russian and Spanish: the item picker finds the robot by its
Russian name typed in lower case (in Spanish too, where the label shows the Spanish name and the Russian
one that matched), the client is found by a lower-case part of its name, and choosing the client fills
"Popular with this client" without reloading the page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_smoke import Problems, _sign_in, _switch_language

SHOWN = {"ru": "ROBOT-STD Робот учебный стандартный", "es": "ROBOT-STD Robot educativo estándar"}


def _pick(page: Page, field, list_id: str, typed: str, expected: str) -> None:
    """Type `typed`, wait for the suggestion `expected` in the datalist, and take it (as a click on it does)."""
    field.fill(typed)
    option = page.locator(f"#{list_id} option[value='{expected}']")
    expect(option).to_have_count(1)
    field.fill(expected)


@pytest.mark.parametrize("lang", ["ru", "es"])
def test_cyrillic_item_search_and_client_popular_items(page: Page, base_url: str, lang: str):
    problems = Problems(base_url)
    problems.watch(page)
    _sign_in(page, "Sales")
    _switch_language(page, lang)
    page.goto("/salesorderview/entry")
    expect(page.locator("#order-entry")).to_be_visible()
    expect(page.locator("#popular-client .pop-item")).to_have_count(0)  # no client yet

    partner = page.locator("#partner_name")
    partner.fill("робокидс")
    client = page.locator("#partner-list option").first
    expect(client).to_have_count(1)
    _pick(page, partner, "partner-list", "робокидс", client.get_attribute("value"))
    expect(page.locator("#partner_id")).not_to_have_value("")
    expect(page.locator("#popular-client .pop-item").first).to_be_visible()  # fetched for this client

    line = page.locator("tr.order-line").first
    _pick(page, line.locator(".line-item"), "item-list", "робот", SHOWN[lang])
    if lang == "es":  # the Russian name that matched is shown next to the Spanish label
        expect(page.locator(f"#item-list option[value='{SHOWN[lang]}']")).to_have_attribute(
            "label", "Робот учебный стандартный")
    expect(line.locator(".line-item-id")).not_to_have_value("")
    line.locator(".line-qty").fill("1")
    page.click("#save-order")
    page.wait_for_url("**/salesorderview/show/**")
    expect(page.locator("#order-lines")).to_contain_text(SHOWN[lang])
    assert problems.take() == []
