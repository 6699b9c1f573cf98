"""Customer order views: the register, the order entry page (lines, popular items), the order page with
its next actions (confirm, analyse, ship, invoice, e-mail), attached files, the logistics analysis.

Everything that changes data calls app.services.sales; a DomainError becomes translated flash
messages and the form is shown again with what the user typed.
"""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Any

from flask import Response, abort, flash, jsonify, redirect, request, url_for
from flask_appbuilder.baseviews import expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.domain.documents import SALES_ORDER
from app.domain.errors import DomainError
from app.domain.money import read_decimal
from app.extensions import db
from app.models.catalog import Item
from app.models.core import Currency
from app.models.partners import Partner
from app.models.sales import INVOICE_KIND_ACT, SalesInvoice, SalesOrder, SalesOrderAttachment, SalesOrderLine, Shipment
from app.models.stock import VALUATION_FIFO, Warehouse
from app.permissions import (
    ACTION_APPROVE,
    ACTION_POST,
    ACTION_READ,
    ACTION_WRITE,
    CRUD,
    RESOURCE_INVOICE,
    RESOURCE_SALES_ORDER,
    RESOURCE_SHIPMENT,
)
from app.services.sales import orders as svc
from app.services.sales.analysis import analyse, run_analysis
from app.services.sales.invoices import invoiced_by_line, is_service_line
from app.services.sales.lookup import find_clients, find_items
from app.services.sales.popular import suggestions
from app.services.sales.shipments import shipped_by_line
from app.views.base import (
    BaseModelView,
    ReadOnlyModelView,
    file_response,
    flash_domain_error,
    interface,
    locale_name,
    run_command,
)
from app.views.base import command_button as _act
from app.views.fields import input_text
from app.views.sales.common import (
    LABELS,
    NumberSearch,
    can,
    eager_interface,
    fmt_order_state,
    form_date,
    form_decimal,
    page_helpers,
)
from app.views.show import printed_form
from app.views.titles import titles

ENTRY_TEMPLATE = "fabrika/sales_order_entry.html"
SHOW_TEMPLATE = "fabrika/sales_order_show.html"
ANALYSIS_TEMPLATE = "fabrika/sales_analysis.html"
EMAIL_TEMPLATE = "fabrika/sales_email.html"


def _partner_lookup(model, column: str):
    """A type-ahead client filter: the list of 100,000 partners is never rendered as a select box."""
    from app.views.partners import partner_lookup

    return partner_lookup(LABELS[column], interface(model), column)


@titles(_l("Order lines"), _l("Order line"))
class SalesOrderLineView(ReadOnlyModelView):
    datamodel = eager_interface(SalesOrderLine, "order", "item")
    class_permission_name = RESOURCE_SALES_ORDER
    list_columns = ["order", "line_no", "item", "description", "qty", "unit_price", "discount_pct", "amount_net",
                    "amount_tax", "amount_total", "promise_date"]
    show_columns = [*list_columns, "unit_cost_estimate", "calculator_version_id"]
    search_columns = ["item", "description", "promise_date"]
    base_order = ("id", "desc")
    label_columns = LABELS


