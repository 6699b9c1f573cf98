"""The navbar menu, rendered once per user, roles and language and kept for a minute.

Profiling list pages under load showed the grouped menu at ~40 % of a page's CPU: ~140 permission
checks and as many translations per page, the same for every page a user opens. The menu depends on
nothing else (no entry is marked active), so it is kept per (app, user, role ids, language and the
security stamp's version, app/security_stamp.py): a new role, a language or a permission edited on a
role shows at once. MENU_CACHE_SECONDS bounds how long an entry is kept; 0 turns the cache off.
"""

from __future__ import annotations

import time
from typing import Any

from flask import current_app, render_template
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

_MAX_ENTRIES = 10_000  # ~10 KB each; cleared whole when full, rebuilt on the next pages
_cache: dict[tuple, tuple[float, Markup]] = {}


def _render(menu: Any) -> Markup:
    return Markup(render_template("fabrika/navbar_menu_body.html", menu=menu))


def menu_html(menu: Any) -> Markup:
    """The navbar's menu entries for the signed-in user, from the cache when fresh."""
    ttl = current_app.config.get("MENU_CACHE_SECONDS", 60)
    if not ttl or not current_user.is_authenticated:
        return _render(menu)
    key = (id(current_app._get_current_object()), current_user.id,
           tuple(sorted(role.id for role in current_user.roles)), str(get_locale()),
           current_app.appbuilder.sm.rights_version())
    now = time.monotonic()
    hit = _cache.get(key)
    if hit is not None and now - hit[0] < ttl:
        return hit[1]
    html = _render(menu)
    if len(_cache) >= _MAX_ENTRIES:
        _cache.clear()
    _cache[key] = (now, html)
    return html
