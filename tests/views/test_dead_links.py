"""No page offers a link its reader may not follow (the load test met print icons ending in 403).

Every role but the Admin signs in on the demo data, opens its menu entries and the first card of each
list, and checks every link on those pages against the role's grants: a link to a view method the role
has no permission for ends in 403, a dead end. The Admin may open everything, so it is left out; so are
links outside FAB's protected views (static files, language switch, sign-out). Rows hidden by a
register's own filter (a task outside the reader's team: 404) are not caught here.
"""

from __future__ import annotations

import re

import pytest

from app.security import ROLE_NAMES, role_grants
from app.views.access import required_permission
from tests.views.test_crawl_language import _bases, _client, _first_row_pages, _menu_urls, demo_app  # noqa: F401

_HREF = re.compile(r'href="(/[^"#]*)"')
_SKIP = ("/static/", "/lang/", "/logout", "/login", "/appbuilder/", "/api/")


def _required(app, url: str) -> tuple[str, str] | None:
    """The (permission, resource) a link needs, from the has_access of the view method behind it;
    None when the link is not a protected method of one of FAB's views."""
    from werkzeug.exceptions import HTTPException

    try:
        endpoint, _ = app.url_map.bind("localhost").match(url.split("?")[0], method="GET")
    except HTTPException:
        return ("no such page", url)
    return required_permission(app.appbuilder, endpoint)


def _dead_links(app, role: str) -> dict[str, str]:
    """'permission on resource' -> 'link (page it was on)' for each link the role may not follow.

    The permission comes from the link's view method (has_access), the role's grants from
    app/security.py: no request per link, so every card of every list can be walked."""
    grants = role_grants(role)
    client = _client(app, role, "ru")
    bases = _bases(app)
    pages: dict[str, str] = {}
    for url in ["/", *_menu_urls(app, role)]:
        resp = client.get(url)
        if resp.status_code != 200 or "html" not in resp.mimetype:
            continue
        pages[url] = resp.get_data(as_text=True)
        if url.split("?")[0] in bases:
            for card in _first_row_pages(pages[url], url.split("?")[0]):
                if "/show/" in card and card not in pages:
                    pages[card] = client.get(card).get_data(as_text=True)
    dead: dict[str, str] = {}
    for page, html in pages.items():
        for link in dict.fromkeys(h.replace("&amp;", "&") for h in _HREF.findall(html)):
            need = None if link.startswith(_SKIP) else _required(app, link)
            if need is not None and need not in grants:
                dead.setdefault(f"{need[0]} on {need[1]}", f"{link} (on {page})")
    return dead


@pytest.mark.parametrize("role", [r for r in ROLE_NAMES if r != "Admin"])
def test_no_page_links_where_its_reader_may_not_go(demo_app, role):  # noqa: F811
    assert _dead_links(demo_app, role) == {}