@titles(_l("Customer orders"), _l("Customer order"), _l("New customer order"), _l("Edit customer order"))
class SalesOrderView(NumberSearch, BaseModelView):
    """The customer orders register; add and edit go to the order entry page."""

    datamodel = eager_interface(SalesOrder, "partner", "currency", "manager")
    class_permission_name = RESOURCE_SALES_ORDER
    method_permission_name = CRUD | {
        "entry": ACTION_WRITE, "save": ACTION_WRITE, "confirm": ACTION_POST, "cancel_order": ACTION_POST,
        "close_order": ACTION_POST, "analysis": ACTION_READ, "run": ACTION_POST, "attach": ACTION_WRITE,
        "attachment": ACTION_READ, "drop_attachment": ACTION_WRITE, "popular": ACTION_READ, "lookup": ACTION_READ,
        "email": ACTION_WRITE, "print_doc": ACTION_READ,
    }
    list_columns = ["number", "order_date", "partner", "state", "amount_total", "currency", "delivery_date",
                    "manager"]
    search_columns = ["number", "order_date", "partner", "state", "delivery_date", "warehouse", "manager"]
    show_columns = ["number", "order_date", "partner", "state", "warehouse", "currency", "rate", "tax_rate",
                    "amount_net", "amount_tax", "amount_total", "delivery_address", "delivery_terms", "delivery_date",
                    "payment_terms_days", "note", "manager", "confirmed_by", "confirmed_at"]
    add_columns = edit_columns = ["partner"]
    search_form_extra_fields = {"partner": _partner_lookup(SalesOrder, "partner")}
    base_order = ("id", "desc")
    label_columns = LABELS
    formatters_columns = {"state": fmt_order_state}
    related_views = [SalesOrderLineView]

    # --- add / edit: the entry page -------------------------------------------------------------------

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        """The entry page; a calculator's "Add to order" comes here with ?calc_run=<id> (kept)."""
        keep = {k: request.args[k] for k in ("calc_run", "partner_id") if request.args.get(k)}
        return redirect(url_for(".entry", **keep))

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        return redirect(url_for(".entry", pk=pk))

    def pre_delete(self, item: SalesOrder) -> None:
        if not SALES_ORDER.allows(item.state, "edit") or svc.has_documents(db.session, item.id):
            db.session.rollback()
            raise ValueError(gettext("Only a draft order without documents can be deleted"))

    def _entry_context(self, order: SalesOrder | None, form: dict | None = None) -> dict[str, Any]:
        currencies = db.session.scalars(select(Currency).where(Currency.active.is_(True)).order_by(Currency.code)).all()
        warehouses = db.session.scalars(select(Warehouse).where(Warehouse.active.is_(True),
                                                                Warehouse.valuation == VALUATION_FIFO)
                                        .order_by(Warehouse.code)).all()
        if form is None:
            form = _form_of(order) if order is not None else {
                "partner_id": request.args.get("partner_id", ""), "partner_name": _partner_name(
                    request.args.get("partner_id")), "currency": "", "tax_rate": input_text(svc.default_tax_rate()),
                "warehouse_id": "", "lines": [{}]}
        if request.method == "GET" and _int(request.args.get("calc_run")):
            form = _with_run_line(form, _int(request.args.get("calc_run")))
        partner_id = _int(form.get("partner_id"))
        return dict(order=order, form=form, currencies=currencies, warehouses=warehouses,
                    popular=suggestions(db.session, partner_id, locale=locale_name()[:2]),
                    title=self.edit_title if order is not None else self.add_title)

    @expose("/entry", methods=["GET"])
    @expose("/entry/<int:pk>", methods=["GET"])
    @has_access
    def entry(self, pk: int | None = None):
        order = self._draft(pk) if pk else None
        if pk and order is None:
            return redirect(url_for(".show", pk=pk))
        return _render(self, ENTRY_TEMPLATE, **self._entry_context(order))

    @expose("/entry", methods=["POST"])
    @expose("/entry/<int:pk>", methods=["POST"])
    @has_access
    def save(self, pk: int | None = None):
        order = self._draft(pk) if pk else None
        form = _read_form()
        try:
            data = _input_of(form, order)
            saved = svc.update_order(db.session, order.id, data) if order else svc.create_order(db.session, data)
        except DomainError as exc:
            db.session.rollback()
            flash_domain_error(exc)
            return _render(self, ENTRY_TEMPLATE, **self._entry_context(order, form)), 400
        flash(gettext("Order %(number)s saved", number=saved.number), "success")
        return redirect(url_for(".show", pk=saved.id))

    def _draft(self, pk: int | None) -> SalesOrder | None:
        order = db.session.get(SalesOrder, pk) or abort(404)
        return order if SALES_ORDER.allows(order.state, "edit") else None

    # --- the order page -------------------------------------------------------------------------------

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        order = db.session.scalar(select(SalesOrder).where(SalesOrder.id == _int(pk)).options(
            selectinload(SalesOrder.lines).selectinload(SalesOrderLine.item), selectinload(SalesOrder.attachments)))
        if order is None:
            abort(404)
        shipped = shipped_by_line(db.session, order.id)
        invoiced = invoiced_by_line(db.session, order.id)
        invoices, shipments = _order_documents(order.id)
        return _render(self,
            SHOW_TEMPLATE, order=order, shipped=shipped, invoiced={k: v[0] for k, v in invoiced.items()},
            invoices=invoices, shipments=shipments,
            actions=self._actions(order, shipped, invoiced, bool(invoices or shipments)),
            popular=suggestions(db.session, order.partner_id, locale=locale_name()[:2])
            if SALES_ORDER.allows(order.state, "edit")
            else None, can_write=can(self, ACTION_WRITE), title=self.show_title, promise=_promise(order))

    def _actions(self, order: SalesOrder, shipped: dict, invoiced: dict, has_docs: bool) -> list[dict]:
        """The next steps that make sense now (a button that could only be refused is not offered)."""
        out = []
        post = can(self, ACTION_POST)
        allows = partial(SALES_ORDER.allows, order.state)
        if allows("edit") and can(self, ACTION_WRITE):
            out.append(_act(url_for(".entry", pk=order.id), gettext("Edit"), "fa-edit"))
        if allows("confirm") and post:
            out.append(_act(url_for(".confirm", pk=order.id), gettext("Confirm"), "fa-check", "btn-primary", "post",
                            gettext("Confirm the order? Stock will be reserved for it."),
                            override=can(self, ACTION_APPROVE)))
        if allows("analyse"):
            out.append(_act(url_for(".analysis", pk=order.id), gettext("Logistics analysis"), "fa-sitemap",
                            "btn-primary"))
            to_ship = any(not is_service_line(ln) and shipped.get(ln.id, 0) < ln.qty for ln in order.lines)
            if to_ship and can(self, ACTION_POST, RESOURCE_SHIPMENT):
                out.append(_act(url_for("ShipmentView.new", order_id=order.id), gettext("Ship"), "fa-truck",
                                "btn-primary"))
        left_to_invoice = any(invoiced.get(ln.id, (0,))[0] < ln.qty for ln in order.lines)
        if allows("invoice") and left_to_invoice and can(self, ACTION_POST, RESOURCE_INVOICE):
            out.append(_act(url_for("SalesInvoiceView.from_order", order_id=order.id), gettext("Invoice"),
                            "fa-file-text-o", "btn-default", "post",
                            gettext("Issue an invoice for all not invoiced yet?")))
        if allows("invoice") and can(self, ACTION_POST, RESOURCE_INVOICE):
            acted = invoiced_by_line(db.session, order.id, INVOICE_KIND_ACT)
            if any(is_service_line(ln) and acted.get(ln.id, (0,))[0] < ln.qty for ln in order.lines):
                out.append(_act(url_for("SalesInvoiceView.act_from_order", order_id=order.id), gettext("Act"),
                                "fa-file-o", "btn-default", "post", gettext("Issue an act for the services?")))
        if allows("close") and post:
            out.append(_act(url_for(".close_order", pk=order.id), gettext("Close"), "fa-lock", "btn-default", "post",
                            gettext("Close the order?")))
        if allows("cancel") and post and not has_docs:
            out.append(_act(url_for(".cancel_order", pk=order.id), gettext("Cancel order"), "fa-ban", "btn-warning",
                            "post", gettext("Cancel the order? Its reservations will be released.")))
        if order.state != SALES_ORDER.initial:  # a draft is not a document yet
            out.append(_act(url_for(".print_doc", pk=order.id), gettext("Print"), "fa-print"))
        if can(self, ACTION_WRITE):
            out.append(_act(url_for(".email", pk=order.id), gettext("E-mail"), "fa-envelope"))
        return out

    @expose("/print/<int:pk>")
    @has_access
    def print_doc(self, pk: int) -> Response:
        """The customer order as a PDF (in the user's language, or ?lang=ru|es|en)."""
        from app.services.sales.printing import order_pdf

        return printed_form(order_pdf, pk, SalesOrder)

    @expose("/confirm/<int:pk>", methods=["POST"])
    @has_access
    def confirm(self, pk: int) -> Response:
        override = bool(request.form.get("override")) and can(self, ACTION_APPROVE)
        return run_command(lambda: svc.confirm_order(db.session, pk, override=override),
                           lambda o: gettext("Order %(number)s confirmed", number=o.number), url_for(".show", pk=pk))

    @expose("/cancel/<int:pk>", methods=["POST"])
    @has_access
    def cancel_order(self, pk: int) -> Response:
        return run_command(lambda: svc.cancel_order(db.session, pk), self._cancelled_message, url_for(".show", pk=pk))

    @staticmethod
    def _cancelled_message(order: Any) -> str:
        """Say it is cancelled, and which production orders made for it are still open."""
        message = gettext("Order %(number)s cancelled", number=order.number)
        still_open = svc.open_production_orders(db.session, order.id)
        if still_open:
            message += " " + gettext("Production orders made for it are still open: %(orders)s. "
                                     "Cancel them in Production if they are no longer needed.",
                                     orders=", ".join(still_open))
        return message

    @expose("/close/<int:pk>", methods=["POST"])
    @has_access
    def close_order(self, pk: int) -> Response:
        return run_command(lambda: svc.close_order(db.session, pk),
                           lambda o: gettext("Order %(number)s closed", number=o.number), url_for(".show", pk=pk))

    # --- logistics analysis ---------------------------------------------------------------------------

    @expose("/analysis/<int:pk>", methods=["GET"])
    @has_access
    def analysis(self, pk: int):
        order = db.session.get(SalesOrder, pk) or abort(404)
        try:
            result = analyse(db.session, pk, locale=locale_name()[:2])
        except DomainError as exc:
            flash_domain_error(exc)
            return redirect(url_for(".show", pk=pk))
        return _render(self, ANALYSIS_TEMPLATE, order=order, result=result, created=None,
                                    can_run=can(self, ACTION_POST) and SALES_ORDER.allows(order.state, "analyse"),
                                    title=gettext("Logistics analysis of order %(number)s", number=order.number))

    @expose("/analysis/<int:pk>", methods=["POST"])
    @has_access
    def run(self, pk: int):
        order = db.session.get(SalesOrder, pk) or abort(404)
        try:
            result = run_analysis(db.session, pk, locale=locale_name()[:2])
        except DomainError as exc:
            db.session.rollback()
            flash_domain_error(exc)
            return redirect(url_for(".analysis", pk=pk))
        flash(gettext("Analysis done: reservations, purchase requests and production orders are up to date"),
              "success")
        return _render(self, ANALYSIS_TEMPLATE, order=order, result=result, created=result.created,
                                    can_run=True,
                                    title=gettext("Logistics analysis of order %(number)s", number=order.number))

    # --- files ------------------------------------------------------------------------------------------

    @expose("/attach/<int:pk>", methods=["POST"])
    @has_access
    def attach(self, pk: int) -> Response:
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash(gettext("Choose a file"), "danger")
            return redirect(url_for(".show", pk=pk))
        content = upload.read(svc.MAX_ATTACHMENT_BYTES + 1)
        return run_command(lambda: svc.attach_file(db.session, pk, upload.filename, upload.mimetype, content),
                           lambda a: gettext("File %(name)s attached", name=a.filename), url_for(".show", pk=pk))

    @expose("/attachment/<int:file_id>", methods=["GET"])
    @has_access
    def attachment(self, file_id: int) -> Response:
        row = db.session.get(SalesOrderAttachment, file_id) or abort(404)
        return file_response(row.content, row.filename)

    @expose("/attachment/<int:file_id>/delete", methods=["POST"])
    @has_access
    def drop_attachment(self, file_id: int) -> Response:
        row = db.session.get(SalesOrderAttachment, file_id) or abort(404)
        back = url_for(".show", pk=row.order_id)
        return run_command(lambda: svc.delete_attachment(db.session, file_id),
                           lambda _: gettext("File deleted"), back)

    # --- JSON helpers of the entry page -----------------------------------------------------------------

    @expose("/popular.json", methods=["GET"])
    @has_access
    def popular(self) -> Response:
        """The most popular items for a client (partner_id) and overall, as JSON."""
        return jsonify(suggestions(db.session, _int(request.args.get("partner_id")), locale=locale_name()[:2]))

    @expose("/lookup.json", methods=["GET"])
    @has_access
    def lookup(self) -> Response:
        """Clients (what=partner: the name without legal form or the tax id starts with q) or items
        (what=item: the code starts with q or a name in any language contains it, any case): 20 at most."""
        q = request.args.get("q") or ""
        if request.args.get("what") == "partner":
            return jsonify([r.as_json() for r in find_clients(db.session, q)])
        return jsonify([r.as_json() for r in find_items(db.session, q, locale_name()[:2])])

    # --- e-mail ---------------------------------------------------------------------------------------

    @expose("/email/<int:pk>", methods=["GET", "POST"])
    @has_access
    def email(self, pk: int):
        from app.services.sales.mailing import MailInput, email_documents

        order = db.session.get(SalesOrder, pk) or abort(404)
        invoices, shipments = _order_documents(pk)
        form = {"to": order.partner.email, "lang": order.partner.language,
                "subject": gettext("Order %(number)s", number=order.number), "body": "",
                "invoice_ids": [i.id for i in invoices[-1:]], "shipment_ids": []}
        if request.method == "POST":
            form = {"to": request.form.get("to", ""), "subject": request.form.get("subject", ""),
                    "body": request.form.get("body", ""), "lang": request.form.get("lang") or None,
                    "invoice_ids": [int(x) for x in request.form.getlist("invoice_id") if x.isdigit()],
                    "shipment_ids": [int(x) for x in request.form.getlist("shipment_id") if x.isdigit()]}
            try:
                msg = email_documents(db.session, MailInput(order_id=pk, **form))
            except DomainError as exc:
                db.session.rollback()
                flash_domain_error(exc)
            else:
                if msg.state == "sent":
                    flash(gettext("Sent to %(to)s", to=msg.recipients), "success")
                else:
                    flash(gettext("Not sent: %(error)s (kept in the outbox)", error=msg.error), "warning")
                return redirect(url_for(".show", pk=pk))
        return _render(self, EMAIL_TEMPLATE, order=order, form=form, invoices=invoices, shipments=shipments,
                                    title=gettext("E-mail documents of order %(number)s", number=order.number))


