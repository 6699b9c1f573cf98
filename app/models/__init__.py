"""All models, imported so that they register on FAB's Model.metadata."""

from app.models import production  # noqa: F401  (BOMs, routings, production orders)
from app.models.audit import AuditLog, JobRun, RateLimitHit, UserPreference  # noqa: F401
from app.models.catalog import Item, ItemGroup, PriceList, PriceListItem, UnitConversion  # noqa: F401
from app.models.core import Company, Currency, CurrencyRate, DocumentSequence, Unit  # noqa: F401
from app.models.stock import (  # noqa: F401
    LotConsumption,
    StockBalance,
    StockDocument,
    StockDocumentLine,
    StockLot,
    StockMove,
    StockReservation,
    Warehouse,
)
