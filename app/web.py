"""Request hooks: security headers, the user's remembered language, safe redirects after login."""

from __future__ import annotations

from urllib.parse import urlparse

from flask import Flask, redirect, request, session
from flask_login import current_user, user_logged_in
from flask_talisman import Talisman

CSP = {
    "default-src": "'self'",
    "img-src": ["'self'", "data:"],
    "style-src": ["'self'", "'unsafe-inline'"],
    # FAB's templates use inline handlers, so scripts may be inline but never from another host.
    "script-src": ["'self'", "'unsafe-inline'"],
    "object-src": "'none'",
    "frame-ancestors": "'self'",
}


def register_web_hooks(app: Flask) -> None:
    Talisman(
        app,
        force_https=app.config.get("SESSION_COOKIE_SECURE", False),
        session_cookie_secure=app.config.get("SESSION_COOKIE_SECURE", False),
        content_security_policy=CSP,
        frame_options="SAMEORIGIN",
        strict_transport_security=app.config.get("SESSION_COOKIE_SECURE", False),
        referrer_policy="same-origin",
    )
    user_logged_in.connect(_restore_locale, app)
    app.before_request(_guard_next_param)
    app.after_request(_remember_locale)


def is_safe_target(target: str | None) -> bool:
    """Only paths on this host: no scheme, no other host, no protocol-relative //evil."""
    if not target:
        return False
    parsed = urlparse(target)
    return not parsed.scheme and not parsed.netloc and target.startswith("/") and not target.startswith("//")


def _guard_next_param():
    # FAB redirects to ?next= after login; an absolute URL there would be an open redirect.
    nxt = request.args.get("next")
    if nxt is not None and not is_safe_target(nxt.replace("\\", "/")):
        args = request.args.to_dict()
        args.pop("next", None)
        return redirect(request.path)
    return None


def _restore_locale(sender, user, **extra) -> None:
    from app.extensions import db
    from app.models.audit import UserPreference

    pref = db.session.query(UserPreference).filter_by(user_id=user.id).first()
    if pref and pref.locale in sender.config["LANGUAGES"]:
        session["locale"] = pref.locale


def _remember_locale(response):
    if request.path.startswith("/lang/") and getattr(current_user, "is_authenticated", False):
        from app.services.preferences import set_locale

        locale = request.path.rsplit("/", 1)[-1]
        set_locale(current_user.id, locale)
    return response
