"""JSON errors for JSON clients: an API caller never gets Werkzeug's or Flask's HTML error page.

Under /api/ every HTTP error (404 for an unknown path or an id that is not a number, 405 for a wrong
method, 400 for an unreadable body) answers `{"message": [...], "errors": [...]}` like a refusal, and
a database that is down or locked (OperationalError, a lock or statement timeout) answers 503 with
Retry-After: the caller may simply try again. Any other failure is a JSON 500 whose message says
nothing about the code (the details go to the log). Pages keep their HTML errors.
"""

from __future__ import annotations

import logging

import prison
from flask import Flask, Response, has_request_context, jsonify, request, session
from flask_babel import gettext
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException

from app.services.base import MSG_BUSY

log = logging.getLogger(__name__)

MSG_UNAVAILABLE = "The database is not available at the moment: try again in a moment"
MSG_INTERNAL = "Something went wrong on the server; the error was logged"
MSG_NOT_FOUND = "Not found"
MSG_METHOD = "This method is not allowed here"
MSG_BAD_REQUEST = "The request could not be read"
MSG_QUERY = "q is not a valid query argument (Rison or JSON: filters, order, page, page_size)"
RETRY_AFTER = "5"
MAX_ID = 2**31 - 1  # ids are INTEGER columns


def is_api_request() -> bool:
    """A request of an API client: our REST paths, or a caller that asks for JSON first."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def json_error(status: int, message: str, retry_after: str | None = None, field: str | None = None) -> Response:
    """The one error body: the same shape as a refusal (message list, errors list)."""
    resp = jsonify(message=[message], errors=[{"message": message, "field": field, "line": None}])
    resp.status_code = status
    if retry_after:
        resp.headers["Retry-After"] = retry_after
    return resp


def is_unavailable(exc: BaseException) -> bool:
    """The database is down, unreachable or locked: nothing was written, a retry may succeed."""
    if isinstance(exc, OperationalError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def unavailable() -> Response:
    log.warning("database unavailable for %s %s", request.method, request.path)
    return json_error(503, gettext(MSG_UNAVAILABLE), RETRY_AFTER)


def busy() -> Response:
    return json_error(503, gettext(MSG_BUSY), "1")


def internal_error() -> Response:
    return json_error(500, gettext(MSG_INTERNAL))


_HTTP_MESSAGES = {404: MSG_NOT_FOUND, 405: MSG_METHOD, 400: MSG_BAD_REQUEST}


def _http_error(exc: HTTPException):
    if not is_api_request() or exc.code is None or exc.code < 400:
        return exc
    msgid = _HTTP_MESSAGES.get(exc.code)
    resp = json_error(exc.code, gettext(msgid) if msgid else exc.name)
    if exc.code == 405 and exc.valid_methods:
        resp.headers["Allow"] = ", ".join(exc.valid_methods)
    return resp


def _database_error(exc: Exception):
    if not is_api_request():
        raise exc
    if is_unavailable(exc):
        return unavailable()
    log.exception("database error in %s %s", request.method, request.path)
    return internal_error()


def _guard_request():
    """Before an API endpoint runs: a path id no row can have is not found (the routes' <int:pk> takes any
    size, and the database driver overflows); a `q` FAB's Rison parser cannot survive is refused."""
    if not request.path.startswith("/api/"):
        return None
    for value in (request.view_args or {}).values():
        if isinstance(value, int) and not 0 < value <= MAX_ID:
            return json_error(404, gettext(MSG_NOT_FOUND))
    raw = request.args.get("q")
    if raw is None:
        return None
    try:
        prison.loads(raw)
    except prison.decoder.ParserException:
        return None  # FAB tries JSON next and answers 400 itself
    except Exception:  # noqa: BLE001 - RecursionError, IndexError... inside the parser
        return json_error(400, gettext(MSG_QUERY), field="q")
    return None


def _api_locale(app: Flask) -> None:
    """An API client's language: FAB's `?_l_=` or the session's choice, else its Accept-Language header.

    FAB's selector knows only the session (a browser's /lang/ choice) and falls back to the default, so
    a client with a bearer token could never read a refusal in Russian or Spanish.
    """
    babel = app.extensions["babel"]
    fab_selector = babel.locale_selector

    def selector():
        if (has_request_context() and request.path.startswith("/api/") and "_l_" not in request.args
                and not session.get("locale") and request.accept_languages):
            best = request.accept_languages.best_match(list(app.config.get("LANGUAGES") or {}))
            if best:
                return best
        return fab_selector() if fab_selector else None

    babel.locale_selector = selector


def register_json_errors(app: Flask) -> None:
    """Answer API clients' errors in JSON (pages are untouched: their handlers return the error as is)."""
    _api_locale(app)
    app.before_request(_guard_request)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(DBAPIError, _database_error)
