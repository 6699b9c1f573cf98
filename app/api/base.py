"""The REST API's base classes: one place for paging, browser login and how a refusal is answered.

Every command endpoint runs its service through `FabrikaApi.command`: one use case, one transaction
(retried on a deadlock), one error contract. A refusal is `422` with

    {"message": ["<translated text>", ...],
     "errors": [{"message": "<translated text>", "field": "qty" | null, "line": 2 | null}, ...]}

the same shape for every register (documented in OpenAPI as `Refusal`); a database that stays busy is
`503` with `Retry-After`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_appbuilder.api import ModelRestApi
from flask_babel import gettext

from app.api.related import IdOnlyConverter
from app.domain.errors import DomainError
from app.extensions import db
from app.permissions import CRUD, READ_ONLY
from app.services.base import Busy, run_use_case


class FabrikaApi(ModelRestApi):
    """A register's REST API with the same permissions as its pages (CRUD unless a subclass says otherwise)."""

    method_permission_name = CRUD
    allow_browser_login = True
    page_size = 50
    max_page_size = 1000
    model2schemaconverter = IdOnlyConverter  # related records by id only (app/api/related.py)

    def post_headless(self):
        """FAB's create, with a row refused by pre_add (a DomainError) answered 422, nothing saved."""
        try:
            return super().post_headless()
        except DomainError as exc:
            db.session.rollback()  # FAB's own transaction (it commits itself): nothing of it is kept
            return self._refused(exc)

    def put_headless(self, pk):
        """FAB's update, with a change refused by pre_update answered 422, nothing saved."""
        try:
            return super().put_headless(pk)
        except DomainError as exc:
            db.session.rollback()
            return self._refused(exc)

    def _refused(self, exc: DomainError):
        """A DomainError as 422 with every problem in the caller's language; nothing was written."""
        if isinstance(exc, Busy):
            resp = self.response(503, message=exc.messages(gettext), errors=refusal(exc))
            resp.headers["Retry-After"] = "1"
            return resp
        return self.response(422, message=exc.messages(gettext), errors=refusal(exc))

    def command(self, use_case: Callable[[], Any], render: Callable[[Any], dict], status: int = 200):
        """Run one command endpoint's use case (the same service its page button calls) and answer it.

        `use_case` parses the request and calls the service (parsing problems are DomainErrors too, so
        they are answered like the service's own); `render` turns its result into the JSON body.
        """
        try:
            result = run_use_case(db.session, use_case)
        except DomainError as exc:
            return self._refused(exc)
        return self.response(status, **render(result))


class ReadOnlyApi(FabrikaApi):
    """Registers written only through command endpoints (documents): GETs here, commands in subclasses."""

    method_permission_name = READ_ONLY
    include_route_methods = {"get", "get_list", "info"}


def refusal(exc: DomainError) -> list[dict]:
    """The problems of a refusal as the API's `errors` list, each in the caller's language."""
    return [{"message": p.render(gettext), "field": p.field, "line": p.line} for p in exc.problems]
