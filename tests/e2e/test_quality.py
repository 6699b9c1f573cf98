"""Browser test of quality and the knowledge base in Russian and Spanish: the Pareto chart of defect causes is
drawn by the vendored Chart.js, and articles are suggested while a service request's subject is typed."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_smoke import Problems, _sign_in, _switch_language

PAINTED = ("c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
           " let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i]) n++; } return n; }")
WORDS = {"ru": ("Анализ брака", "роботы не включаются", "Робот не включается"),
         "es": ("Análisis de defectos", "mis robots no arrancan", "El robot no arranca")}


@pytest.mark.parametrize("lang", ["ru", "es"])
def test_pareto_chart_and_suggestions_while_typing(page: Page, lang: str, artifacts_dir: str, base_url: str) -> None:
    problems = Problems(base_url)
    problems.watch(page)
    _sign_in(page, "Manager")
    _switch_language(page, lang)
    title, typed, article = WORDS[lang]
    page.goto("/quality/analysis/?measure=cost")
    expect(page.locator("h2")).to_contain_text(title)
    expect(page.locator("canvas#pareto")).to_be_visible()
    page.wait_for_function("document.getElementById('pareto').width > 50")
    assert page.eval_on_selector("canvas#pareto", PAINTED) > 100  # bars drawn, not an empty box
    page.screenshot(path=os.path.join(artifacts_dir, f"quality-pareto-{lang}.png"), full_page=True)
    page.goto("/servicerequestview/add")
    page.fill("input[name=subject]", typed)
    expect(page.locator("div[data-kb-suggest] a").first).to_contain_text(article)
    assert problems.take() == []
