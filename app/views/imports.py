"""Import pages: choose a kind, download its template, upload, map columns, preview, import.

The register of runs (kind, who, file, counts, state) is a list like every other; its pages beyond
CRUD call app.services.imports.runs: a DomainError (a broken file, a required column unmapped, bad
rows on import) becomes flash messages and nothing is written. A kind is offered only to a user who
may write its data (Catalog for items, Stock documents' posting for the opening stock, ...).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, abort, jsonify, redirect, request, url_for
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import format_decimal, gettext
from flask_babel import lazy_gettext as _l

from app.domain.errors import DomainError
from app.extensions import db
from app.models.imports import ImportRun
from app.permissions import ACTION_READ, ACTION_WRITE, READ_ONLY, RESOURCE_IMPORT, perm
from app.services.base import run_use_case
from app.services.imports import KINDS, background, get_kind
from app.services.imports.background import PHASE_CHECKING, PHASE_IMPORTING
from app.services.imports.core import Kind, parse_date, shown_rows
from app.services.imports.runs import apply_run, check_run, headers_of, template, upload
from app.services.job_messages import message_text
from app.services.vocabulary import IMPORT_STATE_LABELS
from app.views.base import ReadOnlyModelView, flash_domain_error, fmt_date, interface, locale_name
from app.views.dates import parse_date as parse_form_date

CAT_IMPORT = "ImportMenu"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STATE_LABELS = IMPORT_STATE_LABELS
ACTION_LABELS = {"new": _l("New"), "changed": _l("Changed"), "same": _l("Unchanged"), "bad": _l("Problems")}
PHASE_LABELS = {PHASE_CHECKING: _l("Checking the file"), PHASE_IMPORTING: _l("Importing")}
INTERRUPTED = {  # a run whose process ended mid-way (background.status): what the page says, per phase
    PHASE_CHECKING: _l("The check of the file stopped before the end: the process running it ended. "
                       "Check the file again."),
    PHASE_IMPORTING: _l("The import stopped before the end: the process running it ended and nothing was "
                        "imported. Start the import again."),
}
FILE_LOCALES = (("ru", _l("1 234,50 (Russian)")), ("es", _l("1.234,50 (Spanish)")), ("en", _l("1,234.50 (English)")))


def kind_labels() -> dict[str, Any]:
    return {key: kind.label for key, kind in KINDS.items()}


class ImportRunView(ReadOnlyModelView):
    """The register of import runs, and the import pages (upload, mapping and preview, apply)."""

    route_base = "/imports"
    datamodel = interface(ImportRun)
    class_permission_name = RESOURCE_IMPORT
    method_permission_name = READ_ONLY | {"start": ACTION_READ, "template": ACTION_READ, "run": ACTION_READ,
                                          "upload": ACTION_WRITE, "remap": ACTION_WRITE, "apply": ACTION_WRITE,
                                          "download_file": ACTION_READ, "status": ACTION_READ}
    include_route_methods = ReadOnlyModelView.include_route_methods | {
        "start", "template", "run", "upload", "remap", "apply", "download_file", "status"}
    list_title = _l("Import runs")
    show_title = _l("Import run")
    list_columns = ["id", "created_at", "kind", "file_name", "username", "state", "rows_total", "rows_new",
                    "rows_changed", "rows_bad", "result"]
    show_columns = ["id", "created_at", "finished_at", "kind", "file_name", "username", "file_locale", "on_date",
                    "state", "rows_total", "rows_new", "rows_changed", "rows_same", "rows_bad", "result"]
    search_columns = ["kind", "state", "file_name", "username", "created_at"]
    base_order = ("id", "desc")
    label_columns = {
        "id": _l("No."), "created_at": _l("Uploaded"), "finished_at": _l("Finished"), "kind": _l("Import"),
        "file_name": _l("File"), "username": _l("User"), "file_locale": _l("Number format"),
        "on_date": _l("Balance date"), "state": _l("State"), "rows_total": _l("Rows"), "rows_new": _l("New"),
        "rows_changed": _l("Changed"), "rows_same": _l("Unchanged"), "rows_bad": _l("With problems"),
        "result": _l("Result"),
    }
    formatters_columns = {"file_locale": lambda v: str(dict(FILE_LOCALES).get(v, v or ""))}

    def _allowed(self, kind: Kind) -> bool:
        """Importing a kind needs this page's write and the kind's own data permission."""
        sm = self.appbuilder.sm
        return sm.has_access(perm(ACTION_WRITE), RESOURCE_IMPORT) and sm.has_access(perm(kind.action), kind.resource)

    def _kind_or_404(self, key: str) -> Kind:
        try:
            return get_kind(key)
        except DomainError:
            abort(404)

    def _run_or_404(self, run_id: int) -> ImportRun:
        run = db.session.get(ImportRun, run_id)
        if run is None:
            abort(404)
        return run

    @expose("/start/")
    @has_access
    def start(self) -> str:
        kinds = [kind for kind in KINDS.values() if self._allowed(kind)]
        return self.render_template("fabrika/imports/start.html", kinds=kinds, title=_l("Import data"),
                                    locales=FILE_LOCALES, locale=locale_name()[:2], today=date.today())

    @expose("/template/<kind>")
    @has_access
    def template(self, kind: str) -> Response:
        spec = self._kind_or_404(kind)
        data = template(spec.key, locale_name())
        return Response(data, mimetype=XLSX_MIME,
                        headers={"Content-Disposition": f'attachment; filename="{spec.key}.xlsx"'})

    @expose("/upload/<kind>", methods=["POST"])
    @has_access
    def upload(self, kind: str) -> Response:
        spec = self._kind_or_404(kind)
        if not self._allowed(spec):
            abort(403)
        file = request.files.get("file")
        on_date = _form_date(request.form.get("on_date")) if spec.needs_date else None
        try:
            run = run_use_case(db.session, lambda: upload(
                db.session, spec.key, file.filename if file else "", file.read() if file else b"",
                request.form.get("file_locale", "")[:8], on_date))
        except DomainError as exc:
            flash_domain_error(exc)
            return redirect(url_for(".start"))
        _check_in_background(run.id)
        return redirect(url_for(".run", pk=run.id))

    @expose("/run/<int:pk>")
    @has_access
    def run(self, pk: int) -> str:
        """The run as it stands: the progress bar while a check or import runs, else the stored preview
        (the last check's rows, problems first) and the result."""
        run = self._run_or_404(pk)
        kind = get_kind(run.kind)
        try:
            headers = headers_of(db.session, pk)
        except DomainError as exc:
            flash_domain_error(exc)
            headers = []
        status = background.status(db.session, pk) or {}
        rows = None if status.get("phase") else shown_rows(run.preview, gettext)
        preview = None if rows is None else StoredPreview(run, rows)
        return self.render_template(
            "fabrika/imports/run.html", run=run, kind=kind, headers=headers, preview=preview,
            mapping=_stored_mapping(run), title=kind.label, action_labels=ACTION_LABELS, state_labels=STATE_LABELS,
            fmt_date=fmt_date, allowed=self._allowed(kind), gettext=gettext, status=status,
            phase_labels=PHASE_LABELS, result=message_text(run.result),
            interrupted=INTERRUPTED.get(status.get("interrupted", "")), locale=locale_name(), fmt_count=format_decimal)

    @expose("/run/<int:pk>/status")
    @has_access
    def status(self, pk: int) -> Response:
        """What the run page polls while a check or an import runs (JSON)."""
        found = background.status(db.session, pk)
        if found is None:
            abort(404)
        return jsonify(found)

    @expose("/run/<int:pk>/map", methods=["POST"])
    @has_access
    def remap(self, pk: int) -> Response:
        run = self._run_or_404(pk)
        kind = get_kind(run.kind)
        if not self._allowed(kind):
            abort(403)
        mapping = {f.key: request.form.get(f"map_{f.key}", "") for f in kind.fields}
        _check_in_background(pk, mapping)
        return redirect(url_for(".run", pk=pk))

    @expose("/run/<int:pk>/apply", methods=["POST"])
    @has_access
    def apply(self, pk: int) -> Response:
        run = self._run_or_404(pk)
        if not self._allowed(get_kind(run.kind)):
            abort(403)
        if not background.status(db.session, pk).get("phase"):
            background.start(db.session, pk, PHASE_IMPORTING, lambda session, progress: run_use_case(
                session, lambda: apply_run(session, pk, progress)))
        return redirect(url_for(".run", pk=pk))

    @expose("/run/<int:pk>/file")
    @has_access
    def download_file(self, pk: int) -> Response:
        run = self._run_or_404(pk)
        mime = XLSX_MIME if run.content[:2] == b"PK" else "text/csv"
        return Response(run.content, mimetype=mime,
                        headers={"Content-Disposition": f'attachment; filename="run-{run.id}-{_ascii(run.file_name)}"'})


class StoredPreview:
    """The last check of a run as the page shows it: the run's counts, the stored rows."""

    def __init__(self, run: ImportRun, rows: list) -> None:
        self.counts = {"new": run.rows_new, "changed": run.rows_changed, "same": run.rows_same, "bad": run.rows_bad}
        self.total, self.rows = run.rows_total, rows


def _check_in_background(run_id: int, mapping: dict[str, str] | None = None) -> None:
    """Check the run's file (with `mapping`, else its own) in the background; the page shows the progress."""
    if background.status(db.session, run_id).get("phase"):
        return
    background.start(db.session, run_id, PHASE_CHECKING, lambda session, progress: run_use_case(
        session, lambda: check_run(session, run_id, mapping, progress=progress)))


def _ascii(name: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in name)[:80] or "file"


def _stored_mapping(run: ImportRun) -> dict[str, str]:
    from app.services.imports.core import loads

    return loads(run.mapping)


def _form_date(text: str | None) -> date | None:
    """The balance date as the page's date field sends it (the user's format), else ISO."""
    if not text:
        return None
    try:
        return parse_form_date(text) or parse_date(text)
    except Exception:  # noqa: BLE001 - the locale's format or the ISO one (a browser's date field)
        return parse_date(text)


def register(appbuilder) -> None:
    view = appbuilder.add_view(ImportRunView, "Import runs", label=_l("Import runs"), icon="fa-history",
                               category=CAT_IMPORT, category_label=_l("Data import"), category_icon="fa-upload")
    appbuilder.add_link("Import data", href=f"{view.endpoint}.start", label=_l("Import data"), icon="fa-upload",
                        category=CAT_IMPORT, baseview=view)
