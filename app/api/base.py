"""The REST API's base classes: one place for paging, browser login and how a refusal is answered."""

from __future__ import annotations

from flask_appbuilder.api import ModelRestApi
from flask_babel import gettext

from app.domain.errors import DomainError
from app.permissions import CRUD, READ_ONLY


class FabrikaApi(ModelRestApi):
    """A register's REST API with the same permissions as its pages (CRUD unless a subclass says otherwise)."""

    method_permission_name = CRUD
    allow_browser_login = True
    page_size = 50
    max_page_size = 1000

    def _refused(self, exc: DomainError):
        """A DomainError as 422 with every problem in the caller's language; nothing was written."""
        return self.response(422, message=exc.messages(gettext))


class ReadOnlyApi(FabrikaApi):
    """Registers written only through command endpoints (documents): GETs here, commands in subclasses."""

    method_permission_name = READ_ONLY
    include_route_methods = {"get", "get_list", "info"}
