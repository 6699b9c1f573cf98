"""Browser test of an import in Russian: upload a small CSV of items, map its price column by hand,
check (the preview lists both rows), import, and see the background run finish with its result."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.test_smoke import Problems, _sign_in, _switch_language

CSV = "Код;Наименование;Ед. изм.;Цена\nE2E-1;Датчик света;шт;1 234,50\nE2E-2;Плата;шт;99,90\n".encode()


def test_upload_map_preview_and_import_a_russian_csv(page: Page, base_url: str):
    problems = Problems(base_url)
    problems.watch(page)
    _sign_in(page, "Admin")
    _switch_language(page, "ru")
    page.goto("/imports/start/")
    form = page.locator("#kind-items form")
    form.locator("input[type=file]").set_input_files({"name": "товары.csv", "mimeType": "text/csv", "buffer": CSV})
    form.locator("button[type=submit]").click()
    expect(page.locator("#mapping")).to_be_visible()
    expect(page.locator("#import-progress")).to_have_count(0, timeout=15_000)  # the check ran and the page reloaded
    page.select_option("select[name=map_sale_price]", "Цена")
    page.locator("#mapping button[type=submit]").click()
    expect(page.locator("#import-rows")).to_contain_text("E2E-2", timeout=15_000)
    expect(page.locator("#import-counts")).to_contain_text("Новая: 2")
    page.locator("#import-apply").click()
    expect(page.locator("#import-done")).to_be_visible(timeout=20_000)
    expect(page.locator("#import-done")).to_contain_text("2")
    expect(page.locator(".fab-import-state")).to_have_text("Загружено")
    assert problems.take() == []
