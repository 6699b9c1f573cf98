"""Browser test: the main menu fits one row at 1,400 px in Russian and Spanish (issue 14, item 14),
for the admin, who sees every entry, and for a sales user; a group opens its sections side by side
and they stay inside the window."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.e2e.test_smoke import _sign_in, _switch_language

ROW = """() => [...document.querySelectorAll('.navbar .navbar-nav > li')]
             .map(li => Math.round(li.getBoundingClientRect().top))"""


@pytest.mark.parametrize("role", ["Admin", "Sales"])
def test_the_menu_fits_one_row_at_1400px(page: Page, role: str):
    page.set_viewport_size({"width": 1400, "height": 900})
    _sign_in(page, role)
    for lang in ("ru", "es"):
        _switch_language(page, lang)
        tops = page.evaluate(ROW)
        assert len(tops) >= 3 and len(set(tops)) == 1, (lang, tops)
        height = page.evaluate("() => document.querySelector('.navbar').getBoundingClientRect().height")
        assert height < 70, (lang, height)
        page.locator("li[data-group=sales] > a.dropdown-toggle").click()
        menu = page.locator("li[data-group=sales] .fab-menu-sections")
        box = menu.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 1400, box
        assert menu.locator(".fab-menu-section").count() >= 2
        page.keyboard.press("Escape")
