"""Proposal pages: the register of TCP versions, the show page with its next steps (send, approve,
reject, revise, convert, print both forms, e-mail the client, what-if), lines and payment schedule.

Proposals are composed in the configurator, never in a CRUD form; every button calls one service
of app.services.proposals and a DomainError becomes translated flash messages.
"""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Any

from flask import Response, abort, redirect, request, url_for
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from app.domain.documents import PROPOSAL
from app.domain.errors import DomainError
from app.extensions import db
from app.models.proposals import PaymentInstalment, Proposal, ProposalLine
from app.permissions import ACTION_POST, ACTION_READ, ACTION_WRITE, READ_ONLY, RESOURCE_PROPOSAL
from app.services import proposals as svc
from app.services.proposals.labels import EVENT_LABELS, LINE_KIND_LABELS, SOURCE_LABELS, STATE_LABELS
from app.views.base import (
    ReadOnlyModelView,
    flash_domain_error,
    fmt_date,
    fmt_money,
    fmt_number,
    interface,
    pdf_response,
    run_command,
)
from app.views.fields import page_locale
from app.views.labels import COMMON_LABELS
from app.views.production.common import ShowWithActions, action, render_page
from app.views.titles import titles

LABELS = COMMON_LABELS | {
    "proposal_date": _l("Date"), "valid_until": _l("Valid until"), "contact": _l("Contact"),
    "cost_source": _l("Cost source"), "margin_pct": _l("Target margin, %"), "tax_pct": _l("Tax, %"),
    "floor_override_by": _l("Floor overridden by"), "cost_total": _l("Cost"), "price_total": _l("Amount before tax"),
    "tax_total": _l("Tax"), "grand_total": _l("Total"), "margin_actual_pct": _l("Margin, %"),
    "snapshot_at": _l("Costs taken at"), "sent_at": _l("Sent at"), "decided_at": _l("Decided at"),
    "decided_by": _l("Decided by"), "reject_reason": _l("Reason"), "converted_at": _l("Converted at"),
    "is_current": _l("Current version"), "custom_item": _l("Custom item"), "group_label": _l("Group"),
    "unit_cost": _l("Cost per unit"), "unit_price": _l("Unit price"), "price": _l("Amount"), "seq": _l("No."),
    "pct": _l("Share, %"), "event": _l("On event"), "days": _l("Days after"), "deal_id": _l("Deal"),
    "sales_order_id": _l("Customer order"), "invoice_id": _l("Invoice"),
    "production_order_id": _l("Production order"),
}
PAGE = {
    "what_if": _l("What if: proposal %(number)s costed by every source today"), "source": _l("Cost source"),
    "cost": _l("Cost"), "margin": _l("Margin, %"), "drift": _l("Margin drift since the proposal was made"),
    "then": _l("When costed (%(when)s)"), "now": _l("Today"), "change": _l("Change"), "back": _l("Back"),
    "notes": _l("Notes"), "own": _l("this proposal's source"),
}


def _doc_link(model_path: str, endpoint: str, attr: str):
    """A formatter: the id of another context's document shown as its number, linked to its page."""
    def fmt(value: Any) -> Markup | str:
        if not value:
            return ""
        import importlib

        module, cls = model_path.rsplit(".", 1)
        doc = db.session.get(getattr(importlib.import_module(module), cls), value)
        text = getattr(doc, attr, None) if doc is not None else None
        try:
            url = url_for(endpoint, pk=value)
        except Exception:  # noqa: BLE001 - the other context's view may not be registered
            return str(text or value)
        return Markup('<a href="%s">%s</a>') % (url, text or f"#{value}")
    return fmt


def _by_rules(value: Any) -> Markup | str:
    return gettext("by the rules") if value is None else fmt_number(value, 2)


def _state(value: Any) -> Markup:
    return Markup('<span class="state-%s">%s</span>') % (value, STATE_LABELS.get(value, value))


