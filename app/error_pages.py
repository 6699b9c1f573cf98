"""Error pages inside the app's layout (menu, language, a way back) instead of Werkzeug's English text.

FAB answers a signed-in user without the permission with `abort(403)`, and Flask-Limiter a refused
sign-in with 429; both used to reach the browser as a bare English page without the menu. Here
they become translated pages in the app's own layout; the REST API keeps JSON answers.
"""

from __future__ import annotations

import math
import time

from flask import Response, current_app, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.exceptions import Forbidden, TooManyRequests


def _wants_json() -> bool:
    from app.api.errors import is_api_request

    return is_api_request()


def _back_url() -> str:
    """Where the "back" button goes: the page the user came from on this site, else the start page."""
    from app.web import is_safe_target

    referrer = request.referrer
    home = request.script_root + "/"
    if referrer and referrer != request.url and is_safe_target(referrer, request.host):
        return referrer
    return home


def render_error(status: int, title: str, message: str, back_url: str, back_label: str) -> Response:
    """One error page in the app's layout, with the menu the user is allowed to see."""
    appbuilder = current_app.appbuilder
    html = render_template(
        "fabrika/error.html",
        base_template=appbuilder.base_template,
        appbuilder=appbuilder,
        title=title,
        message=message,
        back_url=back_url,
        back_label=back_label,
        status=status,
    )
    return Response(html, status=status, mimetype="text/html")


def forbidden(_error: Forbidden) -> Response:
    """403: a signed-in user opened a page their role does not include."""
    message = _("Your role does not give access to this page. If you need it for your work, ask the administrator.")
    if _wants_json():
        from app.api.errors import json_error

        return json_error(403, message)
    return render_error(403, _("Access denied"), message, _back_url(), _("Back"))


def seconds_to_wait(error: TooManyRequests) -> int:
    """Seconds until the breached counter's window ends (Flask-Limiter's reset time), at least 1."""
    limiter = getattr(current_app.appbuilder.sm, "limiter", None)
    current = getattr(limiter, "current_limit", None) if limiter is not None else None
    reset_at = getattr(current, "reset_at", None)
    if reset_at:
        return max(1, math.ceil(reset_at - time.time()))
    limit = getattr(getattr(error, "limit", None), "limit", None)
    try:
        return int(limit.get_expiry())
    except (AttributeError, TypeError, ValueError):
        return 60


def wait_message(seconds: int) -> str:
    """"Try again in 42 seconds" / "in 5 minutes", with the clock time to come back at."""
    if seconds <= 90:
        when = ngettext("%(num)s second", "%(num)s seconds", seconds)
    else:
        when = ngettext("%(num)s minute", "%(num)s minutes", math.ceil(seconds / 60))
    return _("Too many failed sign-in attempts. Please try again in %(when)s.", when=when)


def too_many_requests(error: TooManyRequests) -> Response:
    """429: a clear, translated message saying when to retry; JSON for the API."""
    seconds = seconds_to_wait(error)
    message = wait_message(seconds)
    if _wants_json():
        response = jsonify(message=message)
    else:
        response = render_error(429, _("Sign-in temporarily blocked"), message,
                                url_for(f"{type(current_app.appbuilder.sm.auth_view).__name__}.login"),
                                _("Back to the sign-in page"))
    response.status_code = 429
    response.headers["Retry-After"] = str(seconds)
    return response
