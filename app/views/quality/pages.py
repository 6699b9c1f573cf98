"""The defect analysis page (Pareto chart, defects per lot / order / supplier, trend) and the recall page.

Both only read request arguments and call app.services.quality; money on the recall page (sales
amount and margin of the recalled goods) is shown only to readers of invoices: the service desk and
the warehouse see quantities, clients and shipments, never margins.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, request, url_for
from flask_appbuilder import BaseView
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app.domain.errors import DomainError
from app.extensions import db
from app.permissions import ACTION_READ, ACTION_WRITE, RESOURCE_INVOICE, RESOURCE_QUALITY, perm
from app.services.quality import analysis, recall
from app.services.quality.trace import trace_backward, trace_forward
from app.views.base import fmt_date, fmt_money, fmt_number, fmt_qty, locale_name, pdf_response, run_command

MEASURES = {"count": _l("Complaints"), "qty": _l("Defective quantity"), "cost": _l("Cost of quality")}
DIMENSIONS = {"lot": _l("Product lot"), "production_order": _l("Production order"), "supplier": _l("Supplier"),
              "component_lot": _l("Component lot"), "item": _l("Item")}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _day(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, "")) if request.args.get(name) else None
    except ValueError:
        return None


def _int(name: str, source=None) -> int | None:
    raw = ((source or request.args).get(name) or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None


class QualityAnalysisView(BaseView):
    """Pareto of defect causes by count, quantity or cost; the same figures per lot, order, supplier; by month."""

    route_base = "/quality/analysis"
    default_view = "index"
    class_permission_name = RESOURCE_QUALITY
    method_permission_name = {"index": ACTION_READ}

    @expose("/")
    @has_access
    def index(self) -> Any:
        period = analysis.Period(_day("date_from"), _day("date_to"))
        measure = request.args.get("measure") if request.args.get("measure") in MEASURES else "count"
        dimension = request.args.get("by") if request.args.get("by") in DIMENSIONS else "supplier"
        rows = analysis.pareto_by(db.session, period, measure)
        return self.render_template(
            "fabrika/quality_analysis.html", title=_l("Defect analysis"), rows=rows, measure=measure,
            measures=MEASURES, dimension=dimension, dimensions=DIMENSIONS, period=period,
            chart=analysis.chart(rows, measure), by=analysis.pareto_by(db.session, period, measure, dimension),
            trend=analysis.trend_by_month(db.session, period), fmt_money=fmt_money, fmt_qty=fmt_qty,
            fmt_number=fmt_number, chart_locale=locale_name().replace("_", "-"),
            totals={"count": sum(r.count for r in rows), "qty": sum(r.qty for r in rows),
                    "cost": sum(r.cost for r in rows)})


class RecallView(BaseView):
    """The recall list of a component lot (forwards) and the make-up of a lot or shipment (backwards)."""

    route_base = "/quality/recall"
    default_view = "index"
    class_permission_name = RESOURCE_QUALITY
    method_permission_name = {"index": ACTION_READ, "xlsx": ACTION_READ, "pdf": ACTION_READ, "mail": ACTION_WRITE,
                              "requests": ACTION_WRITE}

    def _money(self) -> bool:
        return self.appbuilder.sm.has_access(perm(ACTION_READ), RESOURCE_INVOICE)

    @expose("/")
    @has_access
    def index(self) -> Any:
        lot_id, back_lot, shipment = _int("lot"), _int("back_lot"), _int("shipment")
        forward = backward = None
        problems: list[str] = []
        try:
            if lot_id:
                forward = trace_forward(db.session, lot_id)
            if back_lot or shipment:
                backward = trace_backward(db.session, lot_id=back_lot, shipment_id=shipment)
        except DomainError as exc:
            problems = exc.messages(gettext)
        headers, rows = recall.recall_rows(forward, self._money()) if forward else ([], [])
        return self.render_template(
            "fabrika/quality_recall.html", title=_l("Recall list"), lot_id=lot_id, back_lot=back_lot,
            shipment=shipment, forward=forward, backward=backward, problems=problems, headers=headers, rows=rows,
            with_money=self._money(), lot_title=recall.lot_title(db.session, lot_id) if forward else "",
            can_write=self.appbuilder.sm.has_access(perm(ACTION_WRITE), RESOURCE_QUALITY),
            fmt_qty=fmt_qty, fmt_money=fmt_money, fmt_date=fmt_date)

    @expose("/<int:lot_id>/xlsx")
    @has_access
    def xlsx(self, lot_id: int) -> Response:
        try:
            data, name = recall.recall_xlsx(db.session, lot_id, self._money())
        except DomainError:
            return Response(status=404)
        return Response(data, mimetype=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @expose("/<int:lot_id>/pdf")
    @has_access
    def pdf(self, lot_id: int) -> Response:
        try:
            return pdf_response(*recall.recall_pdf(db.session, lot_id, self._money(), request.args.get("lang")))
        except DomainError:
            return Response(status=404)

    @expose("/<int:lot_id>/mail", methods=["POST"])
    @has_access
    def mail(self, lot_id: int) -> Response:
        return run_command(lambda: recall.mail_recall(db.session, lot_id, request.form.get("subject", ""),
                                                      request.form.get("note", "")),
                           lambda r: gettext("Recall e-mails sent: %(n)s; clients without an address: %(skipped)s",
                                             n=r.sent, skipped=", ".join(r.skipped) or "—"),
                           url_for("RecallView.index", lot=lot_id))

    @expose("/<int:lot_id>/requests", methods=["POST"])
    @has_access
    def requests(self, lot_id: int) -> Response:
        return run_command(lambda: recall.open_service_requests(db.session, lot_id),
                           lambda ids: gettext("Service requests opened: %(n)s", n=len(ids)),
                           url_for("RecallView.index", lot=lot_id))
