"""Views of the sales funnel: stages, deals, activities, the kanban board, the funnel chart and "my day".

Pages only parse input and call app.services.crm. The board moves a deal with a JSON POST (CSRF
token in the X-CSRFToken header); a refused move (a closed deal) answers 422 with the translated
messages and the card goes back to its column.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, abort, flash, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access, has_access_api
from flask_appbuilder.security.sqla.models import User
from flask_babel import gettext, lazy_pgettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from app.domain.errors import DomainError
from app.extensions import db
from app.models.crm import ACTIVITY_KINDS, Activity, Deal, DealStage
from app.permissions import ACTION_READ, ACTION_WRITE, CRUD, RESOURCE_DEAL
from app.services import crm
from app.services.crm import ACTIVITY_KIND_LABELS
from app.views.base import (
    BaseModelView,
    choice_field,
    fmt_date,
    fmt_money,
    fmt_number,
    interface,
    locale_name,
    run_command,
)
from app.views.labels import COMMON_LABELS
from app.views.partners import (
    LOOKUP_LIMIT,
    BlankChoiceMixin,
    EagerInterface,
    LookupField,
    card_document_actions,
    fmt_check,
    fmt_source,
    partner_lookup,
)
from app.views.show import show_page
from app.views.titles import one_form, titles
from app.views.versioned import VersionedEditMixin

CAT_CRM = "CrmMenu"

LABELS = COMMON_LABELS | {
    "created_at": _l("Created"), "source": _l("Lead source"),
    "title": _l("Deal"), "partner": _l("Partner"), "contact": _l("Contact person"),
    "probability": _l("Probability, %"), "expected_close": _l("Expected close"), "stage": _l("Stage"),
    "closed_at": _l("Closed"), "close_reason": _l("Why won / lost"),
    "sort_order": lazy_pgettext("sort order", "Order"), "is_won": _l("Won"),
    "is_lost": _l("Lost"), "deal": _l("Deal"), "subject": _l("Subject"), "due_at": _l("Due"),
    "done_at": _l("Done at"), "assignee": _l("Assignee"), "result": _l("Result"),
}


def fmt_int(value: Any) -> Markup:
    """A whole number (order, probability %) right-aligned like every other figure."""
    return fmt_number(value, 0)


def fmt_activity_kind(value: Any) -> str:
    return str(ACTIVITY_KIND_LABELS.get(value, value or ""))


@titles(_l("Deal stages"), _l("Deal stage"), _l("New deal stage"), _l("Edit deal stage"))
@one_form("sort_order", "name", "name_ru", "name_es", "probability", "is_won", "is_lost", "active")
class DealStageView(BaseModelView):
    datamodel = interface(DealStage)
    class_permission_name = RESOURCE_DEAL
    search_columns = ["name", "is_won", "is_lost", "active"]
    label_columns = LABELS
    formatters_columns = {"sort_order": fmt_int, "probability": fmt_int, "is_won": fmt_check, "is_lost": fmt_check,
                          "active": fmt_check}
    base_order = ("sort_order", "asc")


@titles(_l("Activities"), _l("Activity"), _l("New activity"), _l("Edit activity"))
class ActivityView(BlankChoiceMixin, BaseModelView):
    datamodel = EagerInterface(Activity, "partner", "deal", "assignee")
    class_permission_name = RESOURCE_DEAL
    method_permission_name = CRUD | {"complete": ACTION_WRITE}
    list_columns = ["due_at", "kind", "subject", "partner", "deal", "assignee", "done"]
    add_columns = edit_columns = ["kind", "subject", "due_at", "partner", "deal", "assignee", "result"]
    show_columns = ["kind", "subject", "due_at", "partner", "deal", "assignee", "done", "done_at", "result"]
    search_columns = ["due_at", "kind", "subject", "partner", "deal", "assignee", "done"]
    add_form_extra_fields = edit_form_extra_fields = {
        "kind": choice_field(_l("Kind"), [(k, ACTIVITY_KIND_LABELS[k]) for k in ACTIVITY_KINDS], default="call"),
        "partner": partner_lookup(_l("Partner"), interface(Activity), "partner"),
        "deal": LookupField(_l("Deal"), Deal, "DealView.lookup", interface(Activity), "deal"),
    }
    search_form_extra_fields = {
        "partner": partner_lookup(_l("Partner"), interface(Activity), "partner"),
        "deal": LookupField(_l("Deal"), Deal, "DealView.lookup", interface(Activity), "deal"),
    }
    formatters_columns = {"kind": fmt_activity_kind, "due_at": fmt_date, "done": fmt_check, "done_at": fmt_date}
    label_columns = LABELS
    base_order = ("due_at", "desc")

    def pre_add(self, item: Activity) -> None:
        """The deal's partner when only the deal is given; the author when nobody is assigned."""
        self.pre_update(item)
        crm.default_assignee(db.session, item)

    def pre_update(self, item: Activity) -> None:
        try:
            crm.link_activity(item)
        except DomainError as exc:
            raise ValueError(" ".join(exc.messages(gettext))) from exc

    @expose("/complete/<int:pk>", methods=["POST"])
    @has_access
    def complete(self, pk: int) -> Response:
        back = request.form.get("next") or url_for(".show", pk=pk)
        if not back.startswith("/"):
            back = url_for(".show", pk=pk)
        return run_command(lambda: crm.complete_activity(db.session, pk, request.form.get("result", "")),
                           lambda a: gettext("Activity %(subject)s done", subject=a.subject), back)


