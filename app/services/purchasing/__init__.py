"""Purchasing services: the product matrix, purchase requests and orders, reorder methods (re-exported).

Other contexts use `best_offer`, `add_demand` and `on_order_qty` (the sales logistics analysis);
the client card uses `app.services.purchasing.card.card_sections`.
"""

from app.services.purchasing.figures import on_order_qty, requested_qty, stock_figures  # noqa: F401
from app.services.purchasing.offers import OfferChoice, best_offer, best_offers  # noqa: F401
from app.services.purchasing.requests import (  # noqa: F401
    add_demand,
    cancel_request,
    mark_sent,
    set_supplier,
)
