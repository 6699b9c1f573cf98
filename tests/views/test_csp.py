"""The Content-Security-Policy forbids inline script (issue 12, item 12): pages carry none but their own.

With 'unsafe-inline' in script-src, any markup injected into a page runs as script. The policy now
allows scripts from the site itself and inline blocks carrying the request's nonce (FAB's own
templates use `csp_nonce()`); the app's scripts live in app/static/js and read their data from
data-* attributes or `<script type="application/json">` blocks, which a browser never executes.

This walks every page without arguments and every page of a demo row (show, edit, cards, editors),
as Admin on the demo data, and checks the markup a browser would refuse:
an inline `<script>` without the nonce, an inline event handler (onclick=, onsubmit=), a
`javascript:` URL. tests/e2e/test_csp.py loads the main pages in chromium and reads its console.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from flask import url_for
from sqlalchemy import select

from app.extensions import db
from app.services.demo import load_demo

SKIP = re.compile(r"/(api|static|appbuilder)/|/logout|/lang/|export|/pdf|/print|/download|/backup")


class _Markup(HTMLParser):
    """Collects what CSP without 'unsafe-inline' would block."""

    def __init__(self, nonce: str) -> None:
        super().__init__(convert_charrefs=True)
        self.nonce = nonce
        self.problems: list[str] = []
        self._inline = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                    "javascript:"):
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "script" and not values.get("src") and values.get("type") != "application/json":
            self._inline = values.get("nonce") != self.nonce
            if self._inline:
                self.problems.append("<script> without the request's nonce")


def script_src(resp) -> list[str]:
    policy = resp.headers["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in (p.strip() for p in policy.split(";")) if d}
    return directives["script-src"]


def page_problems(resp) -> list[str]:
    sources = script_src(resp)
    nonces = [s[len("'nonce-"):-1] for s in sources if s.startswith("'nonce-")]
    problems = ["script-src allows 'unsafe-inline'"] if "'unsafe-inline'" in sources else []
    if len(nonces) != 1:
        return [*problems, f"script-src has no nonce: {sources}"]
    parser = _Markup(nonces[0])
    parser.feed(resp.get_data(as_text=True))
    return problems + parser.problems


def _pages(app) -> list[str]:
    """Every GET page without arguments, and every one taking a `pk` (list, add, show, edit, cards,
    editors...) for its view's first row."""
    views = {view.endpoint: view for view in app.appbuilder.baseviews}
    urls: set[str] = set()
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or SKIP.search(rule.rule):
                continue
            if not rule.arguments:
                urls.add(rule.rule)
            elif rule.arguments == {"pk"}:
                pk = _first_pk(views.get(rule.endpoint.split(".")[0]))
                if pk is not None:
                    urls.add(url_for(rule.endpoint, pk=pk))
    return sorted(u for u in urls if not SKIP.search(u))


def _first_pk(view) -> object | None:
    datamodel = getattr(view, "datamodel", None)
    if datamodel is None or not hasattr(datamodel, "obj"):
        return None
    row = db.session.scalar(select(datamodel.obj).limit(1))
    return None if row is None else datamodel.get_pk_value(row)


@pytest.fixture
def admin(app, login_as):
    load_demo()
    db.session.commit()
    return login_as("Admin")


def test_pages_run_no_inline_script_without_the_nonce(app, admin, client):
    found, checked = {}, 0
    for url in ["/login/", *_pages(app)]:
        resp = (client if url == "/login/" else admin).get(url)
        if resp.status_code != 200 or resp.mimetype != "text/html":
            continue
        checked += 1
        problems = page_problems(resp)
        if problems:
            found[url] = sorted(set(problems))
    assert checked > 100, f"only {checked} pages checked"
    assert found == {}


def test_each_response_has_its_own_nonce(admin):
    first, second = (script_src(admin.get("/")) for _ in range(2))
    assert first != second