# --- helpers --------------------------------------------------------------------------------------------


def _order_documents(order_id: int) -> tuple[list[SalesInvoice], list[Shipment]]:
    """The order's invoices and shipments, oldest first (the e-mail form offers the latest invoice)."""
    invoices = db.session.scalars(select(SalesInvoice).where(SalesInvoice.order_id == order_id)
                                  .order_by(SalesInvoice.id)).all()
    shipments = db.session.scalars(select(Shipment).where(Shipment.order_id == order_id)
                                   .order_by(Shipment.id)).all()
    return list(invoices), list(shipments)


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _partner_name(pid: Any) -> str:
    p = db.session.get(Partner, _int(pid)) if _int(pid) else None
    return p.name if p else ""


def _form_of(order: SalesOrder) -> dict:
    return {
        "partner_id": str(order.partner_id), "partner_name": order.partner.name, "currency": order.currency.code,
        "tax_rate": input_text(order.tax_rate), "warehouse_id": str(order.warehouse_id or ""),
        "order_date": order.order_date.isoformat(), "delivery_address": order.delivery_address,
        "delivery_terms": order.delivery_terms,
        "delivery_date": order.delivery_date.isoformat() if order.delivery_date else "",
        "payment_terms_days": str(order.payment_terms_days), "note": order.note,
        "lines": [{"item_id": str(ln.item_id or ""),
                   "item": f"{ln.item.code} {ln.item.label(locale_name()[:2])}" if ln.item else "",
                   # in the reader's format, which the one parser reads back: "0.125" would be 125 in es
                   "description": ln.description, "qty": input_text(ln.qty), "price": input_text(ln.unit_price),
                   "discount": input_text(ln.discount_pct),
                   "calc": f"line:{ln.id}" if ln.calculator_version_id or ln.proposal_line_id else ""}
                  for ln in order.lines],
    }


