"""Column labels that mean the same on every page (code, name, note, quantity, posted by...).

Each context's LABELS starts from COMMON_LABELS and adds or overrides its own words, so a generic
column is translated once and reads the same in every list, card and form. A view that leaves a
column out of its labels gets the common word here too (app/views/code_columns.py), not FAB's English
"Created At" made from the column's name (its filter menu lists every column).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

COMMON_LABELS = {
    "active": _l("Active"), "address": _l("Address"), "amount": _l("Amount"), "cancelled_at": _l("Cancelled at"),
    "cancelled_by": _l("Cancelled by"), "code": _l("Code"), "confirmed_at": _l("Confirmed at"),
    "confirmed_by": _l("Confirmed by"), "cost": _l("Cost"), "created_at": _l("Created at"),
    "created_by": _l("Created by"),
    "currency": _l("Currency"), "description": _l("Description"), "dest_warehouse": _l("Destination warehouse"),
    "description_ru": _l("Description (Russian)"), "description_es": _l("Description (Spanish)"),
    "discount_pct": _l("Discount, %"), "doc_date": _l("Date"), "document": _l("Document"), "done": _l("Done"),
    "due_date": _l("Due date"), "floor_margin_pct": _l("Floor margin, %"), "item": _l("Item"), "kind": _l("Kind"),
    "language": _l("Language"), "line_no": _l("No."), "manager": _l("Manager"), "model": _l("Product model"),
    "name": _l("Name"), "name_es": _l("Name (es)"), "name_ru": _l("Name (ru)"), "note": _l("Note"),
    "number": _l("Number"), "order_date": _l("Date"), "partner": _l("Client"), "posted_at": _l("Posted at"),
    "posted_by": _l("Posted by"), "price": _l("Price"), "price_list": _l("Price list"), "qty": _l("Quantity"),
    "rate": _l("Exchange rate"), "sent_by": _l("Sent by"),
    "sort": lazy_pgettext("sort order", "Order"), "started_at": _l("Started"),
    "state": _l("State"), "trigger": _l("Trigger"), "unit": _l("Unit"), "username": _l("User"),
    "valid_from": _l("Valid from"), "valid_to": _l("Valid to"), "value": _l("Value"), "version": _l("Version"),
    "updated_at": _l("Changed at"), "warehouse": _l("Warehouse"), "weight": _l("Weight, kg"),
}
