"""Pages of complaints, their corrective / preventive actions and the register of defect causes.

Forms pick lots, production orders and items through look-ups (select2 over AJAX: the ledger has a
million lots); saving runs app.services.quality.complaints.prepare_* in FAB's transaction, and the
state buttons call the same service as the REST API (run_command).
"""

from __future__ import annotations

from flask import Response, jsonify, request, url_for
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import or_, select

from app.domain.errors import DomainError
from app.domain.quality import COMPLAINT, CORRECTIVE_ACTION
from app.extensions import db
from app.models.catalog import Item
from app.models.production import ProductionOrder
from app.models.quality import ACTION_KINDS, CAUSE_GROUPS, Complaint, CorrectiveAction, DefectCause
from app.models.stock import StockLot
from app.permissions import ACTION_READ, ACTION_WRITE, CRUD, RESOURCE_QUALITY
from app.services.quality import complaints as svc
from app.services.workflow import lazy_state_labels, state_choices
from app.views.base import BaseModelView, choice_field, fmt_money, interface, run_command
from app.views.labels import COMMON_LABELS
from app.views.partners import LOOKUP_LIMIT, BlankChoiceMixin, EagerInterface, LookupField, fmt_check, partner_lookup
from app.views.production.common import ShowWithActions, action
from app.views.titles import titles

LABELS = COMMON_LABELS | {
    "complaint_date": _l("Date"), "title": _l("Subject"), "partner": _l("Client"), "lot": _l("Product lot"),
    "production_order": _l("Production order"), "component_lot": _l("Component lot"), "supplier": _l("Supplier"),
    "cause": _l("Cause"), "qty": _l("Defective quantity"), "cost_scrap": _l("Scrap cost"),
    "cost_rework": _l("Rework cost"), "cost_replacement": _l("Replacement cost"), "cost_other": _l("Other costs"),
    "cost_total": _l("Cost of quality"), "resolution": _l("Resolution"), "closed_at": _l("Closed at"),
    "closed_by": _l("Closed by"), "complaint": _l("Complaint"), "owner": _l("Owner"), "result": _l("Result"),
    "done_at": _l("Done at"), "done_by": _l("Done by"), "cause_group": _l("Group"), "due_date": _l("Deadline"),
}
KIND_LABELS = {"corrective": _l("Corrective"), "preventive": _l("Preventive")}
GROUP_LABELS = {"supplier": _l("Supplier"), "production": _l("Production"), "design": _l("Design"),
                "transport": _l("Transport"), "usage": _l("Use by the client"), "other": _l("Other")}
COMPLAINT_STATES = lazy_state_labels(COMPLAINT)
ACTION_STATES = lazy_state_labels(CORRECTIVE_ACTION)
ICONS = {"investigate": "fa-search", "resolve": "fa-check", "close": "fa-lock", "reject": "fa-ban",
         "reopen": "fa-undo", "start": "fa-play", "complete": "fa-check", "cancel": "fa-times"}


def _labelled(labels: dict):
    return lambda value: str(labels.get(value, value or ""))


def _state(labels: dict):
    return lambda value: Markup('<span class="state-%s">%s</span>') % (value, labels.get(value, value))


def _lookup(model, endpoint: str, col: str, label) -> LookupField:
    return LookupField(label, model, f"ComplaintView.{endpoint}", interface(Complaint), col)


def _refuse_in_words(check, item) -> None:
    """FAB shows a ValueError raised before a save as the form's message: the problems, translated."""
    try:
        check(db.session, item)
    except DomainError as exc:
        raise ValueError(" ".join(exc.messages(gettext))) from exc


def _buttons(view, wf, item) -> list[dict]:
    if not view._can(ACTION_WRITE):
        return []
    out = []
    for t in wf.actions_from(item.state):
        if t.action == "edit" or not view._can(t.permission):
            continue
        css = "btn-danger" if t.action in ("reject", "cancel") else "btn-primary" if t.action == "close" else \
            "btn-default"
        out.append(action(f"move_{t.action}", gettext(t.label), ICONS.get(t.action, "fa-arrow-right"), css,
                          method="post", reason=gettext("Comment") if t.action in ("resolve", "complete",
                                                                                  "close") else ""))
    return out