@titles(_l("Deals"), _l("Deal"), _l("New deal"), _l("Edit deal"))
class DealView(VersionedEditMixin, BlankChoiceMixin, BaseModelView):
    datamodel = EagerInterface(Deal, "partner", "stage", "currency", "manager")
    class_permission_name = RESOURCE_DEAL
    method_permission_name = CRUD | {"move": ACTION_WRITE, "lookup": ACTION_READ}
    show_template = "fabrika/crm_deal_show.html"
    related_views = [ActivityView]
    list_columns = ["title", "partner", "stage", "amount", "currency", "probability", "expected_close", "manager"]
    add_columns = ["title", "partner", "contact", "amount", "currency", "stage", "probability", "expected_close",
                   "manager", "source", "note"]
    edit_columns = [c for c in add_columns if c != "stage"]  # stages change by moves only (history)
    show_columns = add_columns + ["closed_at", "close_reason", "created_at"]
    search_columns = ["title", "partner", "stage", "manager", "amount", "expected_close", "source", "closed_at"]
    label_columns = LABELS
    base_order = ("id", "desc")
    add_form_extra_fields = edit_form_extra_fields = {
        "partner": partner_lookup(_l("Partner"), interface(Deal), "partner"),
        "contact": partner_lookup(_l("Contact person"), interface(Deal), "contact", kind="person"),
    }
    search_form_extra_fields = {"partner": partner_lookup(_l("Partner"), interface(Deal), "partner")}
    formatters_columns = {"source": fmt_source, "probability": fmt_int}

    def pre_add(self, item: Deal) -> None:
        if item.partner is None:
            raise ValueError(gettext("Choose the deal's partner"))
        if item.stage is None:
            item.stage = crm.first_stage(db.session)
        if not item.probability and item.stage is not None:
            item.probability = item.stage.probability

    def post_add(self, item: Deal) -> None:
        crm.record_created(db.session, item)

    def pre_update(self, item: Deal) -> None:
        super().pre_update(item)  # the version it was opened with
        if item.partner is None:
            raise ValueError(gettext("Choose the deal's partner"))

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        return show_page(self, pk, lambda item: dict(
            deal=item, stages=crm.open_stages(db.session),
            documents=card_document_actions(item.partner, self.appbuilder.sm, roles=("customer",), deal=item.id),
            can_write=self.appbuilder.sm.has_access(f"can_{ACTION_WRITE}", RESOURCE_DEAL),
        ))

    @expose("/lookup/")
    @has_access
    def lookup(self) -> Response:
        """Deals for a select box, by the start of the title."""
        return jsonify(results=[{"id": i, "text": t} for i, t in
                                crm.deal_lookup_rows(db.session, request.args.get("q", ""), LOOKUP_LIMIT)])

    @expose("/move/<int:pk>", methods=["POST"])
    @has_access
    def move(self, pk: int) -> Response:
        stage_id = request.form.get("stage_id", "")
        if not stage_id.isdigit():
            abort(400)
        action = crm.reopen_deal if request.form.get("reopen") else crm.move_deal
        args = (db.session, pk, int(stage_id)) + (() if request.form.get("reopen") else
                                                  (request.form.get("reason", ""),))
        return run_command(lambda: action(*args),
                           lambda d: gettext("Deal moved to %(stage)s", stage=d.stage.label()),
                           url_for(".show", pk=pk))


def _manager_choices() -> list[tuple[int, str]]:
    """Users who manage at least one deal (the funnel and board filters)."""
    stmt = (select(User.id, User.first_name, User.last_name).where(User.id.in_(select(Deal.manager_id).distinct()))
            .order_by(User.first_name))
    return [(uid, f"{first} {last}".strip()) for uid, first, last in db.session.execute(stmt)]


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "").strip()
    return int(value) if value.isdigit() else None


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, "").strip())
    except ValueError:
        return None


def _totals_html(totals: dict[str, Any]) -> str:
    return " ".join(f"{fmt_money(v)} {code}".strip() for code, v in sorted(totals.items())) or str(fmt_money(0))


