"""Files on a task: kept in the database (backups carry them), of the kinds a factory exchanges, 10 MB at most.

Whoever may see the task may download its files and attach more (the same visibility as the task:
app/services/projects/access.py); a file is always served as a download, never rendered by the browser, so
an allowed name can't smuggle a page in. The kinds are chosen by extension: documents, sheets, pictures,
drawings and CAD exchange formats, archives; programs and web pages are refused.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.domain.errors import DomainError, Problem, Word
from app.models.projects import TaskAttachment
from app.services.base import current_actor, unit_of_work
from app.services.sales.orders import safe_filename

MAX_BYTES = 10 * 1024 * 1024
ALLOWED = frozenset((
    "pdf", "txt", "csv", "doc", "docx", "odt", "xls", "xlsx", "ods", "ppt", "pptx", "png", "jpg", "jpeg", "gif",
    "webp", "dxf", "dwg", "step", "stp", "stl", "iges", "igs", "zip", "7z",
))
MSG_TYPE = "%(field)s: files of type .%(ext)s are not accepted (allowed: %(allowed)s)"
MSG_SIZE = "%(field)s: the file is larger than %(mb)s MB"
MSG_EMPTY = "%(field)s: the file is empty"
MSG_NO_FILE = "File %(id)s does not exist"


def _extension(filename: str) -> str:
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def check_file(filename: str, content: bytes) -> str:
    """The file's safe name, or a DomainError naming the field: an allowed type, not empty, within the limit."""
    name = safe_filename(filename)
    problems = []
    field = Word("File")
    ext = _extension(name)
    if ext not in ALLOWED:
        problems.append(Problem(MSG_TYPE, {"field": field, "ext": ext or "?", "allowed": ", ".join(sorted(ALLOWED))},
                                field="file"))
    if not content:
        problems.append(Problem(MSG_EMPTY, {"field": field}, field="file"))
    elif len(content) > MAX_BYTES:
        problems.append(Problem(MSG_SIZE, {"field": field, "mb": MAX_BYTES // (1024 * 1024)}, field="file"))
    if problems:
        raise DomainError(problems)
    return name


def attach(session: Session, task_id: int, filename: str, mimetype: str, content: bytes) -> TaskAttachment:
    """Keep a file with a task the user sees (refused in words: type, size, emptiness, an unseen task)."""
    from app.services.projects.tasks import _task

    name = check_file(filename, content)
    with unit_of_work(session):
        task = _task(session, task_id)
        row = TaskAttachment(task=task, filename=name, mimetype=(mimetype or "application/octet-stream")[:100],
                             size=len(content), content=content, uploaded_by=current_actor().username)
        session.add(row)
        session.flush()
        return row


def readable(session: Session, attachment_id: int) -> TaskAttachment:
    """A file whose task the user sees (else "does not exist", as for a task they don't see)."""
    from app.services.projects.tasks import _task

    row = session.get(TaskAttachment, attachment_id)
    if row is None:
        raise DomainError(MSG_NO_FILE, id=attachment_id)
    try:
        _task(session, row.task_id)
    except DomainError:
        raise DomainError(MSG_NO_FILE, id=attachment_id) from None
    return row


def remove(session: Session, attachment_id: int) -> int:
    """Delete a file (of a task the user sees); the task's id, to go back to it."""
    with unit_of_work(session):
        row = readable(session, attachment_id)
        task_id = row.task_id
        session.delete(row)
        return task_id
