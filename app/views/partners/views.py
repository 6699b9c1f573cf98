"""The client base's pages: partners with the client card, contacts, addresses, bank accounts, tags."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, flash, jsonify, redirect, request, url_for
from flask_appbuilder.baseviews import expose
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.urltools import get_filter_args
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select
from wtforms import BooleanField

from app.domain.errors import DomainError
from app.extensions import db
from app.models.partners import Partner, PartnerAddress, PartnerBankAccount, Tag
from app.permissions import (
    ACTION_READ,
    ACTION_WRITE,
    CRUD,
    RESOURCE_DEAL,
    RESOURCE_PARTNER,
    RESOURCE_PROPOSAL,
    RESOURCE_PURCHASING,
    RESOURCE_SALES_ORDER,
    RESOURCE_SERVICE,
)
from app.services.partner_card import build_card
from app.services.partners import (
    PARTNER_FIELDS,
    DuplicatePartner,
    PartnerInput,
    merge_partners,
    partner_lookup_rows,
    save_partner,
)
from app.services.versioning import is_version_conflict
from app.views.base import (
    BaseModelView,
    choice_field,
    flash_domain_error,
    fmt_date,
    fmt_money,
    interface,
    run_command,
)
from app.views.partners.filters import NORMALISED_FILTERS
from app.views.partners.labels import (
    ADDRESS_KIND_LABELS,
    KIND_LABELS,
    LABELS,
    LANGUAGE_CHOICES,
    fmt_address_kind,
    fmt_audit_action,
    fmt_audit_entity,
    fmt_changes,
    fmt_check,
    fmt_kind,
    fmt_language,
    fmt_roles,
    fmt_source,
)
from app.views.partners.widgets import LOOKUP_LIMIT, BlankChoiceMixin, EagerInterface, partner_lookup
from app.views.titles import one_form, titles
from app.views.versioned import OPENED, with_opened_version

CAT_PARTNERS = "PartnersMenu"


CARD_DOCUMENTS = (
    ("customer", RESOURCE_SALES_ORDER, "SalesOrderView.add", "partner_id", _l("New customer order"), "fa-cart-plus"),
    ("customer", RESOURCE_PROPOSAL, "ConfiguratorView.index", "partner", _l("New proposal"), "fa-file-text-o"),
    ("supplier", RESOURCE_PURCHASING, "PurchaseOrderView.add", "_flt_0_supplier", _l("New purchase order"),
     "fa-truck"),
    ("customer", RESOURCE_SERVICE, "ServiceRequestView.add", "_flt_0_partner", _l("New service request"),
     "fa-wrench"),
)


def card_document_actions(partner: Partner, sm, roles: tuple[str, ...] | None = None,
                          deal: int | None = None) -> list[tuple[str, str, str]]:
    """(label, url, icon) of the documents this user may start for the partner, its roles deciding which.

    A context that is not installed (no endpoint) simply has no button; from a deal's page the
    proposal is started for that deal.
    """
    actions = []
    for role, resource, endpoint, arg, label, icon in CARD_DOCUMENTS:
        if role not in partner.roles or (roles and role not in roles) or endpoint not in current_app.view_functions:
            continue
        if sm.has_access(f"can_{ACTION_WRITE}", resource):
            args = {"deal": deal} if deal and endpoint == "ConfiguratorView.index" else {arg: partner.id}
            actions.append((str(label), url_for(endpoint, **args), icon))
    return actions


class _PartnerFormView(BlankChoiceMixin, BaseModelView):
    """Partner forms that save through the service: normalised, checked for duplicates."""

    datamodel = EagerInterface(Partner, "company", "manager")
    class_permission_name = RESOURCE_PARTNER
    method_permission_name = CRUD | {"merge": ACTION_WRITE, "lookup": ACTION_READ}
    label_columns = LABELS
    fixed_kind: str | None = None
    formatters_columns = {"kind": fmt_kind, "roles": fmt_roles, "created_at": fmt_date, "source": fmt_source,
                          "language": fmt_language}
    add_form_extra_fields = edit_form_extra_fields = {
        "kind": choice_field(_l("Kind"), [(k, v) for k, v in KIND_LABELS.items()], default="company"),
        "language": choice_field(_l("Language"), LANGUAGE_CHOICES, default="ru"),
        "company": partner_lookup(_l("Company"), interface(Partner), "company", kind="company"),
        "confirm_duplicate": BooleanField(_l("Save anyway"),
                                          description=_l("Tick when the partner found is not the same one")),
    }
    search_form_extra_fields = {"company": partner_lookup(_l("Company"), interface(Partner), "company",
                                                          kind="company")}
    base_order = ("name", "asc")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # the normalised filters come first: the quick and index-served way to search
        for column, classes in NORMALISED_FILTERS.items():
            mine = [cls(column, self.datamodel) for cls in classes]
            lists = [self._filters.get_search_filters().get(column), self._filters._all_filters.get(column)]
            for filters in {id(x): x for x in lists if x is not None}.values():  # the search widget's and the URL's
                filters[:0] = mine

    def _init_forms(self) -> None:
        super()._init_forms()
        self.edit_form = with_opened_version(self.edit_form)  # the version the form was opened with

    def _input(self, form) -> PartnerInput:
        data = form.data
        values = {k: data[k] for k in PARTNER_FIELDS if k in data and k not in ("company_id", "manager_id")}
        values = {k: ("" if v is None and k not in ("is_customer", "is_supplier", "is_carrier", "active") else v)
                  for k, v in values.items()}
        company = data.get("company")
        manager = data.get("manager")
        result = PartnerInput(**values)
        if "company" in data:
            result.company_id = company.id if company else None
        if "manager" in data:
            result.manager_id = manager.id if manager else None
        result.clear = tuple(k for k in ("company_id", "manager_id") if k[:-3] in data and not data[k[:-3]])
        if "tags" in data:
            result.tag_ids = [t.id for t in data["tags"] or []]
        if self.fixed_kind:
            result.kind = self.fixed_kind
        result.opened_version = data.get(OPENED)
        return result

    def _save(self, form, pk: int | None) -> Partner | None:
        try:
            return save_partner(db.session, self._input(form), pk,
                                confirm_duplicate=bool(form.data.get("confirm_duplicate")))
        except DuplicatePartner as exc:  # each look-alike one click away, then what to do
            for dup in exc.duplicates:
                flash(Markup('{} <a href="{}" target="_blank">{}</a>').format(
                    dup.problem().render(gettext), url_for("PartnerView.card", pk=dup.partner_id),
                    gettext("Open its card")), "danger")
            flash(gettext("Check the partner found, or confirm to save anyway"), "warning")
            return None
        except DomainError as exc:
            flash_domain_error(exc)
            if pk is not None and OPENED in form and is_version_conflict(exc):
                # both versions are now on the page: a second save replaces the saved one on purpose
                form[OPENED].data = db.session.scalar(select(Partner.row_version).where(Partner.id == pk))
            return None

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        get_filter_args(self._filters, disallow_if_not_in_search=False)
        exclude_cols = self._filters.get_relation_cols()
        form = self.add_form.refresh()
        if request.method == "POST":
            self._fill_form_exclude_cols(exclude_cols, form)
            if form.validate():
                partner = self._save(form, None)
                if partner is not None:
                    flash(gettext("Partner %(name)s saved", name=partner.name), "success")
                    return redirect(url_for("PartnerView.card", pk=partner.id))
        widgets = self._get_add_widget(form=form, exclude_cols=exclude_cols)
        return self.render_template(self.add_template, title=self.add_title, widgets=widgets)

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            abort(404)
        if request.method == "POST":
            form = self.edit_form.refresh(request.form)
            form._id = item.id
            if form.validate():
                partner = self._save(form, item.id)
                if partner is not None:
                    flash(gettext("Partner %(name)s saved", name=partner.name), "success")
                    return redirect(url_for("PartnerView.card", pk=partner.id))
        else:
            form = self.edit_form.refresh(obj=item)
            form[OPENED].data = item.row_version
        widgets = self._get_edit_widget(form=form, exclude_cols=[])
        return self.render_template(self.edit_template, title=self.edit_title, widgets=widgets)

    @expose("/show/<pk>")
    @has_access
    def show(self, pk):
        return redirect(url_for("PartnerView.card", pk=pk))


PARTNER_FORM = ["name", "kind", "legal_name", "company", "position", "tax_id", "tax_id2", "phone", "email", "website",
                "is_customer", "is_supplier", "is_carrier", "tags", "manager", "source", "language", "note", "active",
                "confirm_duplicate"]


@titles(_l("Partners"), _l("Client card"), _l("New partner"), _l("Edit partner"))
class PartnerView(_PartnerFormView):
    """Every partner: companies and people, customers, suppliers and carriers; the card."""

    route_base = "/partnerview"
    list_columns = ["name", "kind", "company", "tax_id", "phone", "email", "roles", "manager", "source"]
    export_columns = ["id", "name", "kind", "legal_name", "company", "position", "tax_id", "tax_id2", "phone", "email",
                      "website", "is_customer", "is_supplier", "is_carrier", "manager", "source", "language", "active"]
    search_columns = ["name", "kind", "tax_id", "phone", "email", "is_customer", "is_supplier", "is_carrier", "tags",
                      "manager", "source", "company", "language", "active"]
    add_columns = edit_columns = PARTNER_FORM
    show_columns = PARTNER_FORM[:-1]
    order_columns = ["name", "kind", "tax_id", "phone", "email", "source"]
    base_filters = [["merged_into_id", FilterEqual, None]]
    page_size = 25

    def _export_value(self, item: Any, column: str) -> Any:
        if column == "kind":
            return fmt_kind(item.kind)
        if column == "source":
            return fmt_source(item.source)
        return super()._export_value(item, column)

    @expose("/card/<int:pk>")
    @has_access
    def card(self, pk: int) -> Any:
        card = build_card(db.session, pk)
        if card is None:
            abort(404)
        sm = self.appbuilder.sm
        return self.render_template(
            "fabrika/partners_card.html", title=card.partner.name, card=card, fmt_date=fmt_date, fmt_money=fmt_money,
            fmt_kind=fmt_kind, fmt_roles=fmt_roles, fmt_address_kind=fmt_address_kind, translate=gettext,
            fmt_audit_action=fmt_audit_action, fmt_changes=fmt_changes, fmt_source=fmt_source,
            fmt_language=fmt_language, fmt_audit_entity=fmt_audit_entity,
            documents=card_document_actions(card.partner, sm),
            can_write=sm.has_access(f"can_{ACTION_WRITE}", RESOURCE_PARTNER),
            can_deal=sm.has_access(f"can_{ACTION_WRITE}", RESOURCE_DEAL),
        )

    @expose("/lookup/")
    @has_access
    def lookup(self) -> Response:
        """Partners for a select box: {"results": [{"id", "text"}]} by name, tax id, phone or e-mail."""
        kind = request.args.get("kind") or None
        rows = partner_lookup_rows(db.session, request.args.get("q", ""), kind, LOOKUP_LIMIT)
        return jsonify(results=[{"id": pid, "text": text} for pid, text in rows])

    @expose("/merge/<int:pk>", methods=["POST"])
    @has_access
    def merge(self, pk: int) -> Response:
        """Merge the partner given in the form into this one (this one is kept)."""
        raw = request.form.get("merge_id", "").strip().lstrip("#")
        if not raw.isdigit():
            flash(gettext("Give the number of the partner to merge into this one"), "danger")
            return redirect(url_for(".card", pk=pk))
        return run_command(lambda: merge_partners(db.session, pk, int(raw)),
                           lambda r: gettext("Partner #%(id)s merged into %(name)s", id=r.merged_id, name=r.kept.name),
                           url_for(".card", pk=pk))


@titles(_l("Contacts"), _l("Contact"), _l("New contact"), _l("Edit contact"))
class ContactView(_PartnerFormView):
    """People, most of them contact persons of a company."""

    fixed_kind = "person"
    list_columns = ["name", "company", "position", "phone", "email", "roles"]
    order_columns = ["name", "position", "phone", "email"]
    search_columns = ["name", "company", "position", "phone", "email", "is_customer", "is_supplier", "tags"]
    add_columns = edit_columns = ["name", "company", "position", "phone", "email", "is_customer", "is_supplier",
                                  "tags", "manager", "language", "note", "active", "confirm_duplicate"]
    show_columns = add_columns[:-1]
    base_filters = [["kind", FilterEqual, "person"], ["merged_into_id", FilterEqual, None]]
    add_form_extra_fields = edit_form_extra_fields = {
        "language": choice_field(_l("Language"), LANGUAGE_CHOICES, default="ru"),
        "company": partner_lookup(_l("Company"), interface(Partner), "company", kind="company"),
        "confirm_duplicate": BooleanField(_l("Save anyway"),
                                          description=_l("Tick when the partner found is not the same one")),
    }


@titles(_l("Addresses"), _l("Address"), _l("New address"), _l("Edit address"))
class PartnerAddressView(BlankChoiceMixin, BaseModelView):
    datamodel = EagerInterface(PartnerAddress, "partner")
    class_permission_name = RESOURCE_PARTNER
    list_columns = ["partner", "kind", "address", "city", "country", "is_default"]
    search_columns = ["partner", "kind", "address", "city", "country"]
    add_columns = edit_columns = show_columns = ["partner", "kind", "address", "city", "country", "is_default"]
    add_form_extra_fields = edit_form_extra_fields = {
        "kind": choice_field(_l("Kind"), [(k, v) for k, v in ADDRESS_KIND_LABELS.items()], default="delivery"),
        "partner": partner_lookup(_l("Partner"), interface(PartnerAddress), "partner"),
    }
    search_form_extra_fields = {"partner": partner_lookup(_l("Partner"), interface(PartnerAddress), "partner")}
    formatters_columns = {"kind": fmt_address_kind, "is_default": fmt_check}
    label_columns = LABELS | {"kind": _l("Kind")}
    base_order = ("id", "desc")


@titles(_l("Bank accounts"), _l("Bank account"), _l("New bank account"), _l("Edit bank account"))
class PartnerBankAccountView(BlankChoiceMixin, BaseModelView):
    datamodel = EagerInterface(PartnerBankAccount, "partner", "currency")
    class_permission_name = RESOURCE_PARTNER
    list_columns = ["partner", "bank_name", "bic", "account", "currency", "is_default"]
    search_columns = ["partner", "bank_name", "bic", "account", "currency"]
    add_columns = edit_columns = show_columns = ["partner", "bank_name", "bic", "account", "corr_account", "currency",
                                                 "is_default"]
    label_columns = LABELS
    formatters_columns = {"is_default": fmt_check}
    base_order = ("id", "desc")
    add_form_extra_fields = edit_form_extra_fields = search_form_extra_fields = {
        "partner": partner_lookup(_l("Partner"), interface(PartnerBankAccount), "partner")}


@titles(_l("Tags"), _l("Tag"), _l("New tag"), _l("Edit tag"))
@one_form("name", "name_ru", "name_es", "color")
class TagView(BaseModelView):
    datamodel = interface(Tag)
    class_permission_name = RESOURCE_PARTNER
    search_columns = ["name", "name_ru", "name_es"]
    label_columns = LABELS
    base_order = ("name", "asc")


def register(appbuilder) -> None:
    """The Partners menu: partners (with the card), contacts, addresses, bank accounts, tags."""
    cat = dict(category=CAT_PARTNERS)
    appbuilder.add_view(PartnerView, "Partners", label=_l("Partners"), icon="fa-building", category=CAT_PARTNERS,
                        category_label=_l("Clients"), category_icon="fa-address-book")
    appbuilder.add_view(ContactView, "Contacts", label=_l("Contacts"), icon="fa-user", **cat)
    appbuilder.add_view(PartnerAddressView, "Addresses", label=_l("Addresses"), icon="fa-map-marker", **cat)
    appbuilder.add_view(PartnerBankAccountView, "Bank accounts", label=_l("Bank accounts"), icon="fa-bank", **cat)
    appbuilder.add_view(TagView, "Tags", label=_l("Tags"), icon="fa-tags", **cat)
