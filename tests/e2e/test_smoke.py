"""Browser smoke test: each role signs in through the form, switches to Russian and then Spanish, and
opens every menu entry it can see (see _plan for which language); no page may answer 4xx / 5xx,
fail a resource, throw a script error or show an error message. Admin's pages are also checked for
Russian and Spanish words and photographed into test-artifacts/ (home and a list page, per
language) for a human to look at.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Page, Response, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from app.security import ROLE_NAMES
from config import Config
from tests.e2e.live_server import ROLE_PASSWORD

LANGUAGES = ("ru", "es")
# Words from FAB's own catalogs (the app's catalogs are translated later): the "Security" menu and
# "Logout" in the user menu; the list page adds the "Search" button.
EXPECTED_WORDS = {"ru": ("Безопасность", "Выход", "Поиск"), "es": ("Seguridad", "Salir", "Buscar")}
# What an error looks like in the browser when it escapes translation or handling.
ERROR_TEXTS = (
    "Traceback", "Internal Server Error", "Not Found", "Forbidden", "Access is Denied", "Bad Request",
    "Method Not Allowed", "Unauthorized", "Exception", "jinja2",
)
LIST_PAGE = "/unitview/list/"
FLAGS = {lang: spec["flag"] for lang, spec in Config.LANGUAGES.items()}


@dataclass
class Problems:
    """Failed same-origin responses and script errors seen by a page since the last check."""

    base_url: str
    seen: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        page.on("response", self._on_response)
        page.on("pageerror", lambda exc: self.seen.append(f"script error: {exc}"))

    def _on_response(self, response: Response) -> None:
        if response.url.startswith(self.base_url) and response.status >= 400:
            self.seen.append(f"{response.status} {response.url}")

    def take(self) -> list[str]:
        out, self.seen = self.seen, []
        return out


def _sign_in(page: Page, role: str) -> None:
    page.goto("/login/")
    page.fill("input[name=username]", role.lower())
    page.fill("input[name=password]", ROLE_PASSWORD)
    page.click("form[name=login] input[type=submit]")
    expect(page.locator("a[href='/logout/']")).to_have_count(1)


def _switch_language(page: Page, lang: str) -> None:
    """Pick the language in the navbar's flag menu, as a user does (the menu lists the others only).

    The language is remembered per user, so a user may sign in already speaking it.
    """
    current_flag = page.locator(f"a.dropdown-toggle i.flag.{FLAGS[lang]}")
    if current_flag.count() == 0:
        page.wait_for_load_state("load")  # the dropdown opens only once bootstrap's script has run
        toggle = page.locator(f"li.dropdown:has(a[href='/lang/{lang}']) > a.dropdown-toggle")
        choice = page.locator(f"a[href='/lang/{lang}']")
        for _ in range(3):  # on a busy machine the first click may land before the handler is bound
            toggle.click()
            try:
                choice.wait_for(state="visible", timeout=3000)
                break
            except PlaywrightTimeout:
                continue
        choice.click()
        page.wait_for_load_state()
    expect(current_flag).to_have_count(1)


def _menu_links(page: Page) -> list[str]:
    """Every entry of the main menu (the navbar's left side), in menu order, without duplicates."""
    hrefs = page.locator("ul.nav.navbar-nav:not(.navbar-right) a[href]").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))"
    )
    return list(dict.fromkeys(h for h in hrefs if h and h != "#" and not h.startswith("javascript:")))


def _assert_page_ok(page: Page, href: str, problems: Problems) -> None:
    response = page.goto(href)
    assert response is not None and response.status < 400, f"{href}: HTTP {response and response.status}"
    text = page.locator("body").inner_text()
    shown = [t for t in ERROR_TEXTS if t in text]
    assert not shown, f"{href}: error text on the page: {shown}"
    danger = page.locator(".alert-danger").all_inner_texts()
    assert not danger, f"{href}: error message shown: {danger}"
    seen = problems.take()
    assert not seen, f"{href}: {seen}"


def _plan(role: str, links: list[str]) -> dict[str, list[str]]:
    """Which entries to open in which language.

    Every role opens each of its entries once: Admin (who sees every entry) the first half in Russian
    and the rest in Spanish, the other roles the other way round, so the pages most roles share are
    seen in both languages across the roles. Every page's words are checked in both
    languages without a browser by tests/views/test_crawl_language.py; here the browser looks for
    what only it sees: failed resources, script errors, refused calls of a page's own scripts.
    """
    half = (len(links) + 1) // 2
    first, second = LANGUAGES if role == "Admin" else tuple(reversed(LANGUAGES))
    return {first: links[:half], second: links[half:]}


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_role_opens_every_menu_entry_in_russian_and_spanish(page: Page, base_url: str, role: str):
    problems = Problems(base_url)
    problems.watch(page)
    _sign_in(page, role)
    links = _menu_links(page)
    assert links, f"{role} sees no menu entry"
    plan = _plan(role, links)

    for lang in LANGUAGES:
        _switch_language(page, lang)
        assert _menu_links(page) == links, f"{role}: the menu differs in {lang}"
        for href in plan[lang]:
            _assert_page_ok(page, href, problems)


def test_admin_pages_speak_russian_and_spanish(page: Page, base_url: str, artifacts_dir: str):
    problems = Problems(base_url)
    problems.watch(page)
    _sign_in(page, "Admin")

    for lang in ("en", *LANGUAGES):
        _switch_language(page, lang)
        _assert_page_ok(page, "/", problems)
        page.screenshot(path=os.path.join(artifacts_dir, f"admin-{lang}-home.png"), full_page=True)
        _assert_page_ok(page, LIST_PAGE, problems)
        page.screenshot(path=os.path.join(artifacts_dir, f"admin-{lang}-list.png"), full_page=True)
        html_text = page.locator("html").text_content() or ""  # menus included, though collapsed
        missing = [w for w in EXPECTED_WORDS.get(lang, ()) if w not in html_text]
        assert not missing, f"{lang}: words not on the page: {missing}"
