"""The life of an import run: template, upload, check (preview), apply (all or nothing), the mapping kept.

A run keeps its file, so the page can check it again with another column mapping and apply it
later; applying reads the stored file again and checks every row inside the use case, so what is
written is exactly what was checked against the data as it is at that moment.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import force_locale
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.domain.errors import DomainError
from app.models.base import utcnow
from app.models.imports import ImportMapping, ImportRun
from app.services.base import current_actor, keep_on_rollback, unit_of_work
from app.services.export import to_xlsx
from app.services.imports import get_kind
from app.services.imports.background import PHASE_CHECKING, PHASE_IMPORTING, Progress
from app.services.imports.core import (
    Preview,
    auto_mapping,
    check_file,
    dumps,
    loads,
    read_table,
    refuse_bad,
    stored_preview,
)
from app.services.imports.stock import MSG_OPENING_REASON
from app.services.job_messages import N_, job_message

MAX_FILE_BYTES = 50 * 1024 * 1024
MSG_TOO_BIG = N_("The file is larger than %(mb)s MB")
MSG_DONE = N_("This file was already imported")
MSG_NO_FILE = N_("Choose a file")
MSG_DOCUMENTS = N_("Documents: %(documents)s")
MSG_LINE_PROBLEM = N_("Line %(line)s: %(problem)s")


def template(kind_key: str, locale: str) -> bytes:
    """An XLSX with the kind's headers in `locale` and one example row."""
    kind = get_kind(kind_key)
    with force_locale(locale):
        headers = [str(f.label) for f in kind.fields]
    return to_xlsx(headers, [[f.example for f in kind.fields]], title=kind.key)


def remembered(session: Session, user_id: int | None, kind_key: str) -> dict[str, str]:
    if user_id is None:
        return {}
    return loads(session.scalar(select(ImportMapping.mapping).where(
        ImportMapping.user_id == user_id, ImportMapping.kind == kind_key)))


def remember(session: Session, user_id: int | None, kind_key: str, mapping: dict[str, str]) -> None:
    """Keep the user's mapping for this kind: the next file with the same headers maps itself."""
    if user_id is None:
        return
    row = session.scalar(select(ImportMapping).where(ImportMapping.user_id == user_id,
                                                     ImportMapping.kind == kind_key))
    if row is None:
        session.add(ImportMapping(user_id=user_id, kind=kind_key, mapping=dumps(mapping)))
    else:
        row.mapping = dumps(mapping)


