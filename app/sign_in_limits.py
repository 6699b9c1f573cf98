"""Sign-in limits that count failed passwords only (issue 14, item 11).

Two failure counters, kept in the database (app/ratelimit.py) so every gunicorn worker sees the same
numbers, are shared by the sign-in form and the REST API's login:

- per client address (AUTH_ADDRESS_FAILURE_LIMIT, default 30 a minute and 200 an hour): one
  address guessing many accounts is held up, while an office of fifty people behind one address
  signing in at nine all get in, typos included;
- per user name (AUTH_RATE_LIMIT, 10 a minute): one account guessed from many addresses is held up.

A correct password is never counted (Flask-Limiter `deduct_when`: the counters are only tested
before the attempt and hit after it when the password was wrong). While a counter is over its
limit every attempt it covers is refused, the right password too: answering it would tell a
guesser that the password is right.

So that a guesser elsewhere can't lock the account's owner out, a browser that has signed in as a
user gets a signed "known device" cookie; its attempts for that user are counted on a counter of
their own ("user:<name>:known"), which strangers without the cookie never touch.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import after_this_request, current_app, g, request
from flask.wrappers import Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

ADDRESS_SCOPE = "sign-in-address"
USER_SCOPE = "sign-in-user"
DEFAULT_ADDRESS_LIMIT = "30 per 1 minute;200 per 1 hour"
DEVICE_COOKIE = "fabrika_known_device"
DEVICE_MAX_AGE = 180 * 24 * 3600
_FAILED = "_fabrika_sign_in_failed"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="fabrika-sign-in-device")


def attempted_user() -> str:
    """The account a sign-in attempt names (form field or JSON body), as FAB matches it: case-insensitively."""
    body = request.get_json(silent=True) if request.is_json else None
    name = body.get("username") if isinstance(body, dict) else request.form.get("username")
    return str(name or "").strip().lower()[:64]


def _known_device(name: str) -> bool:
    """Whether this browser carries a valid known-device cookie for `name`."""
    token = request.cookies.get(DEVICE_COOKIE)
    if not token or not name:
        return False
    try:
        return _serializer().loads(token, max_age=DEVICE_MAX_AGE) == name
    except BadSignature:
        return False


def user_key() -> str:
    """The per-user counter of this attempt: the known-device one when the browser has signed in as them."""
    name = attempted_user()
    return f"user:{name}:known" if _known_device(name) else f"user:{name}"


def record_attempt(user: object | None) -> None:
    """Called with FAB's answer to a password check: mark a failure, remember the browser on success."""
    g.setdefault(_FAILED, False)
    if user is None:
        setattr(g, _FAILED, True)
        return
    name = str(getattr(user, "username", "") or "").strip().lower()[:64]
    token = _serializer().dumps(name)
    secure = bool(current_app.config.get("SESSION_COOKIE_SECURE", False))

    @after_this_request
    def _remember(response: Response) -> Response:
        response.set_cookie(DEVICE_COOKIE, token, max_age=DEVICE_MAX_AGE, httponly=True, samesite="Lax",
                            secure=secure, path=request.script_root or "/")
        return response


def password_was_wrong(_response: Response) -> bool:
    """Flask-Limiter `deduct_when`: count the attempt only when a password check failed.

    The count is written after the view, on the storage's own connection; on SQLite the request's
    session may still hold the write lock (BEGIN IMMEDIATE) from its last read, so it ends first.
    """
    failed = bool(g.get(_FAILED, False))
    if failed:
        from app.extensions import db
        from app.services.base import end_read_transaction, in_unit_of_work

        if not in_unit_of_work(db.session):
            end_read_transaction(db.session)
    return failed


def sign_in_limits(limiter, user_limit: str, address_limit: str) -> tuple[Callable, Callable]:
    """The two shared failure limits (decorators) for the sign-in endpoints."""
    return (
        limiter.shared_limit(address_limit, scope=ADDRESS_SCOPE, methods=["POST"], deduct_when=password_was_wrong),
        limiter.shared_limit(user_limit, scope=USER_SCOPE, key_func=user_key, methods=["POST"],
                             deduct_when=password_was_wrong),
    )
