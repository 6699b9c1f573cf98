"""Request hooks: security headers, the user's remembered language, safe redirects, refused sign-ins.

- Headers come from flask-talisman: a CSP that names no other host and runs no inline script
  without the request's nonce (the Jinja global `csp_nonce()`), X-Frame-Options,
  X-Content-Type-Options, Referrer-Policy; HTTPS-only cookies, HSTS and the redirect to https
  when the deployment says HTTPS=1 (SESSION_COOKIE_SECURE).
- Redirects: FAB 5.3 checks `?next=` itself (utils.base.is_safe_redirect_url), but lets
  `/\\evil.example` through, which browsers read as `//evil.example`. Rather than second-guess every
  place a redirect may come from, every redirect response is checked on its way out.
- A page refused to the user's role (403) and a sign-in refused by the rate limit (429) get
  translated pages in the app's layout (app/error_pages.py) instead of Werkzeug's English page.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from fnmatch import fnmatch
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request, session
from flask_login import current_user, user_logged_in
from flask_talisman import Talisman
from werkzeug.exceptions import Forbidden, TooManyRequests

from app import error_pages
from app.api import auth as api_auth
from app.permission_labels import role_label
from app.views.access import may_open
from app.views.menu_cache import menu_html
from app.views.menu_groups import grouped_menu

CSP = {
    "default-src": "'self'",
    "img-src": ["'self'", "data:"],
    "style-src": ["'self'", "'unsafe-inline'"],
    # Scripts come from this site only: files under /static, and inline blocks carrying the request's
    # nonce (added by Talisman, written by templates as nonce="{{ csp_nonce() }}"; FAB's own do so).
    # No 'unsafe-inline': markup injected into a page can't run, nor can inline event handlers.
    "script-src": ["'self'"],
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'self'",
}
# Browsers drop tabs and newlines anywhere in a URL and C0 controls / spaces at its ends.
_URL_NOISE = re.compile(r"[\t\n\r]")
_EDGE_NOISE = re.compile(r"^[\x00-\x20]|[\x00-\x20]$")


def register_web_hooks(app: Flask) -> None:
    https = bool(app.config.get("SESSION_COOKIE_SECURE", False))
    Talisman(
        app,
        force_https=https,
        session_cookie_secure=https,
        content_security_policy=CSP,
        content_security_policy_nonce_in=["script-src"],
        frame_options="SAMEORIGIN",
        strict_transport_security=https,
        referrer_policy="same-origin",
    )
    api_auth.register(app)
    app.jinja_env.globals["fabrika_menu"] = grouped_menu  # the navbar's grouped menu
    app.jinja_env.globals["fabrika_role_label"] = role_label  # FAB's roles list (app/templates/appbuilder)
    app.jinja_env.globals["fabrika_menu_html"] = menu_html  # the navbar menu, kept per user and language
    app.jinja_env.globals["may_open"] = may_open  # links into other registers only for who may follow them
    user_logged_in.connect(_restore_locale, app)
    app.after_request(_remember_locale)
    app.after_request(_guard_redirect)
    app.register_error_handler(TooManyRequests, error_pages.too_many_requests)
    app.register_error_handler(Forbidden, error_pages.forbidden)


def is_safe_target(target: str | None, host: str = "", allowed_hosts: Iterable[str] = ()) -> bool:
    """True for a path on this site, or an absolute http(s) URL on `host` or on a host matching
    one of `allowed_hosts` (FAB_SAFE_REDIRECT_HOSTS patterns); never any other host.

    The target is read as a browser would: backslashes count as slashes, tabs and newlines are
    dropped, so `/\\evil.example` and `/\\t/evil.example` are both `//evil.example`.
    """
    if not target:
        return False
    if _EDGE_NOISE.search(target):
        return False
    url = _URL_NOISE.sub("", target).replace("\\", "/")
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if not parts.scheme and not parts.netloc:
        return url.startswith("/") and not url.startswith("//")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    return parts.netloc == host or any(fnmatch(parts.netloc, pattern) for pattern in allowed_hosts)


def _guard_redirect(response: Response) -> Response:
    """Send a redirect that would leave the site to the start page instead."""
    location = response.headers.get("Location")
    if location is None or not 300 <= response.status_code < 400:
        return response
    if not is_safe_target(location, request.host, current_app.config.get("FAB_SAFE_REDIRECT_HOSTS", ())):
        current_app.logger.warning("Refused redirect off-site to %r", location)
        response.headers["Location"] = request.script_root + "/"
    return response


def _restore_locale(sender, user, **extra) -> None:
    from app.extensions import db
    from app.models.audit import UserPreference

    pref = db.session.query(UserPreference).filter_by(user_id=user.id).first()
    if pref and pref.locale in sender.config["LANGUAGES"]:
        session["locale"] = pref.locale


def _remember_locale(response: Response) -> Response:
    """Keep the language a signed-in user picks (FAB's /lang/<code>) for their next sessions."""
    if (
        request.endpoint == "LocaleView.index"
        and response.status_code < 400
        and getattr(current_user, "is_authenticated", False)
    ):
        from app.services.preferences import set_locale

        set_locale(current_user.id, (request.view_args or {}).get("locale", ""))
    return response