def upload(session: Session, kind_key: str, file_name: str, content: bytes, file_locale: str = "",
           on_date: date | None = None) -> ImportRun:
    """Store the file as a new run, its columns mapped (the user's last mapping, else by header words)."""
    kind = get_kind(kind_key)
    if not content:
        raise DomainError(MSG_NO_FILE, field="file")
    if len(content) > MAX_FILE_BYTES:
        raise DomainError(MSG_TOO_BIG, mb=MAX_FILE_BYTES // (1024 * 1024))
    headers, _ = read_table(content, file_name)
    actor = current_actor()
    with unit_of_work(session):
        mapping = auto_mapping(kind.fields, headers, remembered(session, actor.user_id, kind.key))
        run = ImportRun(kind=kind.key, username=actor.username, user_id=actor.user_id, file_name=file_name[:255],
                        content=content, file_locale=file_locale[:8], on_date=on_date, mapping=dumps(mapping),
                        state="uploaded")
        session.add(run)
        session.flush()
    return run


def _run(session: Session, run_id: int, lock: bool = False) -> ImportRun:
    stmt = select(ImportRun).where(ImportRun.id == run_id)
    run = session.scalar(stmt.with_for_update() if lock else stmt)
    if run is None:
        raise DomainError(N_("No such import: %(id)s"), id=run_id)
    return run


def headers_of(session: Session, run_id: int) -> list[str]:
    run = _run(session, run_id)
    return read_table(run.content, run.file_name)[0]


def check_run(session: Session, run_id: int, mapping: dict[str, str] | None = None, save: bool = True,
              progress: Progress | None = None) -> Preview:
    """Check every row with `mapping` (else the run's); with `save`, keep the counts, the rows shown
    (problems first) and the mapping on the run, and the mapping for the user. A file refused as a
    whole (a required column unmapped) leaves its reason on the run."""
    with unit_of_work(session):
        run = _run(session, run_id, lock=True)
        kind = get_kind(run.kind)
        mapping = loads(run.mapping) if mapping is None else {k: v for k, v in mapping.items() if v}
        refusal: dict[str, Any] = {}
        if save and run.state != "done":
            keep_on_rollback(session, lambda s: _record_refused_check(s, run_id, mapping, refusal))
        try:
            preview = check_file(session, kind, run.content, run.file_name, mapping, run.file_locale or None,
                                 run.on_date, progress=_rows(progress, PHASE_CHECKING))
        except DomainError as exc:
            refusal["message"] = _stored_problem(exc)
            raise
        if save and run.state != "done":
            _count(run, preview, "checked")
            run.mapping = dumps(mapping)
            run.preview = stored_preview(preview)
            run.result = ""
        if save:
            remember(session, current_actor().user_id, kind.key, mapping)
    return preview


def _rows(progress: Progress | None, phase: str):
    """check_file's callback (the file's line number) as rows done of `phase`."""
    return None if progress is None else (lambda line: progress(phase, max(line - 1, 0)))


def _record_refused_check(session: Session, run_id: int, mapping: dict[str, str], refusal: dict[str, Any]) -> None:
    """After the rollback of a refused check: the run keeps the mapping tried and the reason, no preview."""
    session.execute(update(ImportRun).where(ImportRun.id == run_id, ImportRun.state != "done").values(
        mapping=dumps(mapping), preview="", result=refusal.get("message", ""), rows_bad=0, rows_total=0))


def _count(run: ImportRun, preview: Preview, state: str) -> None:
    counts = preview.counts
    run.rows_total, run.rows_new, run.rows_changed = preview.total, counts["new"], counts["changed"]
    run.rows_same, run.rows_bad, run.state = counts["same"], counts["bad"], state


def apply_run(session: Session, run_id: int, progress: Progress | None = None) -> ImportRun:
    """Write the whole file or nothing: any bad row refuses the run (recorded as failed, nothing else).
    `progress(phase, rows)` hears the rows checked, then the rows written."""
    failure: dict[str, Any] = {}
    with unit_of_work(session):
        keep_on_rollback(session, lambda s: _record_failure(s, run_id, failure))
        run = _run(session, run_id, lock=True)
        if run.state == "done":
            raise DomainError(MSG_DONE)
        kind = get_kind(run.kind)
        try:
            # a kind that streams is written batch by batch as its rows are checked (memory stays flat);
            # the others are checked whole, then written (a bad row anywhere: the transaction rolls back)
            write = _streamed(session, kind, progress) if kind.streams else None
            preview = check_file(session, kind, run.content, run.file_name, loads(run.mapping),
                                 run.file_locale or None, run.on_date, keep_plans=not kind.streams,
                                 progress=_rows(progress, PHASE_CHECKING), write=write)
            failure["counts"] = preview
            refuse_bad(preview)
            # the documents' reason as msgid and parameters: each reader sees it in their language
            preview.ctx.update(reason=job_message(MSG_OPENING_REASON, run=run.id), source_ref=f"IMPORT-{run.id}")
            if progress is not None:
                preview.ctx["_progress"] = lambda rows: progress(PHASE_IMPORTING, rows)
            result = "" if kind.streams else kind.apply(session, preview.ctx, preview.plans)
        except DomainError as exc:
            failure["message"] = _stored_problem(exc)
            raise
        _count(run, preview, "done")
        run.result = job_message(MSG_DOCUMENTS, documents=result) if result else ""
        run.finished_at = utcnow()
        session.flush()
    return run


def _streamed(session: Session, kind: Any, progress: Progress | None):
    """check_file's writer for a kind that streams: each batch written, the rows written so far reported
    as the import's second step (the first, checking, hears the rows read)."""
    written = [0]

    def write(ctx: dict[str, Any], plans: list) -> None:
        kind.apply(session, ctx, plans)
        written[0] += len(plans)
        if progress is not None:
            progress(PHASE_IMPORTING, written[0])

    return write


def _stored_problem(exc: DomainError) -> str:
    """The refusal's first problem as msgid and parameters, shown later in the reader's language."""
    first = exc.problems[0]
    params = {k: str(v) for k, v in first.params.items()}
    if first.line is not None:
        return job_message(MSG_LINE_PROBLEM, line=first.line, problem=first.render())
    return job_message(first.msgid, **params)


def _record_failure(session: Session, run_id: int, failure: dict[str, Any]) -> None:
    """After the rollback: the run is marked failed with its counts and first problems, nothing else stays."""
    values: dict[str, Any] = {"state": "failed", "finished_at": utcnow(), "result": failure.get("message", "")}
    preview = failure.get("counts")
    if preview is not None:
        counts = preview.counts
        values.update(rows_total=preview.total, rows_new=counts["new"], rows_changed=counts["changed"],
                      rows_same=counts["same"], rows_bad=counts["bad"])
    session.execute(update(ImportRun).where(ImportRun.id == run_id, ImportRun.state != "done").values(**values))
