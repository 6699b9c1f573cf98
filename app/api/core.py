"""REST endpoints for the base registers: same permissions as the pages."""

from __future__ import annotations

from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.api.base import FabrikaApi
from app.models.core import Currency, CurrencyRate, Unit
from app.permissions import RESOURCE_REFERENCE


class BaseApi(FabrikaApi):
    """The base registers' APIs: CRUD with the pages' permissions."""


class CurrencyApi(BaseApi):
    resource_name = "currency"
    class_permission_name = RESOURCE_REFERENCE
    datamodel = SQLAInterface(Currency)
    list_columns = ["id", "code", "name", "name_ru", "name_es", "symbol", "decimals", "active"]


class CurrencyRateApi(BaseApi):
    resource_name = "currency_rate"
    class_permission_name = RESOURCE_REFERENCE
    datamodel = SQLAInterface(CurrencyRate)
    list_columns = ["id", "currency.code", "on_date", "rate"]


class UnitApi(BaseApi):
    resource_name = "unit"
    class_permission_name = RESOURCE_REFERENCE
    datamodel = SQLAInterface(Unit)
    list_columns = ["id", "code", "name", "name_ru", "name_es", "decimals"]


def register(appbuilder) -> None:
    for api in (CurrencyApi, CurrencyRateApi, UnitApi):
        appbuilder.add_api(api)
