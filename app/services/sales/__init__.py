"""Sales services (the order management centre): orders, logistics analysis, shipments, invoices, payments.

Re-exports only; the modules: orders (drafts, confirm / cancel / close, files), pricing (prices,
the kopek rounding), reserve (stock held for orders), popular (suggested items), analysis (what is
in stock, to make, to buy; promise dates), shipments (goods issue and transport), invoices (invoices,
acts, payments, balances), printing (the printed forms), mailing (forms by e-mail), card (the client
card's sections).
"""

from app.services.sales.invoices import (  # noqa: F401
    PaymentInput,
    cancel_invoice,
    cancel_payment,
    client_balance,
    create_act,
    create_invoice,
    register_payment,
)
from app.services.sales.orders import (  # noqa: F401
    OrderInput,
    OrderLineInput,
    attach_file,
    cancel_order,
    close_order,
    confirm_order,
    create_order,
    update_order,
)
