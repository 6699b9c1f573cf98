"""The REST API's base classes: one place for paging, browser login and how a refusal is answered.

Every command endpoint runs its service through `FabrikaApi.command`: one use case, one transaction
(retried on a deadlock), one error contract. A refusal is `422` with

    {"message": ["<translated text>", ...],
     "errors": [{"message": "<translated text>", "field": "qty" | null, "line": 2 | null}, ...]}

the same shape for every register (documented in OpenAPI as `Refusal`); a database that stays busy is
`503` with `Retry-After`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import yaml
from apispec.exceptions import DuplicateComponentNameError
from flask_appbuilder.api import BaseApi, ModelRestApi
from flask_babel import gettext
from sqlalchemy.exc import SQLAlchemyError

from app.api import errors, params, spec
from app.api.related import IdOnlyConverter
from app.api.rows import MSG_CONFLICT, MSG_IN_USE, check_row
from app.domain.errors import DomainError, Problem
from app.extensions import db
from app.permissions import CRUD, READ_ONLY
from app.services.base import Busy, run_use_case

# marshmallow's English messages (FAB's generic create / update) as our translated ones
_MARSHMALLOW = {
    "Missing data for required field.": params.MSG_REQUIRED,
    "Field may not be null.": params.MSG_REQUIRED,
    "Not a valid integer.": params.MSG_NAN,
    "Not a valid number.": params.MSG_NAN,
    "Not a valid string.": params.MSG_TEXT,
    "Not a valid boolean.": params.MSG_BOOL,
    "Not a valid date.": params.MSG_DATE,
    "Not a valid datetime.": "%(field)s must be a date and time (YYYY-MM-DDTHH:MM:SS)",
    "Unknown field.": "%(field)s is not a field of this register",
    "Invalid input type.": params.MSG_BODY,
}


class ApiContract:
    """What every Fabrika API answers alike: the refusal contract, JSON errors, commands, its OpenAPI part."""

    def response_400(self, message=None):
        """FAB's 400s (an unreadable `q`, a body that is not JSON) in the one error shape, in words."""
        text = str(message or "")
        if text.startswith("Not a valid rison"):
            return errors.json_error(400, gettext(errors.MSG_QUERY), field="q")
        return errors.json_error(400, gettext(errors.MSG_BAD_REQUEST))

    def response_404(self):
        return errors.json_error(404, gettext(errors.MSG_NOT_FOUND))

    # --- the OpenAPI document (app/api/spec.py) ---------------------------------------------------

    def add_apispec_components(self, api_spec) -> None:
        """FAB's components, the shared ones (Refusal, command bodies), this API's schemas mended."""
        super().add_apispec_components(api_spec)
        for name, schema in spec.SCHEMAS.items():
            _add_component(api_spec.components.schema, name, schema)
        for name, response in spec.RESPONSES.items():
            _add_component(api_spec.components.response, name, response)
        prefix = f"{type(self).__name__}."
        for name, schema in api_spec.components.schemas.items():
            if name.startswith(prefix):
                spec.mend_schema(schema)

    def operation_helper(self, path=None, operations=None, methods=None, func=None, **kwargs) -> None:
        """FAB's operation from the docstring, with its path parameters and every status code it answers."""
        super().operation_helper(path=path, operations=operations, methods=methods, func=func, **kwargs)
        for method, operation in operations.items():
            spec.path_parameters(path, operation)
            spec.error_responses(path, operation)
            spec.mend_list_and_info(path, method, operation)

    def response_500(self, message=None):
        """FAB's @safe: a database that is down or locked is 503 (retry); nothing internal is ever shown."""
        exc = sys.exc_info()[1]
        db.session.rollback()
        if exc is not None and errors.is_unavailable(exc):
            return errors.unavailable()
        return errors.internal_error()

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
        except SQLAlchemyError as exc:  # run_use_case rolled back: nothing of the use case was kept
            if errors.is_unavailable(exc):
                return errors.unavailable()
            raise
        return self.response(status, **render(result))


