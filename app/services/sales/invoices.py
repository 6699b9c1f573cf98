"""Invoices (for payment) and acts (services rendered) from an order, payments against invoices, balances.

An invoice may cover all of an order or part of it (a quantity per line); the last part of a line
takes exactly what is left of the line's amounts, so the parts add up to the order to the kopek.
An act covers service lines (a service item or a described line). Payments are registered
against one invoice, partially if need be, and never beyond what is due; `amount_paid` on the
invoice is updated in the same transaction, under the invoice's row lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, selectinload

from app.domain.documents import PAYMENT, SALES_INVOICE, SALES_ORDER
from app.domain.errors import Collector, DomainError, Problem
from app.domain.money import MAX_MONEY, ZERO, parse_money, read_decimal, round_qty
from app.domain.numbers import field_problem
from app.domain.workflow import _l
from app.models.base import utcnow
from app.models.core import Currency
from app.models.sales import (
    DOC_PAYMENT,
    DOC_POSTED,
    DOC_SALES_ACT,
    DOC_SALES_INVOICE,
    INVOICE_KIND_ACT,
    INVOICE_KIND_INVOICE,
    SALES_PREFIXES,
    Payment,
    SalesInvoice,
    SalesInvoiceLine,
    SalesOrder,
    SalesOrderLine,
)
from app.services.base import current_actor, unit_of_work
from app.services.costing import periods
from app.services.locking import column_of, lock_row, reread
from app.services.sales import pricing
from app.services.sequences import next_number
from app.services.workflow import check, refused, transition

LineQty = tuple[int, Decimal]
MSG_OTHER_CURRENCY = ("An invoice is issued in its order's currency, %(currency)s; an invoice in %(wanted)s is not "
                      "supported: make the order in %(wanted)s")


def is_service_line(line: SalesOrderLine) -> bool:
    return line.item is None or line.item.kind == "service"


def invoiced_by_line(session: Session, order_id: int, kind: str = INVOICE_KIND_INVOICE) -> dict[int, tuple]:
    """Per order line: (qty, net, tax) already on posted invoices (or acts) of this kind."""
    rows = session.execute(
        select(SalesInvoiceLine.order_line_id, func.sum(SalesInvoiceLine.qty), func.sum(SalesInvoiceLine.amount),
               func.sum(SalesInvoiceLine.amount_tax))
        .join(SalesInvoice, SalesInvoice.id == SalesInvoiceLine.invoice_id)
        .where(SalesInvoice.order_id == order_id, SalesInvoice.state == DOC_POSTED, SalesInvoice.kind == kind)
        .group_by(SalesInvoiceLine.order_line_id))
    return {lid: (q or ZERO, n or ZERO, t or ZERO) for lid, q, n, t in rows}


def _load_order(session: Session, order_id: int) -> SalesOrder:
    order = lock_row(session, SalesOrder, order_id, selectinload(SalesOrder.lines).selectinload(SalesOrderLine.item))
    if order is None:
        raise DomainError("Order %(id)s not found", id=order_id)
    return order


def _requested(order: SalesOrder, lines: list[LineQty] | None, done: dict[int, tuple], kind: str,
               problems: Collector) -> list[tuple[SalesOrderLine, Decimal]]:
    """(order line, qty) pairs to put on the document: all that is left when `lines` is None."""
    eligible = {ln.id: ln for ln in order.lines if kind == INVOICE_KIND_INVOICE or is_service_line(ln)}
    if lines is None:
        out = [(ln, ln.qty - done.get(ln.id, (ZERO,))[0]) for ln in eligible.values()]
        return [(ln, q) for ln, q in out if q > 0]
    out = []
    for n, (line_id, raw_qty) in enumerate(lines, start=1):
        ln = eligible.get(line_id)
        if ln is None:
            problems.add("The line is not on this order" if kind == INVOICE_KIND_INVOICE
                         else "Only service lines go on an act", line=n)
            continue
        qty = read_decimal(raw_qty)
        if qty is None or not qty.is_finite() or qty <= 0 or qty != round_qty(qty):
            problems.add("Quantity must be positive", line=ln.line_no)
            continue
        left = ln.qty - done.get(ln.id, (ZERO,))[0]
        if qty > left:
            problems.add("Only %(left)s of %(item)s are left to invoice, not %(qty)s", line=ln.line_no,
                         left=left, item=ln.item.code if ln.item else ln.description, qty=qty)
            continue
        out.append((ln, qty))
    return out


def _invoice_line(n: int, ln: SalesOrderLine, qty: Decimal, done: tuple, tax_rate: Decimal) -> SalesInvoiceLine:
    done_qty, done_net, done_tax = done
    if done_qty + qty == ln.qty:  # the last part takes what is left, so the parts add up exactly
        net, tax = ln.amount_net - done_net, ln.amount_tax - done_tax
    else:
        amounts = pricing.line_amounts(qty, ln.unit_price, ln.discount_pct, tax_rate)
        net, tax = amounts.net, amounts.tax
    return SalesInvoiceLine(line_no=n, order_line_id=ln.id, item_id=ln.item_id, description=ln.description,
                            qty=qty, price=pricing.net_price(ln.unit_price, ln.discount_pct), amount=net,
                            amount_tax=tax, amount_total=net + tax)


def _make(session: Session, order_id: int, lines: list[LineQty] | None, kind: str,
          invoice_date: date | None, note: str) -> SalesInvoice:
    with unit_of_work(session):
        order = _load_order(session, order_id)
        problems = Collector()
        problems.extend(refused(SALES_ORDER, order, "invoice"))
        done = invoiced_by_line(session, order.id, kind)
        pairs = _requested(order, lines, done, kind, problems)
        if not problems and not pairs:
            problems.add("Nothing is left to invoice on this order" if kind == INVOICE_KIND_INVOICE
                         else "The order has no services left to put on an act")
        problems.raise_if_any()
        on = invoice_date or date.today()
        periods.assert_open(session, on, "invoice_date")
        doc_type = DOC_SALES_INVOICE if kind == INVOICE_KIND_INVOICE else DOC_SALES_ACT
        actor = current_actor()
        inv = SalesInvoice(
            number=next_number(session, doc_type, on, prefix=SALES_PREFIXES[doc_type]), kind=kind, state=DOC_POSTED,
            invoice_date=on, partner_id=order.partner_id, order_id=order.id, currency_id=order.currency_id,
            rate=order.rate, tax_rate=order.tax_rate, note=note,
            due_date=on + timedelta(days=order.payment_terms_days) if kind == INVOICE_KIND_INVOICE else None,
            posted_at=utcnow(), posted_by=actor.username,
        )
        inv.lines = [_invoice_line(n, ln, qty, done.get(ln.id, (ZERO, ZERO, ZERO)), order.tax_rate)
                     for n, (ln, qty) in enumerate(pairs, start=1)]
        inv.amount_net, inv.amount_tax, inv.amount_total = pricing.totals(
            [_Amounts(x.amount, x.amount_tax) for x in inv.lines])
        session.add(inv)
        session.flush()
    return inv


@dataclass
class _Amounts:
    amount_net: Decimal
    amount_tax: Decimal


def create_invoice(session: Session, order_id: int, lines: list[LineQty] | None = None,
                   invoice_date: date | None = None, note: str = "", currency_code: str | None = None) -> SalesInvoice:
    """Issue an invoice for payment from an order: all that is not invoiced yet, or (order line id, qty) parts.

    An invoice is in its order's currency; asking for another one is refused, saying so (an invoice
    in another currency would need its own rate and rounding, which nothing here supports).
    """
    if currency_code:
        _refuse_other_currency(session, order_id, currency_code)
    return _make(session, order_id, lines, INVOICE_KIND_INVOICE, invoice_date, note)


@dataclass(frozen=True)
class ChargeLine:
    """A line of an invoice for work not ordered beforehand (a paid repair): net unit price set by the caller."""

    description: str
    qty: Decimal
    price: Decimal
    item_id: int | None = None


DIRECT_PAYMENT_DAYS = 10  # an order's default payment terms
MSG_NOTHING_TO_CHARGE = _l("There is nothing to invoice: no line has a quantity and a price")


def create_charge_invoice(session: Session, partner_id: int, lines: list[ChargeLine], *, note: str = "",
                          invoice_date: date | None = None) -> SalesInvoice:
    """Issue an invoice without an order (a repair out of warranty), in the base currency at the default tax.

    It is posted at once, numbered as every invoice, and its lines and totals follow the one rounding
    rule of the order invoices; it joins the caller's unit of work, so the work it charges for and the
    invoice are written together or not at all.
    """
    lines = [ln for ln in lines if ln.qty > 0 and ln.price > 0]
    if not lines:
        raise DomainError(MSG_NOTHING_TO_CHARGE)
    currency = pricing.base_currency(session)
    if currency is None:
        raise DomainError("Set up the base currency first")
    from app.services.sales.orders import default_tax_rate

    tax_rate = default_tax_rate()
    with unit_of_work(session):
        on = invoice_date or date.today()
        periods.assert_open(session, on, "invoice_date")
        inv = SalesInvoice(
            number=next_number(session, DOC_SALES_INVOICE, on, prefix=SALES_PREFIXES[DOC_SALES_INVOICE]),
            kind=INVOICE_KIND_INVOICE, state=DOC_POSTED, invoice_date=on, partner_id=partner_id,
            currency_id=currency.id, rate=Decimal(1), tax_rate=tax_rate, note=note,
            due_date=on + timedelta(days=DIRECT_PAYMENT_DAYS), posted_at=utcnow(), posted_by=current_actor().username)
        inv.lines = [_charge_line(n, ln, tax_rate) for n, ln in enumerate(lines, start=1)]
        inv.amount_net, inv.amount_tax, inv.amount_total = pricing.totals(
            [_Amounts(x.amount, x.amount_tax) for x in inv.lines])
        session.add(inv)
        session.flush()
    return inv


def _charge_line(n: int, ln: ChargeLine, tax_rate: Decimal) -> SalesInvoiceLine:
    amounts = pricing.line_amounts(ln.qty, ln.price, ZERO, tax_rate)
    return SalesInvoiceLine(line_no=n, item_id=ln.item_id, description=ln.description[:500], qty=ln.qty,
                            price=ln.price, amount=amounts.net, amount_tax=amounts.tax,
                            amount_total=amounts.net + amounts.tax)


def _refuse_other_currency(session: Session, order_id: int, currency_code: str) -> None:
    order = session.get(SalesOrder, order_id)
    if order is None:
        raise DomainError("Order %(id)s not found", id=order_id)
    wanted = currency_code.strip().upper()
    if wanted != order.currency.code:
        raise DomainError([Problem(MSG_OTHER_CURRENCY, {"currency": order.currency.code, "wanted": wanted},
                                   field="currency")])


def create_act(session: Session, order_id: int, lines: list[LineQty] | None = None,
               invoice_date: date | None = None, note: str = "", currency_code: str | None = None) -> SalesInvoice:
    """Issue an act of services rendered from an order's service lines (in the order's currency, as invoices)."""
    if currency_code:
        _refuse_other_currency(session, order_id, currency_code)
    return _make(session, order_id, lines, INVOICE_KIND_ACT, invoice_date, note)


def _lock_invoice(session: Session, invoice_id: int) -> SalesInvoice:
    inv = session.scalar(select(SalesInvoice).where(SalesInvoice.id == invoice_id).with_for_update()
                         .execution_options(populate_existing=True))
    if inv is None:
        raise DomainError("Invoice %(id)s not found", id=invoice_id)
    return inv


def cancel_invoice(session: Session, invoice_id: int) -> SalesInvoice:
    """Cancel an invoice or act that has no payments (its quantities can be invoiced again)."""
    with unit_of_work(session):
        inv = _lock_invoice(session, invoice_id)
        check(SALES_INVOICE, inv, "cancel")
        if inv.amount_paid > 0:
            raise DomainError("The invoice has payments: cancel them first")
        periods.assert_open(session, inv.invoice_date, "invoice_date")
        transition(session, SALES_INVOICE, inv, "cancel")
    return inv


@dataclass
class PaymentInput:
    invoice_id: int
    amount: object
    pay_date: date | None = None
    method: str = "bank"
    reference: str = ""


PAYMENT_METHODS = ("bank", "cash", "card")


def register_payment(session: Session, data: PaymentInput) -> Payment:
    """Record money received against an invoice; refused beyond what is still due."""
    with unit_of_work(session):
        inv = _lock_invoice(session, data.invoice_id)
        problems = Collector()
        amount, err = parse_money(data.amount)
        if err and str(data.amount or "").strip():
            problems.extend([field_problem(err, "amount", "Amount", data.amount, places=2)])
        elif amount is None or not amount.is_finite() or amount <= 0 or amount > MAX_MONEY:
            problems.add("The payment amount must be positive", field="amount")
        elif amount != pricing.round_kopek(amount):
            problems.add("Too many decimal places in %(value)s (at most %(places)s)", field="amount", value=amount,
                         places=2)
        if inv.kind != INVOICE_KIND_INVOICE:
            problems.add("Payments are registered against invoices, not acts")
        problems.extend(refused(SALES_INVOICE, inv, "pay"))
        due = inv.amount_total - inv.amount_paid
        if not problems and amount > due:
            problems.add("The payment of %(amount)s is more than the %(due)s due on invoice %(number)s",
                         field="amount", amount=amount, due=due, number=inv.number)
        if data.method not in PAYMENT_METHODS:
            problems.add("Unknown payment method %(method)s", field="method", method=data.method)
        problems.raise_if_any()
        on = data.pay_date or date.today()
        periods.assert_open(session, on, "pay_date")
        actor = current_actor()
        pay = Payment(number=next_number(session, DOC_PAYMENT, on, prefix=SALES_PREFIXES[DOC_PAYMENT]),
                      invoice_id=inv.id, partner_id=inv.partner_id, pay_date=on, amount=amount, method=data.method,
                      reference=(data.reference or "")[:100], state=DOC_POSTED, posted_by=actor.username,
                      posted_at=utcnow())
        inv.amount_paid = inv.amount_paid + amount
        session.add(pay)
        session.flush()
    return pay


def cancel_payment(session: Session, payment_id: int) -> Payment:
    """Cancel a payment registered by mistake; the invoice is due again by that amount."""
    with unit_of_work(session):
        invoice_id = column_of(session, Payment.invoice_id, Payment.id, payment_id)  # never changes
        if invoice_id is None:
            raise DomainError("Payment %(id)s not found", id=payment_id)
        inv = _lock_invoice(session, invoice_id)  # payments of an invoice change under its lock only
        pay = reread(session, Payment, payment_id)
        if pay is None:
            raise DomainError("Payment %(id)s not found", id=payment_id)
        transition(session, PAYMENT, pay, "cancel")
        periods.assert_open(session, pay.pay_date, "pay_date")
        inv.amount_paid = inv.amount_paid - pay.amount
    return pay


@dataclass
class BalanceRow:
    """A client's standing in one currency: invoiced, paid, still due, and the overdue part of it."""

    currency: str
    invoiced: Decimal
    paid: Decimal
    due: Decimal
    overdue: Decimal


