"""Who a REST API request is: a bearer token, or a browser's session together with its CSRF token.

FAB exempts its API from CSRF (it expects bearer tokens), yet every Fabrika API also accepts the
session cookie (`allow_browser_login`, so the app's own pages can call it). A cookie is sent by the
browser with any request, including a form on another site posting to `/api/v1/...`, so:

- a request carrying `Authorization: Bearer ...` is the token's user alone: the session is ignored,
  and a bad token is a 401 (never rescued by the cookie);
- a write (POST, PUT, PATCH, DELETE) authenticated by the session cookie must carry the session's
  CSRF token, in the X-CSRFToken header as the pages' fetch calls send it, or it is refused with a
  JSON 403 before it reaches the endpoint;
- reads with the cookie, and the sign-in endpoint itself (its password is its proof), need no token.

A malformed or wrongly signed JWT is answered 401 like a missing or expired one (flask-jwt-extended
says 422 by default, which clients read as "your data was wrong").
"""

from __future__ import annotations

from flask import Flask, Response, current_app, g, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from app.extensions import csrf

API_PREFIX = "/api/"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Endpoints that authenticate by what their body carries, not by the cookie.
SELF_AUTHENTICATING = frozenset({"SecurityApi.login"})


def register(app: Flask) -> None:
    """Check every API request before its endpoint runs."""
    app.before_request(guard_api_request)


def guard_api_request() -> Response | None:
    """None to let the request through; a 403 for a session-cookie write without its CSRF token."""
    if not request.path.startswith(API_PREFIX):
        return None
    if has_bearer_token():
        _ignore_session()
        return None
    if request.method in SAFE_METHODS or request.endpoint in SELF_AUTHENTICATING:
        return None
    if not current_app.config.get("WTF_CSRF_ENABLED", True) or not current_user.is_authenticated:
        return None  # no session user: the endpoint's own check answers 401
    try:
        csrf.protect()
    except CSRFError:
        return _refused()
    return None


def has_bearer_token() -> bool:
    """The request names a bearer token in the header flask-jwt-extended reads."""
    header = request.headers.get(current_app.config.get("JWT_HEADER_NAME", "Authorization"), "")
    kind = current_app.config.get("JWT_HEADER_TYPE", "Bearer")
    return header.lower().startswith(kind.lower() + " ")


def _ignore_session() -> None:
    """Make the session's user invisible for this request, so FAB verifies the token and acts as its user.

    Flask-Login reads the user from `g._login_user` when it is set; an anonymous one there means the
    cookie is never looked at.
    """
    g._login_user = current_app.login_manager.anonymous_user()


def _refused() -> Response:
    message = _("This request is signed in by the browser's session: send the page's CSRF token in the "
                "X-CSRFToken header, or use an API token")
    response = jsonify(message=message)
    response.status_code = 403
    return response


def install_jwt_errors(jwt_manager) -> None:
    """Answer a malformed, wrongly signed or wrong-kind token 401, as a missing or expired one is."""
    jwt_manager.invalid_token_loader(_invalid_token)


def _invalid_token(reason: str) -> Response:
    response = jsonify({current_app.config.get("JWT_ERROR_MESSAGE_KEY", "msg"): reason})
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response
