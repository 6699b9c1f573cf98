"""Views of the company settings and the base registers, the audit log and the job runs."""

from __future__ import annotations

from flask import Response, abort, request
from flask_appbuilder.baseviews import expose
from flask_appbuilder.models.sqla.filters import FilterEqualFunction
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.models.audit import AuditLog, JobRun
from app.models.core import Company, Currency, CurrencyRate, DocumentSequence, Unit
from app.permissions import RESOURCE_AUDIT, RESOURCE_JOBS, RESOURCE_REFERENCE, RESOURCE_SETTINGS
from app.views.audit_display import current_titles
from app.views.base import BaseModelView, FabrikaInterface, ReadOnlyModelView, interface
from app.views.titles import one_form, titles

CAT_SETTINGS = "Setup"
CAT_REFERENCE = "References"


@titles(_l("Company"), _l("Company"), _l("Add company"), _l("Edit company"))
class CompanyView(BaseModelView):
    datamodel = interface(Company)
    class_permission_name = RESOURCE_SETTINGS
    list_columns = ["name", "tax_id", "base_currency", "phone", "email"]
    add_columns = edit_columns = [
        "name", "name_ru", "name_es", "legal_name", "legal_name_ru", "legal_name_es", "tax_id", "tax_id2",
        "registration_no", "address", "address_ru", "address_es", "phone", "email",
        "bank_name", "bank_bic", "bank_account", "bank_corr_account", "base_currency",
        "mail_from", "smtp_host", "smtp_port", "smtp_security", "smtp_user", "smtp_password",
    ]
    show_columns = [c for c in add_columns if c != "smtp_password"]
    label_columns = {
        "name": _l("Name"), "name_ru": _l("Name (ru)"), "name_es": _l("Name (es)"), "legal_name": _l("Legal name"),
        "legal_name_ru": _l("Legal name (ru)"), "legal_name_es": _l("Legal name (es)"),
        "address_ru": _l("Address (ru)"), "address_es": _l("Address (es)"), "tax_id": _l("Tax ID"),
        "tax_id2": _l("Tax registration code"), "registration_no": _l("Registration number"),
        "address": _l("Address"), "phone": _l("Phone"), "email": _l("Email"), "bank_name": _l("Bank"),
        "bank_bic": _l("BIC"), "bank_account": _l("Bank account"),
        "bank_corr_account": _l("Correspondent account"), "base_currency": _l("Base currency"),
        "mail_from": _l("Sender address"), "smtp_host": _l("SMTP server"), "smtp_port": _l("SMTP port"),
        "smtp_security": _l("SMTP security (none, starttls, ssl)"), "smtp_user": _l("SMTP user"),
        "smtp_password": _l("SMTP password"),
    }

    @expose("/print/<pk>")
    @has_access
    def card(self, pk: str) -> Response:
        """The company card (карточка предприятия) as PDF; `?lang=` overrides the user's language."""
        from app.services.company import company_card_pdf

        result = company_card_pdf(self.datamodel.session, int(pk) if pk.isdigit() else 0, request.args.get("lang"))
        if result is None:
            abort(404)
        pdf, filename = result
        return Response(pdf, mimetype="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{filename}"'})


@titles(_l("Currencies"), _l("Currency"), _l("Add currency"), _l("Edit currency"))
@one_form("code", "name", "name_ru", "name_es", "symbol", "decimals", "active")
class CurrencyView(BaseModelView):
    datamodel = interface(Currency)
    class_permission_name = RESOURCE_REFERENCE
    search_columns = ["code", "name", "active"]
    label_columns = {
        "code": _l("Code"), "name": _l("Name"), "name_ru": _l("Name (Russian)"), "name_es": _l("Name (Spanish)"),
        "symbol": _l("Symbol"), "decimals": _l("Decimals"), "active": _l("Active"),
    }


@titles(_l("Exchange rates"), _l("Exchange rate"), _l("Add exchange rate"), _l("Edit exchange rate"))
@one_form("currency", "on_date", "rate")
class CurrencyRateView(BaseModelView):
    datamodel = interface(CurrencyRate)
    class_permission_name = RESOURCE_REFERENCE
    search_columns = ["currency", "on_date"]
    base_order = ("on_date", "desc")
    label_columns = {"currency": _l("Currency"), "on_date": _l("Date"), "rate": _l("Rate")}


@titles(_l("Units of measure"), _l("Unit of measure"), _l("Add unit of measure"), _l("Edit unit of measure"))
@one_form("code", "name", "name_ru", "name_es", "decimals")
class UnitView(BaseModelView):
    datamodel = interface(Unit)
    class_permission_name = RESOURCE_REFERENCE
    search_columns = ["code", "name"]
    label_columns = {
        "code": _l("Code"), "name": _l("Name"), "name_ru": _l("Name (Russian)"),
        "name_es": _l("Name (Spanish)"), "decimals": _l("Decimals"),
    }


@titles(_l("Document numbering"), _l("Document numbering"), _l("Add numbering"), _l("Edit numbering"))
@one_form("doc_type", "year", "prefix", "padding", "next_value")
class DocumentSequenceView(BaseModelView):
    datamodel = interface(DocumentSequence)
    class_permission_name = RESOURCE_SETTINGS
    label_columns = {
        "doc_type": _l("Document type"), "year": _l("Year"), "prefix": _l("Prefix"),
        "padding": _l("Digits"), "next_value": _l("Next number"),
    }


class AuditInterface(FabrikaInterface):
    """The audit list names an object of a three-language register in the reader's language."""

    def get_values(self, lst, list_columns):
        titles = current_titles(lst) if "summary" in list_columns else {}
        for row, values in zip(lst, super().get_values(lst, list_columns), strict=True):
            if row.id in titles:
                values["summary"] = titles[row.id]
            yield values

    def get_values_item(self, item, show_columns):
        values = super().get_values_item(item, show_columns)
        title = current_titles([item]).get(item.id) if "summary" in show_columns else None
        return values if title is None else [title if c == "summary" else v
                                             for c, v in zip(show_columns, values, strict=True)]


@titles(_l("Audit log"), _l("Audit record"))
class AuditLogView(ReadOnlyModelView):
    datamodel = AuditInterface(AuditLog)
    class_permission_name = RESOURCE_AUDIT
    list_columns = ["at", "username", "ip", "action", "entity", "entity_id", "summary"]
    show_columns = list_columns + ["changes"]
    search_columns = ["at", "username", "ip", "action", "entity", "entity_id"]
    base_order = ("id", "desc")
    label_columns = {
        "at": _l("When"), "username": _l("User"), "ip": _l("Address"), "action": _l("Action"),
        "entity": _l("Object"), "entity_id": _l("Object ID"), "summary": _l("Summary"),
        "changes": _l("Changes"),
    }


class MyActivityView(AuditLogView):
    """The signed-in user's own actions, reachable from every user's menu."""

    class_permission_name = "My activity"
    list_title = _l("My activity")
    base_filters = [["user_id", FilterEqualFunction, lambda: current_user.id]]


@titles(_l("Job runs"), _l("Job run"))
class JobRunView(ReadOnlyModelView):
    datamodel = interface(JobRun)
    class_permission_name = RESOURCE_JOBS
    list_columns = ["job_id", "trigger", "started_at", "finished_at", "status", "username", "message"]
    show_columns = list_columns + ["runner", "counts"]
    search_columns = ["job_id", "status", "started_at", "trigger", "runner"]
    base_order = ("id", "desc")
    label_columns = {
        "job_id": _l("Job"), "trigger": _l("Started by"), "started_at": _l("Started"),
        "finished_at": _l("Finished"), "status": _l("Status"), "username": _l("User"),
        "message": _l("Message"), "counts": _l("Counts"), "runner": _l("Scheduler process (host:pid)"),
    }


def register(appbuilder) -> None:
    settings = _l("Settings")
    reference = _l("Reference data")
    appbuilder.add_view(CompanyView, "Company", label=_l("Company"), icon="fa-building",
                        category=CAT_SETTINGS, category_label=settings, category_icon="fa-cogs")
    appbuilder.add_view(DocumentSequenceView, "Document numbering", label=_l("Document numbering"),
                        icon="fa-list-ol", category=CAT_SETTINGS)
    appbuilder.add_view(AuditLogView, "Audit log", label=_l("Audit log"), icon="fa-history",
                        category=CAT_SETTINGS)
    appbuilder.add_view(CurrencyView, "Currencies", label=_l("Currencies"), icon="fa-money",
                        category=CAT_REFERENCE, category_label=reference, category_icon="fa-book")
    appbuilder.add_view(CurrencyRateView, "Exchange rates", label=_l("Exchange rates"),
                        icon="fa-line-chart", category=CAT_REFERENCE)
    appbuilder.add_view(UnitView, "Units of measure", label=_l("Units of measure"), icon="fa-balance-scale",
                        category=CAT_REFERENCE)
    appbuilder.add_view(MyActivityView, "My activity", label=_l("My activity"), icon="fa-user",
                        category=CAT_SETTINGS)