class KanbanView(BaseView):
    """The deals board: a column per stage, cards dragged between them."""

    route_base = "/crm/kanban"
    default_view = "index"
    class_permission_name = RESOURCE_DEAL
    method_permission_name = {"index": ACTION_READ, "move": ACTION_WRITE}

    @expose("/")
    @has_access
    def index(self) -> Any:
        manager = _int_arg("manager")
        columns = crm.board(db.session, manager)
        deal_ids = [d.id for c in columns for d in c.deals]
        return self.render_template(
            "fabrika/crm_kanban.html", title=_l("Deals board"), columns=columns, manager=manager,
            managers=_manager_choices(), next_acts=crm.next_activities(db.session, deal_ids),
            fmt_money=fmt_money, fmt_date=fmt_date, totals_html=_totals_html, kind_label=fmt_activity_kind,
            can_write=self.appbuilder.sm.has_access(f"can_{ACTION_WRITE}", RESOURCE_DEAL),
        )

    @expose("/move", methods=["POST"])
    @has_access_api
    def move(self) -> Response:
        """Move a deal: JSON {deal_id, stage_id, reason?} -> {ok, stage, columns: {stage id: {count, totals}}}."""
        body = request.get_json(silent=True) or {}
        try:
            deal_id, stage_id = int(body.get("deal_id")), int(body.get("stage_id"))
        except (TypeError, ValueError):
            return jsonify(ok=False, messages=[gettext("Choose a deal and a stage")]), 400
        try:
            deal = crm.move_deal(db.session, deal_id, stage_id, str(body.get("reason") or ""))
        except DomainError as exc:
            return jsonify(ok=False, messages=exc.messages(gettext)), 422
        columns = crm.board(db.session, _int_arg("manager"), limit=0)
        return jsonify(ok=True, deal_id=deal.id, stage=deal.stage.label(), closed=deal.stage.is_closed,
                       columns={c.stage.id: {"count": c.count, "totals": _totals_html(c.totals)} for c in columns})


class FunnelView(BaseView):
    """The sales funnel: deals reaching each stage, their amount, conversion to the next stage."""

    route_base = "/crm/funnel"
    default_view = "index"
    class_permission_name = RESOURCE_DEAL
    method_permission_name = {"index": ACTION_READ}

    @expose("/")
    @has_access
    def index(self) -> Any:
        date_from, date_to, manager = _date_arg("date_from"), _date_arg("date_to"), _int_arg("manager")
        from app.views.crm_funnel import funnel_chart

        rows = crm.funnel(db.session, date_from, date_to, manager)
        currencies = sorted({code for r in rows for code in r.amount})
        in_base = crm.funnel_in_base_currency(db.session, rows, date.today())
        chart = funnel_chart(rows, in_base)
        return self.render_template(
            "fabrika/crm_funnel.html", title=_l("Sales funnel"), rows=rows, chart=chart, currencies=currencies,
            in_base=in_base,
            date_from=date_from, date_to=date_to, manager=manager, managers=_manager_choices(),
            fmt_money=fmt_money, fmt_number=fmt_number, totals_html=_totals_html,
            chart_locale=locale_name().replace("_", "-"),
        )


class MyDayView(BaseView):
    """The signed-in user's activities due today and overdue, each done with one click."""

    route_base = "/crm/my-day"
    default_view = "index"
    class_permission_name = RESOURCE_DEAL
    method_permission_name = {"index": ACTION_READ, "done": ACTION_WRITE}

    @expose("/")
    @has_access
    def index(self) -> Any:
        day = crm.my_day(db.session, current_user.id)
        return self.render_template(
            "fabrika/crm_my_day.html", title=_l("My day"), day=day, fmt_date=fmt_date, kind_label=fmt_activity_kind,
            can_write=self.appbuilder.sm.has_access(f"can_{ACTION_WRITE}", RESOURCE_DEAL),
        )

    @expose("/done/<int:pk>", methods=["POST"])
    @has_access
    def done(self, pk: int) -> Response:
        try:
            act = crm.complete_activity(db.session, pk, request.form.get("result", ""))
            flash(gettext("Activity %(subject)s done", subject=act.subject), "success")
        except DomainError as exc:
            for message in exc.messages(gettext):
                flash(message, "danger")
        return redirect(url_for(".index"))


def register(appbuilder) -> None:
    """The Sales funnel menu: board, funnel, my day, deals, activities, stages."""
    cat = dict(category=CAT_CRM)
    appbuilder.add_view(KanbanView, "Deals board", label=_l("Deals board"), icon="fa-columns", category=CAT_CRM,
                        category_label=_l("Sales funnel"), category_icon="fa-filter")
    appbuilder.add_view(MyDayView, "My day", label=_l("My day"), icon="fa-calendar-check-o", **cat)
    appbuilder.add_view(FunnelView, "Sales funnel", label=_l("Sales funnel"), icon="fa-bar-chart", **cat)
    appbuilder.add_separator(CAT_CRM)
    appbuilder.add_view(DealView, "Deals", label=_l("Deals"), icon="fa-handshake-o", **cat)
    appbuilder.add_view(ActivityView, "Activities", label=_l("Activities"), icon="fa-tasks", **cat)
    appbuilder.add_view(DealStageView, "Deal stages", label=_l("Deal stages"), icon="fa-sort-amount-asc", **cat)