@titles(_l("Defect causes"), _l("Defect cause"), _l("New defect cause"), _l("Edit defect cause"))
class DefectCauseView(BaseModelView):
    datamodel = interface(DefectCause)
    class_permission_name = RESOURCE_QUALITY
    list_columns = ["code", "name", "name_ru", "name_es", "cause_group", "active"]
    add_columns = edit_columns = show_columns = ["code", "name", "name_ru", "name_es", "cause_group", "active"]
    search_columns = ["code", "name", "cause_group", "active"]
    add_form_extra_fields = edit_form_extra_fields = {
        "cause_group": choice_field(_l("Group"), [(g, GROUP_LABELS[g]) for g in CAUSE_GROUPS], default="other")}
    formatters_columns = {"cause_group": _labelled(GROUP_LABELS), "active": fmt_check}
    label_columns = LABELS
    base_order = ("code", "asc")


def _move_endpoint(name: str, service, done_msg: str):
    """The POST endpoint `move_<name>` of one workflow button; its permission is the transition's (write, or
    post for closing), and the service checks it again for the REST API's single transition endpoint."""

    def move(self, pk: int) -> Response:
        return self._move(pk, name, service, done_msg)

    move.__name__ = f"move_{name}"
    return expose(f"/move/{name}/<int:pk>", methods=["POST"])(has_access(move))


class _ActionMoves:
    """move_<action> endpoints of a workflow's buttons: each posts to the service with an optional comment."""

    def _move(self, pk: int, name: str, service, done_msg: str) -> Response:
        text = request.form.get("reason", "")
        return run_command(lambda: service(db.session, pk, name, text), lambda _row: str(done_msg),
                           url_for(f"{self.endpoint}.show", pk=pk))


@titles(_l("Corrective and preventive actions"), _l("Corrective action"), _l("New corrective action"),
        _l("Edit corrective action"))
class CorrectiveActionView(_ActionMoves, BlankChoiceMixin, ShowWithActions):
    datamodel = EagerInterface(CorrectiveAction, "complaint", "owner")
    class_permission_name = RESOURCE_QUALITY
    method_permission_name = CRUD | {f"move_{a}": t.permission for a, t in CORRECTIVE_ACTION.transitions.items()}
    list_columns = ["complaint", "kind", "description", "owner", "due_date", "state"]
    add_columns = edit_columns = ["complaint", "kind", "description", "owner", "due_date"]
    show_columns = ["complaint", "kind", "description", "owner", "due_date", "state", "result", "done_at", "done_by",
                    "closed_at", "closed_by"]
    search_columns = ["complaint", "kind", "owner", "due_date", "state"]
    add_form_extra_fields = edit_form_extra_fields = {
        "kind": choice_field(_l("Kind"), [(k, KIND_LABELS[k]) for k in ACTION_KINDS], default="corrective")}
    search_form_extra_fields = {"state": choice_field(_l("State"), state_choices(CORRECTIVE_ACTION))}
    formatters_columns = {"kind": _labelled(KIND_LABELS), "state": _state(ACTION_STATES)}
    label_columns = LABELS
    base_order = ("due_date", "asc")

    def pre_add(self, item: CorrectiveAction) -> None:
        _refuse_in_words(svc.prepare_action, item)

    pre_update = pre_add

    def _doc_actions(self, item: CorrectiveAction) -> list[dict]:
        return _buttons(self, CORRECTIVE_ACTION, item)

    for _name in CORRECTIVE_ACTION.transitions:
        if _name != "edit":
            locals()[f"move_{_name}"] = _move_endpoint(_name, svc.move_action, _l("Action saved"))
    del _name