def _read_form() -> dict:
    f = request.form
    lines = []
    calcs = f.getlist("line_calc")
    for n, (item_id, item, desc, qty, price, disc) in enumerate(zip(
            f.getlist("line_item_id"), f.getlist("line_item"), f.getlist("line_description"), f.getlist("line_qty"),
            f.getlist("line_price"), f.getlist("line_discount"), strict=False)):
        if not any(v.strip() for v in (item, desc, qty, price)):
            continue
        lines.append({"item_id": item_id, "item": item, "description": desc, "qty": qty, "price": price,
                      "discount": disc, "calc": calcs[n] if n < len(calcs) else ""})
    return {k: f.get(k, "") for k in ("partner_id", "partner_name", "currency", "tax_rate", "warehouse_id",
                                      "order_date", "delivery_address", "delivery_terms", "delivery_date",
                                      "payment_terms_days", "note")} | {"lines": lines or [{}]}


def _resolve_item(line: dict) -> int | None:
    """The line's item: the chosen id, else the code typed before the first space."""
    if _int(line.get("item_id")):
        return _int(line["item_id"])
    text = (line.get("item") or "").strip()
    if not text:
        return None
    code = text.split(" ", 1)[0]
    found = db.session.scalar(select(Item.id).where(Item.code == code))
    return found if found is not None else -1  # -1: typed but unknown (the service says so)