def client_balance(session: Session, partner_id: int, on_date: date | None = None) -> list[BalanceRow]:
    """What the client owes, per currency, from posted invoices (one aggregate query)."""
    today = on_date or date.today()
    rows = session.execute(
        select(Currency.code, func.sum(SalesInvoice.amount_total), func.sum(SalesInvoice.amount_paid),
               func.sum(case((SalesInvoice.due_date < today, SalesInvoice.amount_total), else_=0)),
               func.sum(case((SalesInvoice.due_date < today, SalesInvoice.amount_paid), else_=0)))
        .join(Currency, Currency.id == SalesInvoice.currency_id)
        .where(SalesInvoice.partner_id == partner_id, SalesInvoice.state == DOC_POSTED,
               SalesInvoice.kind == INVOICE_KIND_INVOICE)
        .group_by(Currency.code).order_by(Currency.code))
    out = []
    for code, total, paid, od_total, od_paid in rows:
        total, paid = _dec(total), _dec(paid)
        out.append(BalanceRow(code, total, paid, total - paid, _dec(od_total) - _dec(od_paid)))
    return out


def _dec(value) -> Decimal:
    """SUM over a Money column comes back typed; CASE ... ELSE 0 may come back as a plain int."""
    if value is None:
        return ZERO
    return value if isinstance(value, Decimal) else Decimal(value)