@titles(_l("Complaints"), _l("Complaint"), _l("New complaint"), _l("Edit complaint"))
class ComplaintView(_ActionMoves, BlankChoiceMixin, ShowWithActions):
    datamodel = EagerInterface(Complaint, "partner", "item", "cause")
    class_permission_name = RESOURCE_QUALITY
    method_permission_name = CRUD | {f"move_{a}": t.permission for a, t in COMPLAINT.transitions.items()} | {
        "lots": ACTION_READ, "orders": ACTION_READ, "items": ACTION_READ}
    related_views = [CorrectiveActionView]
    list_columns = ["number", "complaint_date", "title", "partner", "item", "cause", "qty", "cost_total", "state"]
    add_columns = edit_columns = ["title", "complaint_date", "partner", "item", "lot", "production_order",
                                  "component_lot", "supplier", "cause", "qty", "cost_scrap", "cost_rework",
                                  "cost_replacement", "cost_other", "description", "resolution"]
    show_columns = ["number", "state", *add_columns, "cost_total", "closed_at", "closed_by"]
    search_columns = ["number", "complaint_date", "title", "partner", "item", "cause", "state"]
    add_form_extra_fields = edit_form_extra_fields = {
        "partner": partner_lookup(_l("Client"), interface(Complaint), "partner"),
        "supplier": partner_lookup(_l("Supplier"), interface(Complaint), "supplier"),
        "item": _lookup(Item, "items", "item", _l("Item")),
        "lot": _lookup(StockLot, "lots", "lot", _l("Product lot")),
        "component_lot": _lookup(StockLot, "lots", "component_lot", _l("Component lot")),
        "production_order": _lookup(ProductionOrder, "orders", "production_order", _l("Production order")),
    }
    search_form_extra_fields = {"state": choice_field(_l("State"), state_choices(COMPLAINT))}
    formatters_columns = {"state": _state(COMPLAINT_STATES), "cost_total": fmt_money}
    label_columns = LABELS
    base_order = ("id", "desc")

    def pre_add(self, item: Complaint) -> None:
        _refuse_in_words(svc.prepare_complaint, item)

    pre_update = pre_add

    def _doc_actions(self, item: Complaint) -> list[dict]:
        out = _buttons(self, COMPLAINT, item)
        if item.component_lot_id:
            out.append(dict(action("show", gettext("Recall list"), "fa-sitemap"),
                            url=url_for("RecallView.index", lot=item.component_lot_id)))
        return out

    for _name in COMPLAINT.transitions:
        if _name != "edit":
            locals()[f"move_{_name}"] = _move_endpoint(_name, svc.move_complaint, _l("Complaint saved"))
    del _name

    @expose("/lots/")
    @has_access
    def lots(self) -> Response:
        """Lots for a select box, by lot code, document number or item code."""
        q = (request.args.get("q") or "").strip()
        stmt = select(StockLot).join(Item, Item.id == StockLot.item_id).order_by(StockLot.id.desc()).limit(LOOKUP_LIMIT)
        if q:
            like = f"%{q}%"
            stmt = stmt.where(or_(StockLot.code.ilike(like), StockLot.doc_number.ilike(like), Item.code.ilike(like),
                                  StockLot.id == (int(q) if q.isdigit() else -1)))
        return jsonify(results=[{"id": lot.id, "text": lot_text(lot)} for lot in db.session.scalars(stmt)])

    @expose("/orders/")
    @has_access
    def orders(self) -> Response:
        q = (request.args.get("q") or "").strip()
        stmt = select(ProductionOrder).order_by(ProductionOrder.id.desc()).limit(LOOKUP_LIMIT)
        if q:
            stmt = stmt.where(ProductionOrder.number.ilike(f"%{q}%"))
        return jsonify(results=[{"id": o.id, "text": f"{o} {o.item}"} for o in db.session.scalars(stmt)])

    @expose("/items/")
    @has_access
    def items(self) -> Response:
        q = (request.args.get("q") or "").strip()
        stmt = select(Item).order_by(Item.code).limit(LOOKUP_LIMIT)
        if q:
            stmt = stmt.where(or_(Item.code.ilike(f"{q}%"), Item.name.ilike(f"%{q}%"), Item.name_ru.ilike(f"%{q}%"),
                                  Item.name_es.ilike(f"%{q}%")))
        return jsonify(results=[{"id": i.id, "text": str(i)} for i in db.session.scalars(stmt)])


def lot_text(lot: StockLot) -> str:
    """How a lot is named in select boxes and on the recall page: item, code (or number), receipt document."""
    return f"{lot.item} · {lot.code or '#' + str(lot.id)} · {lot.doc_number} · {lot.received_on:%Y-%m-%d}"
