"""REST writes of versioned registers: `If-Match: <row_version>` makes a PUT refuse a newer row.

A client reads `row_version` with the row (GET) and sends it back in the `If-Match` header (an
ETag such as `"3"` or `W/"3"` is accepted too); the PUT is then refused with 422 when the row changed
meanwhile, naming who changed it, when, and both versions of each field. Without the header the
PUT is not checked (clients written before versions existed keep working). The version itself is
never written by a client: the schema converter makes `row_version` read-only (app/api/related.py).
"""

from __future__ import annotations

from typing import Any

from flask import request

from app.extensions import db
from app.services.versioning import check_opened_version


def opened_version() -> str | None:
    """The version the client opened the row with (the If-Match header), or None."""
    return request.headers.get("If-Match")


class VersionedApiMixin:
    """For a FabrikaApi of a Versioned model; put it first in the bases."""

    # never in a write schema: FAB's PUT merges the dumped row with the body, and the counter is the ORM's
    add_exclude_columns = edit_exclude_columns = ["row_version"]

    def pre_update(self, item: Any) -> None:
        check_opened_version(db.session, item, opened_version(), str(item))
        super().pre_update(item)  # type: ignore[misc]