class FabrikaApi(ApiContract, ModelRestApi):
    """A register's REST API with the same permissions as its pages (CRUD unless a subclass says otherwise)."""

    method_permission_name = CRUD
    allow_browser_login = True
    page_size = 50
    max_page_size = 1000
    model2schemaconverter = IdOnlyConverter  # related records by id only (app/api/related.py)

    def _init_properties(self) -> None:
        """FAB's defaults, with each row's `id` in every list (a client needs it to read or change the row)."""
        super()._init_properties()
        if "id" not in self.list_columns:
            self.list_columns = ["id", *self.list_columns]

    def post_headless(self):
        """FAB's create, with a row refused by pre_add (a DomainError) answered 422, nothing saved."""
        try:
            params.json_body(required=True)
            return super().post_headless()
        except DomainError as exc:
            db.session.rollback()  # FAB's own transaction (it commits itself): nothing of it is kept
            return self._refused(exc)
        except SQLAlchemyError as exc:
            return self._database_refused(exc, MSG_CONFLICT)

    def put_headless(self, pk):
        """FAB's update, with a change refused by pre_update answered 422, nothing saved."""
        try:
            if not possible_pk(pk):
                return self.response_404()
            params.json_body(required=True)
            return super().put_headless(pk)
        except DomainError as exc:
            db.session.rollback()
            return self._refused(exc)
        except SQLAlchemyError as exc:
            return self._database_refused(exc, MSG_CONFLICT)

    def pre_add(self, item) -> None:
        """Check the row against its columns (lengths, vocabularies, ranges, uniques) before FAB saves it.

        Subclasses that add their own checks call this first.
        """
        check_row(db.session, item)

    def pre_update(self, item) -> None:
        check_row(db.session, item)

    def _database_refused(self, exc: SQLAlchemyError, msgid: str):
        """A write the database refused after all: 503 when it is unavailable, else 422 without SQL."""
        db.session.rollback()
        if errors.is_unavailable(exc):
            return errors.unavailable()
        return self._refused(DomainError(msgid))

    def response_422(self, message=None):
        """FAB's own 422s (marshmallow's field errors, a database refusal) in the one refusal contract."""
        if isinstance(message, dict):
            return self._refused(DomainError(marshmallow_problems(message)))
        cause = sys.exc_info()[1]
        in_use = cause is not None and getattr(self, "_deleting", False)
        return self._refused(DomainError(MSG_IN_USE if in_use else MSG_CONFLICT))

    def get_headless(self, pk, **kwargs):
        """FAB's read; an id no INTEGER column can hold is simply not found (not an overflow inside)."""
        return super().get_headless(pk, **kwargs) if possible_pk(pk) else self.response_404()

    def delete_headless(self, pk):
        """FAB's delete; a row still used elsewhere (FAB's DatabaseException) is refused in words."""
        if not possible_pk(pk):
            return self.response_404()
        self._deleting = True
        try:
            return super().delete_headless(pk)
        finally:
            self._deleting = False

    def _handle_page_args(self, rison_args: dict):
        """Page and page size of a list: whole numbers (page >= 0, size >= 1); refused otherwise."""
        page, size = rison_args.get("page"), rison_args.get("page_size")
        params.collect(lambda: params.integer(page, "page", low=0),
                       lambda: params.integer(size, "page_size", low=1, high=self.max_page_size))
        return super()._handle_page_args(rison_args)

    def get_list_headless(self, **kwargs):
        """FAB's list, with bad paging answered 422 and a filter value the query cannot take (a list where
        a text is compared, a text for a date) answered 400 on `q`, instead of a query the database refuses."""
        try:
            return super().get_list_headless(**kwargs)
        except DomainError as exc:
            return self._refused(exc)
        except (SQLAlchemyError, TypeError, ValueError, AttributeError) as exc:
            db.session.rollback()
            if errors.is_unavailable(exc):
                raise
            return errors.json_error(400, gettext(errors.MSG_QUERY), field="q")

class CommandApi(ApiContract, BaseApi):
    """Endpoints that are commands or reports over several registers (no model of their own)."""

    allow_browser_login = True


class ReadOnlyApi(FabrikaApi):
    """Registers written only through command endpoints (documents): GETs here, commands in subclasses."""

    method_permission_name = READ_ONLY
    include_route_methods = {"get", "get_list", "info"}


PATH_PK = [{"in": "path", "name": "pk", "required": True, "schema": {"type": "integer"}}]  # documented by hand


def command_doc(answer: str | dict, description: str, *, body: str | dict | None = None, status: int = 200,
                verb: str = "post", required: bool = True, parameters: list[dict] | None = None) -> Callable:
    """Write a command endpoint's OpenAPI part (the YAML after `---` that FAB reads) below its docstring.

    Every command answers the same way: an optional JSON body, one JSON answer. `answer` and `body` name a
    component schema (app/api/spec.py) or are the schema itself; the body is required unless it says not.
    One helper instead of the same fifteen YAML lines in each endpoint of each module.
    """
    operation: dict = {"parameters": parameters} if parameters else {}
    if body is not None:
        operation["requestBody"] = {**({"required": True} if required else {}),
                                    "content": {"application/json": {"schema": _schema(body)}}}
    operation["responses"] = {status: {"description": description,
                                       "content": {"application/json": {"schema": _schema(answer)}}}}
    text = "\n---\n" + yaml.dump({verb: operation}, Dumper=_PlainDumper, sort_keys=False)

    def decorate(func: Callable) -> Callable:
        func.__doc__ = f"{func.__doc__ or ''}{text}"
        return func
    return decorate


class _PlainDumper(yaml.SafeDumper):
    """YAML without anchors: a schema dict used twice is written out twice, as a reader expects."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _schema(schema: str | dict) -> dict:
    return {"$ref": f"#/components/schemas/{schema}"} if isinstance(schema, str) else schema


def _add_component(register: Callable, name: str, value: dict) -> None:
    try:
        register(name, value)
    except DuplicateComponentNameError:
        pass  # another API registered it first: the same dict


def possible_pk(pk: Any) -> bool:
    """A primary key value some row could have: a whole number within the INTEGER range."""
    text = str(pk)
    return text.isascii() and text.isdigit() and 0 < int(text) <= params.MAX_ID


def marshmallow_problems(messages: dict, prefix: str = "") -> list[Problem]:
    """marshmallow's {field: [English texts]} (nested for lists) as our problems, each naming its field."""
    problems = []
    for key, value in messages.items():
        field = f"{prefix}{key}" if key != "_schema" else (prefix.rstrip(".") or None)
        if isinstance(value, dict):
            problems += marshmallow_problems(value, f"{field}.")
            continue
        for text in value if isinstance(value, list) else [value]:
            msgid = _MARSHMALLOW.get(str(text))
            problems.append(Problem(msgid, {"field": field}, field=field) if msgid
                            else Problem("%(field)s: %(problem)s", {"field": field, "problem": str(text)}, field=field))
    return problems


def refusal(exc: DomainError) -> list[dict]:
    """The problems of a refusal as the API's `errors` list, each in the caller's language."""
    return [{"message": p.render(gettext), "field": p.field, "line": p.line} for p in exc.problems]