def _resolve_partner(form: dict) -> int:
    if _int(form.get("partner_id")):
        return _int(form["partner_id"])
    name = (form.get("partner_name") or "").strip()
    if not name:
        return 0
    ids = db.session.scalars(select(Partner.id).where(Partner.name == name, Partner.merged_into_id.is_(None))
                             .limit(2)).all()
    return ids[0] if len(ids) == 1 else 0


def _dec(raw: str, default: Decimal | None = None) -> Any:
    raw = (raw or "").strip()
    if not raw:
        return default
    value = read_decimal(raw)
    return raw if value is None else value  # the service refuses the raw text with a clear message


def _with_run_line(form: dict, run_id: int) -> dict:
    """The form plus one line priced by a stored calculator run (its description, price, version and inputs)."""
    from app.services.calculators import get_run

    run = get_run(db.session, run_id)
    if run is None:
        flash(gettext("Calculation %(run)s not found", run=run_id), "warning")
        return form
    line = {"item_id": "", "item": "", "description": (run.description or "")[:500], "qty": "1",
            "price": input_text(run.price) if run.price is not None else "", "discount": "",
            "calc": f"run:{run.id}", "calc_label": gettext("calculation %(id)s", id=run.id)}
    lines = [ln for ln in form.get("lines", []) if ln]
    return form | {"lines": lines + [line]}


