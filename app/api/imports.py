"""REST API of imports: `POST /api/v1/import/<kind>` with the file (base64), checked and, unless told
only to check, imported: the same services as the pages (upload, check_run, apply_run), all or nothing.

The answer names the run, its state and counts and the first rows' problems and changes; a file with
one bad row is answered 422 with the problems and writes nothing (`check_only` answers the preview).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from flask_appbuilder.api import expose, protect, safe
from flask_babel import gettext

from app.api import params as p
from app.api.base import CommandApi
from app.domain.errors import DomainError
from app.extensions import db
from app.permissions import ACTION_WRITE, RESOURCE_IMPORT, perm
from app.services.imports import get_kind
from app.services.imports.runs import apply_run, check_run, upload
from app.services.job_messages import N_

MSG_FORBIDDEN = N_("You may not change this data")
MSG_BASE64 = N_("%(field)s must be the file's bytes in base64")

_IMPORT_DOC = """
        ---
        post:
          parameters:
          - {in: path, name: kind, required: true, schema: {type: string, enum: [items, partners, supplier_offers,
             price_lists, boms, routings, reorder_points, opening_stock]}}
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [file_name, content]
                  properties:
                    file_name: {type: string, description: "ends in .xlsx or .csv"}
                    content: {type: string, format: byte, description: "the file, base64"}
                    file_locale: {type: string, enum: [ru, es, en], description: "how the file writes numbers"}
                    on_date: {type: string, format: date, description: "opening stock: the balance date"}
                    mapping: {type: object, additionalProperties: {type: string},
                              description: "field key -> the file's header (default: by the headers' words)"}
                    check_only: {type: boolean, description: "check and answer the preview, write nothing"}
          responses:
            200:
              description: the run, its state and counts, the first rows' problems and changes
"""


def _body() -> dict[str, Any]:
    body = p.json_body(required=True)
    name, locale, on_date, check_only = p.collect(
        lambda: p.text(body.get("file_name"), "file_name", max_len=255, required=True),
        lambda: p.text(body.get("file_locale"), "file_locale", max_len=8),
        lambda: p.day(body.get("on_date"), "on_date"),
        lambda: p.flag(body.get("check_only"), "check_only"))
    try:
        content = base64.b64decode(str(body.get("content") or ""), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise p.refuse(MSG_BASE64, "content") from exc
    mapping = body.get("mapping")
    mapping = {str(k): str(v) for k, v in mapping.items()} if isinstance(mapping, dict) else None
    return {"name": name, "locale": locale, "on_date": on_date, "check_only": check_only, "content": content,
            "mapping": mapping}


class ImportApi(CommandApi):
    resource_name = "import"
    class_permission_name = RESOURCE_IMPORT
    method_permission_name = {"run_import": ACTION_WRITE}

    @expose("/<kind>", methods=["POST"])
    @protect()
    @safe
    def run_import(self, kind: str):
        """Upload a file of one import kind, check every row, import it (all or nothing)."""
        return self.command(lambda: self._run(kind), lambda result: result)

    run_import.__doc__ += _IMPORT_DOC

    def _run(self, kind_key: str) -> dict[str, Any]:
        kind = get_kind(kind_key)
        if not self.appbuilder.sm.has_access(perm(kind.action), kind.resource):
            raise DomainError(MSG_FORBIDDEN)
        data = _body()
        run = upload(db.session, kind.key, data["name"], data["content"], data["locale"], data["on_date"])
        preview = check_run(db.session, run.id, data["mapping"])
        if not data["check_only"]:
            apply_run(db.session, run.id)  # a bad row refuses the whole request (422): nothing is kept
        return {"id": run.id, "kind": run.kind, "state": run.state, "counts": preview.counts,
                "rows": [{"line": plan.line, "key": plan.key, "action": plan.action,
                          "problems": [pr.render(gettext) for pr in plan.problems],
                          "changes": [{"field": gettext(f), "old": old, "new": new} for f, old, new in plan.changes]}
                         for plan in preview.rows[:50]]}


def register(appbuilder) -> None:
    appbuilder.add_api(ImportApi)
