"""In the browser, no page breaks the Content-Security-Policy (issue 12, item 12).

The policy runs scripts from the site and inline blocks with the request's nonce only. Chromium
reports every script it refuses (an inline block without the nonce, an inline handler such as
onsubmit=, a javascript: URL) on the console; each role opens its main pages (every menu entry, and
Admin the pages of a demo document, forms with look-ups, editors and boards) and none may report
one. The behaviour that moved out of inline handlers into app/static/js/fabrika.js is clicked too:
a command button still asks before it posts, a look-up field still searches.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from app.security import ROLE_NAMES
from tests.e2e.test_smoke import _menu_links, _sign_in

# Pages of one demo row each (ids of the demo story on a fresh database), beyond the menus.
ADMIN_PAGES = [
    "/salesorderview/show/1", "/salesorderview/entry", "/salesinvoiceview/show/1", "/shipmentview/show/1",
    "/receiptview/show/1", "/productionorderview/show/1", "/purchaserequestview/show/1", "/proposalview/show/1",
    "/partnerview/card/1", "/partnerview/edit/1", "/activityview/add", "/dealview/edit/1",
    "/calculatorview/editor/1", "/proposals/configurator/", "/crm/kanban/", "/crm/funnel/",
    "/stock/on-hand/", "/unitview/list/", "/unitview/add", "/users/list/", "/swagger/v1",
]


class Violations:
    """Console reports of refused scripts (and script errors) since the last take()."""

    def __init__(self, page: Page) -> None:
        self.seen: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.seen.append(f"script error: {exc}"))

    def _on_console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.seen.append(message.text)

    def take(self) -> list[str]:
        out, self.seen = self.seen, []
        return out


def _open(page: Page, violations: Violations, href: str) -> None:
    response = page.goto(href)
    assert response is not None and response.status < 400, f"{href}: HTTP {response and response.status}"
    policy = response.headers.get("content-security-policy", "")
    script_src = next((d for d in policy.split(";") if d.strip().startswith("script-src")), "")
    assert "'nonce-" in script_src and "'unsafe-inline'" not in script_src, f"{href}: {script_src}"
    page.wait_for_load_state("load")
    seen = violations.take()
    assert not seen, f"{href}: {seen}"


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_main_pages_break_no_content_security_policy(page: Page, base_url: str, role: str):
    violations = Violations(page)
    page.goto("/login/")
    assert not violations.take(), "the sign-in page"
    _sign_in(page, role)
    pages = _menu_links(page) + (ADMIN_PAGES if role == "Admin" else [])
    for href in dict.fromkeys(pages):
        _open(page, violations, href)


def test_command_buttons_still_ask_before_posting(page: Page, base_url: str):
    violations = Violations(page)
    _sign_in(page, "Admin")
    _open(page, violations, "/salesorderview/show/1")
    questions: list[str] = []

    def dismiss(dialog) -> None:
        questions.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    form = page.locator("form[data-confirm]:not([data-confirm=''])").first
    url = page.url
    form.locator("button[type=submit]").click()
    page.wait_for_timeout(300)
    assert questions and questions[0] == form.get_attribute("data-confirm")
    assert page.url == url, "a dismissed confirmation must not submit"


def test_lookup_fields_search_without_inline_script(page: Page, base_url: str):
    violations = Violations(page)
    _sign_in(page, "Admin")
    _open(page, violations, "/activityview/add")
    lookup = page.locator("select.fab-lookup").first
    expect(lookup).to_have_attribute("data-lookup-ready", "1")
    page.locator("select.fab-lookup + .select2 .select2-selection").first.click()
    page.locator(".select2-search__field").fill("Robo")
    expect(page.locator(".select2-results__option").first).not_to_have_text("")
    assert not violations.take()


def test_an_injected_inline_script_is_refused_and_reported(page: Page, base_url: str):
    """What the policy is for: markup that slipped into a page does not run (and this test sees it)."""
    violations = Violations(page)
    _sign_in(page, "Sales")
    _open(page, violations, "/")
    page.evaluate("""() => {
        const s = document.createElement("script");
        s.textContent = "window.injected = true";
        document.body.appendChild(s);
    }""")
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.injected === undefined")
    assert any("Content Security Policy" in v for v in violations.take())