class ProposalLineView(ReadOnlyModelView):
    datamodel = interface(ProposalLine)
    class_permission_name = RESOURCE_PROPOSAL
    list_title = _l("Proposal lines")
    list_columns = ["line_no", "group_label", "description", "promotion", "qty", "unit_cost", "cost", "unit_price",
                    "price"]
    show_columns = ["proposal", "line_no", "kind", "group_label", "description", "item", "characteristics", "qty",
                    "unit_cost", "cost", "margin_pct", "discount_pct", "promotion", "promotion_pct", "unit_price",
                    "price", "calculation_run_id", "calculator_version_id", "calculator_inputs"]
    search_columns = ["proposal", "description", "item"]
    label_columns = LABELS | {"proposal": _l("Proposal"), "calculation_run_id": _l("Calculation"),
                              "calculator_version_id": _l("Calculator version"),
                              "calculator_inputs": _l("Calculator inputs"), "characteristics": _l("Characteristics"),
                              "promotion": _l("Promotion"), "promotion_pct": _l("Promotion discount, %")}
    formatters_columns = {"kind": lambda v: str(LINE_KIND_LABELS.get(v, v))}
    base_order = ("line_no", "asc")
    page_size = 100


def _share(value: Decimal | None) -> str:
    """An instalment's share as people read it: 33,33 and 50, not 33,3333 and 50,0000."""
    from app.printing.formatting import percent

    return percent(value, page_locale() or "en")


class PaymentInstalmentView(ReadOnlyModelView):
    datamodel = interface(PaymentInstalment)
    class_permission_name = RESOURCE_PROPOSAL
    list_title = _l("Payment schedule")
    list_columns = ["seq", "pct", "event", "days", "due_date", "note"]
    search_columns = ["proposal"]
    label_columns = LABELS | {"proposal": _l("Proposal")}
    formatters_columns = {"event": lambda v: str(EVENT_LABELS.get(v, v)), "pct": _share}
    base_order = ("seq", "asc")


