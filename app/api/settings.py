"""REST API of the company settings (the letterhead, bank details, base currency, outgoing mail).

The same register and permission (Settings) as the Company page; the SMTP password can be written but is
never read back.
"""

from __future__ import annotations

from app.api.base import FabrikaApi
from app.models.core import Company
from app.permissions import RESOURCE_SETTINGS
from app.views.base import FabrikaInterface

COMPANY_COLUMNS = ["name", "legal_name", "tax_id", "tax_id2", "registration_no", "address", "phone", "email",
                   "bank_name", "bank_bic", "bank_account", "bank_corr_account", "base_currency", "mail_from",
                   "smtp_host", "smtp_port", "smtp_security", "smtp_user"]


class CompanyApi(FabrikaApi):
    resource_name = "company"
    class_permission_name = RESOURCE_SETTINGS
    datamodel = FabrikaInterface(Company)
    list_columns = ["id", "name", "tax_id", "base_currency.code", "phone", "email"]
    show_columns = ["id", *[c for c in COMPANY_COLUMNS if c != "base_currency"], "base_currency.id",
                    "base_currency.code"]
    add_columns = edit_columns = [*COMPANY_COLUMNS, "smtp_password"]


def register(appbuilder) -> None:
    appbuilder.add_api(CompanyApi)
