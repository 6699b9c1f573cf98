"""REST API of the KPI context: definitions and scheduled reports (CRUD), stored values with their
lineage, restatements (read), and commands: recompute now, the reader's scorecard, send a report now.

A reader sees through the API exactly what their dashboard shows: values, lineage and restatements
of the KPIs of their role's divisions whose registers they may read (a storekeeper gets no margins
here either). Writes check the same rules as the forms (422 with every problem).
"""

from __future__ import annotations

from datetime import date

from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.models.sqla.filters import FilterInFunction

from app.api.base import FabrikaApi, ReadOnlyApi
from app.domain.errors import DomainError
from app.extensions import db
from app.jobs.runner import run_job
from app.models.base import utcnow
from app.models.kpi import KpiDefinition, KpiRestatement, KpiValue, ScheduledReport
from app.permissions import ACTION_READ, ACTION_RUN, ACTION_WRITE, CRUD, READ_ONLY, RESOURCE_KPI
from app.services.base import current_actor
from app.services.jobs import TRIGGER_MANUAL
from app.services.kpi import reports as report_svc
from app.services.kpi import scorecard
from app.services.kpi.access import reader
from app.services.kpi.compute import validate_definition
from app.views.base import FabrikaInterface


def _visible_ids() -> list[int]:
    """Ids of the definitions the caller's dashboard shows (their divisions, registers they may read)."""
    return scorecard.visible_ids(db.session, reader()) or [-1]


def _plain(value):
    return None if value is None else str(value)


class KpiDefinitionApi(FabrikaApi):
    resource_name = "kpi_definition"
    class_permission_name = RESOURCE_KPI
    method_permission_name = CRUD
    datamodel = FabrikaInterface(KpiDefinition)
    list_columns = ["code", "name", "name_ru", "name_es", "metric", "formula", "division", "employee.id", "period",
                    "target", "weight", "red_threshold", "green_threshold", "direction", "sort", "active"]
    show_columns = list_columns
    add_columns = edit_columns = ["code", "name", "name_ru", "name_es", "metric", "formula", "division", "employee",
                                  "period", "target", "weight", "red_threshold", "green_threshold", "direction",
                                  "sort", "active"]

    def pre_add(self, item: KpiDefinition) -> None:
        super().pre_add(item)
        validate_definition(item)

    def pre_update(self, item: KpiDefinition) -> None:
        super().pre_update(item)
        validate_definition(item)


