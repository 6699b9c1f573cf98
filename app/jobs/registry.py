"""The registry of scheduled jobs: one JobSpec per job, in the JOBS list.

A later feature adds its job by appending one entry (id, "module:function", crontab, label). The
scheduler stores only the runner and the job id, never the function itself, so moving or renaming
a job function needs no change in the job store.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from apscheduler.triggers.cron import CronTrigger
from flask_babel import lazy_gettext as _l

from app.domain.errors import DomainError
from app.permissions import RESOURCE_BACKUP, RESOURCE_JOBS, RESOURCE_KPI, RESOURCE_MARKETING


@dataclass(frozen=True)
class JobSpec:
    """A registered job.

    `func` is "package.module:function", a module-level callable taking no arguments and returning
    a JobResult (or None). `resource` is what a user needs `can_run` on to start it by hand, on top
    of `can_run` on Scheduled jobs: the backup job is Admin-only like the backups themselves.
    """

    id: str
    func: str
    cron: str
    label: Any  # a lazy_gettext string
    resource: str = RESOURCE_JOBS

    def trigger(self, timezone: Any = None) -> CronTrigger:
        """The crontab's trigger; six fields put seconds first (tests fire every second)."""
        fields = self.cron.split()
        if len(fields) == 6:
            second, minute, hour, day, month, day_of_week = fields
            return CronTrigger(second=second, minute=minute, hour=hour, day=day, month=month,
                               day_of_week=day_of_week, timezone=timezone)
        return CronTrigger.from_crontab(self.cron, timezone=timezone)

    def load(self) -> Callable[[], Any]:
        module_name, _, attr = self.func.partition(":")
        return getattr(importlib.import_module(module_name), attr)


JOBS: list[JobSpec] = [
    JobSpec("backup", "app.jobs.backup:nightly_backup", "0 2 * * *", _l("Nightly database backup"),
            resource=RESOURCE_BACKUP),
    JobSpec("purchasing-reorder", "app.jobs.purchasing:nightly_reorder", "30 3 * * *",
            _l("Nightly reorder: purchase requests")),
    JobSpec("planning", "app.jobs.planning:nightly_plan", "45 2 * * *",
            _l("Nightly demand forecast and material plan")),
    JobSpec("kpi", "app.jobs.kpi:nightly_kpi", "15 4 * * *", _l("Nightly KPI computation"), resource=RESOURCE_KPI),
    # every minute: a report leaves the outbox within a minute of its time
    JobSpec("scheduled-reports", "app.jobs.kpi:send_due_reports", "* * * * *", _l("Scheduled reports by e-mail"),
            resource=RESOURCE_KPI),
    # every minute: an event (an order confirmed) becomes its process's tasks within a minute, once
    JobSpec("project-events", "app.jobs.projects:dispatch_events", "* * * * *",
            _l("Business processes: events to tasks")),
    JobSpec("project-reminders", "app.jobs.projects:send_reminders", "0 7 * * *", _l("Task reminders by e-mail")),
    JobSpec("marketing-send", "app.jobs.marketing:send_campaigns", "* * * * *", _l("Campaign mail, paced"),
            resource=RESOURCE_MARKETING),
    JobSpec("marketing-segments", "app.jobs.marketing:nightly_segments", "45 4 * * *",
            _l("Nightly client scoring and segments"), resource=RESOURCE_MARKETING),
]


def get_job(job_id: str) -> JobSpec:
    """The registered job `job_id`; a DomainError for an unknown id (a stale link, a typo in the CLI)."""
    for spec in JOBS:
        if spec.id == job_id:
            return spec
    raise DomainError("Unknown job: %(job)s", job=job_id)
