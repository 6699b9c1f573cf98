"""Imports from XLSX and CSV: the kinds, each a module of its context; the runs in app.services.imports.runs."""

from __future__ import annotations

from app.domain.errors import DomainError
from app.services.imports.catalog import ItemsImport, PriceListsImport, UnitConversionsImport
from app.services.imports.core import Kind
from app.services.imports.engineering import BomsImport, RoutingsImport
from app.services.imports.partners import (
    PartnerAddressesImport,
    PartnerBankAccountsImport,
    PartnersImport,
    SupplierOffersImport,
)
from app.services.imports.stock import OpeningStockImport, ReorderPointsImport
from app.services.job_messages import N_

KINDS: dict[str, Kind] = {kind.key: kind for kind in (
    ItemsImport(), UnitConversionsImport(), PartnersImport(), PartnerAddressesImport(), PartnerBankAccountsImport(),
    SupplierOffersImport(), PriceListsImport(), BomsImport(), RoutingsImport(), ReorderPointsImport(),
    OpeningStockImport())}


def get_kind(key: str) -> Kind:
    kind = KINDS.get(key)
    if kind is None:
        raise DomainError(N_("Unknown import kind %(kind)s"), kind=str(key)[:40])
    return kind
