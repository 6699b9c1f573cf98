"""Browser test of the home page as a dashboard, in Russian and Spanish: the director (Manager) sees every
division's KPIs with their charts drawn by the vendored Chart.js and numbers in the locale's format,
a tile opens the documents behind its figure; the storekeeper's dashboard has no margins."""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_smoke import Problems, _sign_in, _switch_language

WORDS = {"ru": ("Выручка", "Склад", "Документы"), "es": ("Ingresos", "Almacén", "Documento")}


@pytest.mark.parametrize("lang", ["ru", "es"])
def test_director_dashboard_draws_its_charts(page: Page, lang: str, artifacts_dir: str, base_url: str) -> None:
    problems = Problems(base_url)
    problems.watch(page)
    _sign_in(page, "Manager")
    _switch_language(page, lang)
    page.goto("/")
    revenue, warehouse, _ = WORDS[lang]
    expect(page.locator("#kpi-tiles .kpi-card").first).to_be_visible()
    expect(page.locator("#kpi-tiles")).to_contain_text(revenue)
    expect(page.locator("#kpi-tiles")).to_contain_text(warehouse)
    # the charts are drawn: Chart.js marks its canvases, our script marks what it drew
    expect(page.locator("canvas.kpi-series[data-drawn='1']").first).to_be_visible()
    drawn = page.locator("canvas[data-drawn='1']").count()
    assert drawn >= 3
    width = page.eval_on_selector("canvas.kpi-series[data-drawn='1']", "c => c.width")
    assert width > 50
    painted = page.eval_on_selector(
        "canvas.kpi-series[data-drawn='1']",
        "c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i]) n++; } return n; }")
    assert painted > 100  # pixels on the canvas, not an empty box
    # numbers in the locale's format: a decimal comma and grouped thousands in both languages
    text = page.locator("#kpi-tiles").inner_text()
    assert re.search(r"\d[\u00a0\u202f .]?\d{3},\d{2}", text), text[:400]
    page.screenshot(path=os.path.join(artifacts_dir, f"kpi-dashboard-{lang}.png"), full_page=True)
    # a figure opens the documents behind it
    page.locator("#kpi-tiles .kpi-card[data-tile='kpi:revenue'] .kpi-value a").click()
    expect(page.locator("#kpi-value table").first).to_be_visible()
    assert problems.take() == []


def test_storekeeper_sees_no_margins(page: Page) -> None:
    _sign_in(page, "Warehouse")
    page.goto("/")
    expect(page.locator("#kpi-tiles .kpi-card").first).to_be_visible()
    assert page.locator(".kpi-card[data-tile='kpi:margin-pct']").count() == 0
    assert page.locator(".kpi-card[data-tile='kpi:revenue']").count() == 0
    assert page.locator(".kpi-card[data-tile='kpi:stock-value']").count() == 1