def _calc_fields(ref: str, order: SalesOrder | None) -> dict[str, Any]:
    """What a line keeps of its origin: a calculator run ("run:<id>") or the draft's own line ("line:<id>")."""
    kind, _, raw = (ref or "").partition(":")
    ref_id = _int(raw)
    if kind == "run" and ref_id:
        from app.services.calculators import get_run

        run = get_run(db.session, ref_id)
        if run is not None:
            return {"calculator_version_id": run.version_id, "calculator_inputs": dict(run.inputs or {}),
                    "unit_cost_estimate": run.cost}
    if kind == "line" and ref_id and order is not None:
        old = next((ln for ln in order.lines if ln.id == ref_id), None)
        if old is not None:
            return {"calculator_version_id": old.calculator_version_id, "calculator_inputs": old.calculator_inputs,
                    "proposal_line_id": old.proposal_line_id, "unit_cost_estimate": old.unit_cost_estimate}
    return {}


def _input_of(form: dict, order: SalesOrder | None = None) -> svc.OrderInput:
    lines = []
    for ln in form["lines"]:
        if not ln:
            continue
        lines.append(svc.OrderLineInput(
            item_id=_resolve_item(ln), qty=_dec(ln.get("qty", "")), unit_price=_dec(ln.get("price", "")),
            discount_pct=_dec(ln.get("discount", ""), Decimal(0)), description=ln.get("description", ""),
            **_calc_fields(ln.get("calc", ""), order)))
    terms = _int(form.get("payment_terms_days"))
    return svc.OrderInput(
        partner_id=_resolve_partner(form), lines=lines, currency_code=form.get("currency") or None,
        order_date=form_date("order_date"), delivery_address=form.get("delivery_address", ""),
        note=form.get("note", ""), tax_rate=form_decimal("tax_rate"), warehouse_id=_int(form.get("warehouse_id")),
        delivery_terms=form.get("delivery_terms", ""), delivery_date=form_date("delivery_date"),
        payment_terms_days=terms)



def _render(view, template: str, **ctx):
    return view.render_template(template, **(page_helpers() | ctx))


def _promise(order: SalesOrder):
    """The capable-to-promise date of what the order still has to deliver, with its reasons (issue 18);
    none for an order that is done or cancelled."""
    from app.models.sales import SO_DRAFT, SO_OPEN
    from app.services.planning.promise import order_promise

    if order.state not in (SO_DRAFT, *SO_OPEN):
        return None
    result = order_promise(db.session, order.id, locale_name()[:2])
    if result is None:
        return None
    from app.services.projects.delays import MSG_DELAY
    from app.views.base import fmt_date

    delays = _project_delays(order)
    day = max([result.date] + [d.task_due for d in delays])  # a late project pushes the promise too
    return {"date": day, "reasons": result.text(gettext), "delays": [
        gettext(MSG_DELAY, **d.params(fmt_date)) for d in delays]}


def _project_delays(order: SalesOrder) -> list:
    """The projects delivering the order whose last open task ends after its promised day (issue 21)."""
    from app.services.projects.delays import order_delays

    return order_delays(db.session, order)
