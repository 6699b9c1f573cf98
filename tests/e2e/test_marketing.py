"""Browser test of marketing: a sales manager builds a segment with the rule builder in Russian (Spanish-speaking
clients without an open service request: rows, a "not" box, all / any, the live count), creates a campaign for it,
starts it and writes its letters into the outbox; then the campaign's card is read in Spanish."""

from __future__ import annotations

import os
import re

from playwright.sync_api import Page, expect

from tests.e2e.test_smoke import Problems, _sign_in, _switch_language

SHOTS = os.environ.get("FABRIKA_SHOTS", "")  # a folder: the builder and the card are saved there as PNG


def _shot(page: Page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def _count_after(page: Page, action) -> int:
    """The live count answered after `action` (the builder's script sets data-count from each answer)."""
    page.eval_on_selector("#segment-count", "n => n.setAttribute('data-count', '')")
    action()
    box = page.locator("#segment-count[data-count]:not([data-count=''])")
    box.wait_for()
    return int(box.get_attribute("data-count"))


def test_build_a_segment_and_send_a_campaign(page: Page, base_url: str):
    problems = Problems(base_url)
    problems.watch(page)
    _sign_in(page, "Sales")
    _switch_language(page, "ru")
    page.goto("/segmentview/add")
    page.fill("input[name=name]", "Испаноязычные покупатели")
    page.click("#segment-add-rule")
    rows = page.locator(".segment-rule")
    rows.nth(0).locator(".rule-kind").select_option("language")
    spanish = _count_after(page, lambda: rows.nth(0).locator(".rule-value").select_option("es"))
    assert spanish > 0
    page.click("#segment-add-rule")
    rows.nth(1).locator(".rule-kind").select_option("open_service_request")
    # "not" an open service request: the Spanish speakers without one, never more than all of them
    assert _count_after(page, lambda: rows.nth(1).locator(".rule-not").check()) <= spanish
    everyone = _count_after(page, lambda: page.select_option("#segment-combine", "any"))
    assert everyone >= spanish  # any of the two: the Spanish speakers and everyone without an open request
    page.select_option("#segment-combine", "all")
    rules = page.locator("#rules_text").input_value()
    assert rules == '[{"kind":"language","language":"es"},{"kind":"open_service_request","not":true}]'
    expect(page.locator("#segment-count")).to_contain_text("Клиентов выбрано сейчас")
    _shot(page, "e2e_builder_ru")
    with page.expect_navigation():
        page.locator("#model_form button[type=submit], #model_form input[type=submit]").first.click()
    page.goto("/segmentview/list/")
    expect(page.locator("table", has_text="Испаноязычные покупатели")).to_have_count(1)

    page.goto("/campaignview/add")
    page.fill("input[name=name]", "Весенняя рассылка")
    segment = page.locator("select[name=segment] option", has_text="Испаноязычные покупатели").get_attribute("value")
    page.locator("select[name=segment]").select_option(segment, force=True)
    page.fill("input[name=subject]", "Hello {contact}")
    page.fill("input[name=subject_es]", "Hola {contact}")
    page.fill("textarea[name=body]", "You bought {last_purchase}. {unsubscribe_url}")
    page.fill("textarea[name=body_es]", "Compró {last_purchase}. {unsubscribe_url}")
    page.fill("input[name=holdout_pct]", "0")
    with page.expect_navigation():
        page.locator("#model_form button[type=submit], #model_form input[type=submit]").first.click()
    page.goto("/campaignview/list/")
    page.goto(page.locator("tr", has_text="Весенняя рассылка").locator("a[href*='/campaignview/show/']")
              .first.get_attribute("href"))
    card = page.url
    page.click("#campaign-start")
    page.click("#campaign-send")
    expect(page.locator(".alert")).to_contain_text(re.compile(r"\d+"))
    _switch_language(page, "es")
    page.goto(card)
    expect(page.locator("body")).to_contain_text("Resultados")
    expect(page.locator("body")).to_contain_text("Hola {contact}")
    _shot(page, "e2e_campaign_es")
    assert problems.seen == []