class KpiValueApi(ReadOnlyApi):
    resource_name = "kpi_value"
    class_permission_name = RESOURCE_KPI
    method_permission_name = READ_ONLY | {"lineage": ACTION_READ, "scorecard": ACTION_READ,
                                          "compute": ACTION_RUN}
    include_route_methods = {"get", "get_list", "info", "lineage", "scorecard", "compute"}
    datamodel = FabrikaInterface(KpiValue)
    base_filters = [["definition_id", FilterInFunction, _visible_ids]]
    list_columns = ["definition.id", "definition.code", "period_kind", "period_start", "period_end", "value",
                    "status", "attainment", "closed", "computed_at"]
    show_columns = list_columns
    search_columns = ["definition", "period_kind", "period_start", "status", "closed"]

    @expose("/<int:pk>/lineage", methods=["GET"])
    @protect()
    @safe
    def lineage(self, pk: int):
        """The documents behind a stored value: per metric, each document's numerator and denominator.
        ---
        get:
          responses:
            200: {description: the figures and their documents}
            404: {description: no such value, or not on the caller's dashboard}
        """
        row = db.session.get(KpiValue, pk)
        if row is None or row.definition_id not in _visible_ids():
            return self.response_404()
        defn = row.definition
        metrics = [{"metric": m.metric, "num": _plain(m.fact.num if m.fact else None),
                    "den": _plain(m.fact.den if m.fact else None), "value": _plain(m.fact.value if m.fact else None),
                    "documents": [{"type": d.ref_type, "id": d.ref_id, "label": d.label,
                                   "date": d.ref_date.isoformat() if d.ref_date else None,
                                   "num": str(d.num), "den": str(d.den)} for d in m.docs]}
                   for m in scorecard.lineage(db.session, row)]
        return self.response(200, id=row.id, definition=defn.code, period_start=row.period_start.isoformat(),
                             period_end=row.period_end.isoformat(), value=_plain(row.value), metrics=metrics)

    @expose("/scorecard", methods=["GET"])
    @protect()
    @safe
    def scorecard(self):
        """The caller's scorecard: every KPI of their dashboard, last closed period, so far, and scores.
        ---
        get:
          responses:
            200: {description: the tiles and the weighted scores}
        """
        who = reader()
        tiles = scorecard.tiles(db.session, scorecard.visible_definitions(db.session, who), date.today())
        return self.response(200, tiles=[{
            "code": t.definition.code, "name": t.definition.name, "division": t.definition.division,
            "employee_id": t.definition.employee_id, "period_start": t.period.start.isoformat(),
            "period_end": t.period.end.isoformat(), "value": _plain(t.value), "target": _plain(t.definition.target),
            "status": t.status, "attainment": _plain(t.attainment), "running": _plain(t.running),
            "value_id": t.value_id} for t in tiles],
            scores=[{"division" if not s.is_employee else "employee": s.label, "score": _plain(s.score)}
                    for s in scorecard.scores(db.session, who, date.today())])

    @expose("/compute", methods=["POST"])
    @protect()
    @safe
    def compute(self):
        """Recompute every KPI now (the nightly job, recorded as a manual run).
        ---
        post:
          responses:
            200: {description: the run's outcome}
        """
        outcome = run_job("kpi", TRIGGER_MANUAL, current_actor())
        return self.response(200 if outcome.ok else 422, status=outcome.status, message=outcome.message,
                             run_id=outcome.run_id)


class KpiRestatementApi(ReadOnlyApi):
    resource_name = "kpi_restatement"
    class_permission_name = RESOURCE_KPI
    datamodel = FabrikaInterface(KpiRestatement)
    base_filters = [["definition_id", FilterInFunction, _visible_ids]]
    list_columns = ["definition.id", "definition.code", "period_kind", "period_start", "period_end", "old_value",
                    "new_value", "documents", "detected_at"]
    show_columns = list_columns


class ScheduledReportApi(FabrikaApi):
    resource_name = "scheduled_report"
    class_permission_name = RESOURCE_KPI
    method_permission_name = CRUD | {"send": ACTION_WRITE}
    datamodel = FabrikaInterface(ScheduledReport)
    list_columns = ["name", "report", "params", "fmt", "language", "recipients", "recipient_users", "cron",
                    "skip_empty", "active", "next_run_at", "last_run_at"]
    show_columns = list_columns
    add_columns = edit_columns = ["name", "report", "params", "fmt", "language", "recipients", "recipient_users",
                                  "cron", "skip_empty", "active"]

    def pre_add(self, item: ScheduledReport) -> None:
        super().pre_add(item)
        report_svc.validate_report(item, utcnow())

    def pre_update(self, item: ScheduledReport) -> None:
        super().pre_update(item)
        report_svc.validate_report(item, utcnow())

    @expose("/<int:pk>/send", methods=["POST"])
    @protect()
    @safe
    def send(self, pk: int):
        """Send the report now to its recipients (outside the schedule, which goes on unchanged).
        ---
        post:
          responses:
            200: {description: the run, sent / skipped / failed, to whom, which outbox messages}
        """
        if db.session.get(ScheduledReport, pk) is None:
            return self.response_404()
        try:
            run = report_svc.send_report(db.session, pk)
        except DomainError as exc:
            return self._refused(exc)
        return self.response(200, id=run.id, status=run.status, recipients=run.recipients,
                             outbox_ids=list(run.outbox_ids), rows=run.rows, message=run.message)


APIS = (KpiDefinitionApi, KpiValueApi, KpiRestatementApi, ScheduledReportApi)


def register(appbuilder) -> None:
    for api in APIS:
        appbuilder.add_api(api)