@titles(_l("Proposals (TCP)"), _l("Proposal (TCP)"))
class ProposalView(ShowWithActions, ReadOnlyModelView):
    datamodel = interface(Proposal)
    class_permission_name = RESOURCE_PROPOSAL
    method_permission_name = READ_ONLY | {
        "send": ACTION_POST, "approve": ACTION_POST, "reject": ACTION_POST, "convert": ACTION_POST,
        "email": ACTION_POST, "revise": ACTION_WRITE, "configure": ACTION_WRITE, "print_customer": ACTION_READ,
        "print_internal": ACTION_READ, "what_if": ACTION_READ, "add": ACTION_WRITE,
    }
    include_route_methods = {"list", "show", "export", "add", "send", "approve", "reject", "convert", "email", "revise",
                             "configure", "print_customer", "print_internal", "what_if"}
    related_views = [ProposalLineView, PaymentInstalmentView]
    list_columns = ["number", "version", "proposal_date", "partner", "model", "state", "grand_total", "currency",
                    "margin_actual_pct", "is_current"]
    show_columns = ["number", "version", "is_current", "proposal_date", "valid_until", "state", "partner", "contact",
                    "deal_id", "model", "qty", "currency", "rate", "cost_source", "margin_pct", "discount_pct",
                    "tax_pct",
                    "cost_total", "price_total", "tax_total", "grand_total", "margin_actual_pct", "floor_margin_pct",
                    "floor_override_by", "snapshot_at", "sent_at", "sent_by", "decided_at", "decided_by",
                    "reject_reason", "converted_at", "custom_item", "sales_order_id", "invoice_id",
                    "production_order_id", "note"]
    search_columns = ["number", "proposal_date", "partner", "model", "state", "is_current"]
    label_columns = LABELS
    base_order = ("id", "desc")
    formatters_columns = {"state": _state, "cost_source": lambda v: str(SOURCE_LABELS.get(v, v)),
                          "margin_actual_pct": lambda v: fmt_number(v, 2), "rate": lambda v: fmt_number(v),
                          "grand_total": fmt_money, "cost_total": fmt_money, "price_total": fmt_money,
                          "tax_total": fmt_money, "margin_pct": _by_rules, "discount_pct": _by_rules,
                          "floor_margin_pct": lambda v: fmt_number(v, 2),
                          "deal_id": _doc_link("app.models.crm.Deal", "DealView.show", "title"),
                          "sales_order_id": _doc_link("app.models.sales.SalesOrder", "SalesOrderView.show", "number"),
                          "invoice_id": _doc_link("app.models.sales.SalesInvoice", "SalesInvoiceView.show", "number"),
                          "production_order_id": _doc_link("app.models.production.ProductionOrder",
                                                           "ProductionOrderView.show", "number"),
                          "is_current": lambda v: gettext("Yes") if v else gettext("No")}
    show_fieldsets = [
        (_l("Proposal"), {"fields": ["number", "version", "is_current", "proposal_date", "valid_until", "state",
                                     "partner", "contact", "deal_id", "model", "qty", "note"]}),
        (_l("Prices and margin"), {"fields": ["currency", "rate", "cost_source", "margin_pct", "discount_pct",
                                              "tax_pct", "cost_total", "price_total", "tax_total", "grand_total",
                                              "margin_actual_pct", "floor_margin_pct", "floor_override_by",
                                              "snapshot_at"]}),
        (_l("Progress"), {"fields": ["sent_at", "sent_by", "decided_at", "decided_by", "reject_reason",
                                     "converted_at", "sales_order_id", "invoice_id", "custom_item",
                                     "production_order_id"]}),
    ]

    def _doc_actions(self, item: Proposal) -> list[dict]:
        post, write = self._can(ACTION_POST), self._can(ACTION_WRITE)
        out = [action("print_customer", gettext("Customer form"), "fa-print"),
               action("print_internal", gettext("Internal form"), "fa-print"),
               action("what_if", gettext("What if"), "fa-balance-scale")]
        if not item.is_current:
            return out
        allows = partial(PROPOSAL.allows, item.state)
        if allows("edit") and write:
            out.insert(0, action("configure", gettext("Open in the configurator"), "fa-sliders", "btn-primary"))
        if allows("send") and post:
            out.append(action("send", gettext("Send"), "fa-paper-plane", "btn-primary", "post",
                              gettext("Mark this proposal as sent to the client?")))
        if allows("approve") and post:
            out.append(action("approve", gettext("Approved by the client"), "fa-check", "btn-success", "post",
                              gettext("Mark this proposal as approved by the client?")))
        if allows("reject") and post:
            out.append(action("reject", gettext("Rejected by the client"), "fa-times", "btn-warning", "post",
                              gettext("Mark this proposal as rejected?"), reason=gettext("Client's reason")))
        if allows("revise") and write:
            out.append(action("revise", gettext("Revise (new version)"), "fa-copy", "btn-default", "post",
                              gettext("Make a new version of this proposal? This one stays as it is.")))
        if allows("convert") and post:
            out.append(action("convert", gettext("Make the order and invoice"), "fa-shopping-cart", "btn-primary",
                              "post", gettext("Make the customer order, the invoice and the production order?")))
        if allows("email") and post:
            out.append(action("email", gettext("E-mail to the client"), "fa-envelope", "btn-default", "post",
                              gettext("E-mail the customer form to the client?")))
        return out

    def _back(self, pk: int) -> str:
        return url_for(f"{self.endpoint}.show", pk=pk)

    @expose("/add")
    @has_access
    def add(self) -> Response:
        """A new proposal is composed in the configurator; a calculator's result comes along (?calc_run=<id>)."""
        keep = {k: request.args[k] for k in ("calc_run", "partner", "deal", "model") if request.args.get(k)}
        return redirect(url_for("ConfiguratorView.index", **keep))

    @expose("/configure/<int:pk>")
    @has_access
    def configure(self, pk: int) -> Response:
        return redirect(url_for("ConfiguratorView.index", proposal=pk))

    @expose("/send/<int:pk>", methods=["POST"])
    @has_access
    def send(self, pk: int) -> Response:
        return run_command(lambda: svc.send_proposal(db.session, pk),
                           lambda p: gettext("Proposal %(number)s sent", number=p.label), self._back(pk))

    @expose("/approve/<int:pk>", methods=["POST"])
    @has_access
    def approve(self, pk: int) -> Response:
        return run_command(lambda: svc.approve_proposal(db.session, pk),
                           lambda p: gettext("Proposal %(number)s approved", number=p.label), self._back(pk))

    @expose("/reject/<int:pk>", methods=["POST"])
    @has_access
    def reject(self, pk: int) -> Response:
        return run_command(lambda: svc.reject_proposal(db.session, pk, request.form.get("reason", "")),
                           lambda p: gettext("Proposal %(number)s rejected", number=p.label), self._back(pk))

    @expose("/revise/<int:pk>", methods=["POST"])
    @has_access
    def revise(self, pk: int) -> Response:
        try:
            new = svc.revise_proposal(db.session, pk)
        except DomainError as exc:
            flash_domain_error(exc)
            return redirect(self._back(pk))
        from flask import flash

        flash(gettext("Version %(version)s of proposal %(number)s created", version=new.version, number=new.number),
              "success")
        return redirect(self._back(new.id))

    @expose("/convert/<int:pk>", methods=["POST"])
    @has_access
    def convert(self, pk: int) -> Response:
        return run_command(lambda: svc.convert_proposal(db.session, pk),
                           lambda p: gettext("Proposal %(number)s converted into an order", number=p.label),
                           self._back(pk))

    @expose("/email/<int:pk>", methods=["POST"])
    @has_access
    def email(self, pk: int) -> Response:
        from app.services.proposals.printing import email_proposal

        return run_command(lambda: email_proposal(db.session, pk, request.form.get("to") or None),
                           lambda m: gettext("Sent to %(to)s", to=m.recipients), self._back(pk))

    @expose("/print/customer/<int:pk>")
    @has_access
    def print_customer(self, pk: int) -> Response:
        return self._pdf(pk, "customer")

    @expose("/print/internal/<int:pk>")
    @has_access
    def print_internal(self, pk: int) -> Response:
        return self._pdf(pk, "internal")

    def _pdf(self, pk: int, form: str) -> Response:
        from app.services.proposals.printing import proposal_pdf

        try:
            return pdf_response(*proposal_pdf(db.session, pk, form, request.args.get("lang")))
        except DomainError:
            abort(404)

    @expose("/what-if/<int:pk>")
    @has_access
    def what_if(self, pk: int) -> Any:
        from app.views.sales.common import note_text  # numbers and dates of the notes in the user's format

        try:
            rows, drift = svc.what_if(db.session, pk)
        except DomainError:
            abort(404)
        p = db.session.get(Proposal, pk)
        table = {"headers": [PAGE["source"], PAGE["cost"], PAGE["margin"], PAGE["notes"]], "rows": [
            ([Markup("<b>%s</b> <small>(%s)</small>") % (SOURCE_LABELS[r.source], PAGE["own"])
              if r.source == p.cost_source else SOURCE_LABELS[r.source], fmt_money(r.cost),
              fmt_number(r.margin_pct, 2), Markup("<br>").join(note_text(n) for n in r.notes)], "")
            for r in rows]}
        when = fmt_date(drift.snapshot_at) if drift.snapshot_at else ""
        drift_table = {"caption": PAGE["drift"], "headers": ["", PAGE["cost"], PAGE["margin"]], "rows": [
            ([str(PAGE["then"]) % {"when": when}, fmt_money(drift.snapshot_cost), fmt_number(drift.snapshot_margin, 2)],
             ""),
            ([PAGE["now"], fmt_money(drift.current_cost), fmt_number(drift.current_margin, 2)], ""),
            ([PAGE["change"], fmt_money(drift.current_cost - drift.snapshot_cost),
              fmt_number(drift.margin_change, 2)], "")]}
        title = str(PAGE["what_if"]) % {"number": p.label}
        return render_page(self, title, [table, drift_table], [(PAGE["back"], self._back(pk), "fa-arrow-left")])
