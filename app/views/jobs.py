"""Pages of the scheduler and the backups: job runs, the registered jobs with "Run now", backups.

"Run now" runs the job synchronously in the request through the same runner as the scheduler
(recorded as a manual run with the user's name), then flashes the translated result. Starting a
job needs can_run on Scheduled jobs and on the job's own resource (the backup job: Backups, which
only Admin holds).
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, send_file, url_for
from flask_appbuilder import BaseView
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from app.domain.errors import DomainError
from app.extensions import db
from app.jobs import registry
from app.jobs.runner import run_job
from app.jobs.scheduler import job_statuses
from app.permissions import ACTION_READ, ACTION_RUN, READ_ONLY, RESOURCE_BACKUP, perm
from app.services import backup as backups
from app.services.base import current_actor
from app.services.job_messages import message_text
from app.services.jobs import STATUS_LABELS, TRIGGER_LABELS, TRIGGER_MANUAL, RunOutcome
from app.views.base import fmt_date, fmt_number
from app.views.core import CAT_SETTINGS, JobRunView

BACKUP_JOB_ID = "backup"


def _label(labels: dict, value: str) -> str:
    return str(labels.get(value, value))


def flash_outcome(label: str, outcome: RunOutcome) -> None:
    """The run's result as a translated flash message."""
    if outcome.ok:
        if outcome.message:
            flash(gettext("%(job)s finished: %(message)s", job=label, message=message_text(outcome.message)),
                  "success")
        else:
            flash(gettext("%(job)s finished", job=label), "success")
        return
    error = outcome.error
    message = "; ".join(error.messages(gettext)) if isinstance(error, DomainError) else outcome.message
    flash(gettext("%(job)s failed: %(message)s", job=label, message=message), "danger")


class JobsView(JobRunView):
    """The job runs register (list, filter, sort, export) plus the registered jobs and "Run now"."""

    include_route_methods = JobRunView.include_route_methods | {"jobs", "run"}
    method_permission_name = READ_ONLY | {"jobs": ACTION_READ, "run": ACTION_RUN}
    list_template = "fabrika/job_runs.html"
    formatters_columns = {
        "status": lambda value: _label(STATUS_LABELS, value),
        "trigger": lambda value: _label(TRIGGER_LABELS, value),
    }

    @expose("/jobs/")
    @has_access
    def jobs(self) -> str:
        rows = [{"status": status, "can_run": self._may_run(status.spec)} for status in job_statuses(db.session)]
        return self.render_template("fabrika/jobs.html", rows=rows, status_labels=STATUS_LABELS,
                                    fmt_date=fmt_date, title=_l("Scheduled jobs"), job_message=message_text)

    @expose("/run/<job_id>", methods=["POST"])
    @has_access
    def run(self, job_id: str) -> Response:
        try:
            spec = registry.get_job(job_id)
        except DomainError:
            abort(404)
        if not self._may_run(spec):
            abort(403)
        flash_outcome(str(spec.label), run_job(spec.id, TRIGGER_MANUAL, current_actor()))
        return redirect(url_for(f"{self.endpoint}.jobs"))

    def _may_run(self, spec: registry.JobSpec) -> bool:
        sm = self.appbuilder.sm
        return sm.has_access(perm(ACTION_RUN), self.class_permission_name) and sm.has_access(
            perm(ACTION_RUN), spec.resource)


class BackupView(BaseView):
    """The backups on the server (Admin only), "Create backup now" and downloads."""

    route_base = "/backups"
    class_permission_name = RESOURCE_BACKUP
    method_permission_name = {"list": ACTION_READ, "download": ACTION_READ, "create": ACTION_RUN}
    default_view = "list"

    @expose("/list/")
    @has_access
    def list(self) -> str:
        config = current_app.config
        return self.render_template(
            "fabrika/backups.html", backups=backups.list_backups(config["BACKUP_DIR"]),
            backup_dir=config["BACKUP_DIR"], keep=config.get("BACKUP_KEEP"), title=_l("Backups"),
            fmt_date=fmt_date, fmt_number=fmt_number,
        )

    @expose("/create", methods=["POST"])
    @has_access
    def create(self) -> Response:
        spec = registry.get_job(BACKUP_JOB_ID)
        flash_outcome(str(spec.label), run_job(spec.id, TRIGGER_MANUAL, current_actor()))
        return redirect(url_for(f"{self.endpoint}.list"))

    @expose("/download/<name>")
    @has_access
    def download(self, name: str) -> Response:
        try:
            backup = backups.find_backup(current_app.config["BACKUP_DIR"], name)
        except DomainError:
            abort(404)
        return send_file(backup.path.resolve(), as_attachment=True, download_name=backup.name,
                         mimetype="application/octet-stream")


def register(appbuilder) -> None:
    view = appbuilder.add_view(JobsView, "Job runs", label=_l("Job runs"), icon="fa-clock-o",
                               category=CAT_SETTINGS)
    appbuilder.add_link("Scheduled jobs", href=f"{view.endpoint}.jobs", label=_l("Scheduled jobs"),
                        icon="fa-calendar", category=CAT_SETTINGS, baseview=view)
    appbuilder.add_view(BackupView, "Backups", label=_l("Backups"), icon="fa-database", category=CAT_SETTINGS)
