"""The kinds of stock ledger moves: one definition shared by the code that posts moves and the code
that reads them back.

A move's `kind` says why goods moved (a sale, a production issue, a count difference...). Posting
code (shipments, production, stock documents) writes these names and the analyses (purchasing's
sales analysis and ABC over the ledger, the item card's labels) select by them; when both sides
spelt the kind themselves, shipments wrote "sale" while the analyses looked for "shipment" and
never saw a sale. Import the names from here on both sides.
"""

from __future__ import annotations

#: stock documents post moves whose kind is their document type
RECEIPT = "receipt"
ISSUE = "issue"  # a write-off / internal issue (warranty repairs, losses)
TRANSFER = "transfer"  # the leaving side of a transfer
TRANSFER_IN = "transfer_in"
COUNT = "count"
CUSTOMER_RETURN = "customer_return"
SUPPLIER_RETURN = "supplier_return"
OPENING = "opening"  # an opening balance (moving in)
#: sales: goods leaving for a client with a shipment
SALE = "sale"
#: production: components consumed, product and by-products made
PRODUCTION_ISSUE = "production_issue"
PRODUCTION_OUTPUT = "production_output"
PRODUCTION_BYPRODUCT = "production_byproduct"
#: cancellation of any posted move (dated on the cancellation)
REVERSAL = "reversal"
#: the defaults of a move posted without a kind
IN = "in"
OUT = "out"


def transformation_out(kind: str) -> str:
    """The leaving side of a disassembly or conversion ("disassembly_out")."""
    return f"{kind}_out"


def transformation_in(kind: str) -> str:
    """The arriving side of a disassembly or conversion ("disassembly_in")."""
    return f"{kind}_in"


#: demand that purchasing must replace: what was sold and what production consumed
CONSUMPTION_KINDS: tuple[str, ...] = (SALE, PRODUCTION_ISSUE)
#: write-offs, counted as demand only when the buyer asks for it
WRITEOFF_KINDS: tuple[str, ...] = (ISSUE,)
