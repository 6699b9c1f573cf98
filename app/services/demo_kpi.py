"""Demo data of the KPI context: the director's KPIs per division (in ru / es / en), a sales manager's
own KPIs, six months of kit sales so the trends have a shape, a weekly scorecard by e-mail, and a
first computation, so the home page of every demo user is a dashboard with figures.

Runs last: it reads what the other loaders posted (orders, shipments, invoices, production, stock).
The history goes through the services like any user's work, in a showroom warehouse of its own (so
no backdated document lands before later moves): a receipt of kits each month,
an order shipped from it, invoiced and paid (one month late and one invoice still open, so the
on-time and overdue figures are not all green).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import select

from app.extensions import db
from app.models.base import utcnow
from app.models.catalog import Item
from app.models.kpi import KpiDefinition, ScheduledReport
from app.models.partners import Partner
from app.models.stock import Warehouse
from app.services.base import unit_of_work

D = Decimal


@dataclass(frozen=True)
class _Kpi:
    code: str
    metric: str
    names: tuple[str, str, str]  # en, ru, es
    division: str
    target: str | None
    red: str | None
    green: str | None
    direction: str = "higher"
    weight: str = "1"
    period: str = "month"


KPIS = (
    _Kpi("revenue", "revenue", ("Revenue", "Выручка", "Ingresos"), "sales", "60000", "30000", "54000", weight="3"),
    _Kpi("margin-pct", "gross_margin_pct", ("Gross margin, %", "Валовая маржа, %", "Margen bruto, %"), "sales",
         "35", "20", "30", weight="2"),
    _Kpi("on-time", "on_time_pct", ("Orders shipped on time, %", "Заказы в срок, %", "Pedidos a tiempo, %"),
         "sales", "95", "80", "95", weight="2"),
    _Kpi("lead-time", "order_lead_time", ("Order lead time, days", "Срок выполнения заказа, дней",
                                          "Plazo del pedido, días"), "sales", "5", "10", "5", "lower"),
    _Kpi("tcp-win", "proposal_win_rate", ("Proposal win rate, %", "Доля принятых КП, %", "Tasa de éxito de ofertas, %"),
         "sales", "50", "25", "45", period="quarter"),
    _Kpi("deals-won", "deal_win_rate", ("Deals won, %", "Выигранные сделки, %", "Tratos ganados, %"), "sales",
         "40", "20", "35", period="quarter"),
    _Kpi("output", "production_output", ("Production output", "Выпуск продукции", "Producción"), "production",
         "10000", "5000", "9000", weight="2"),
    _Kpi("cost-var", "production_cost_pct", ("Actual vs planned cost, %", "Факт к плану по себестоимости, %",
                                             "Coste real frente al plan, %"), "production", "100", "110", "102",
         "lower"),
    _Kpi("stock-value", "stock_value", ("Stock value", "Стоимость запасов", "Valor de existencias"), "warehouse",
         "150000", "250000", "170000", "lower"),
    _Kpi("turnover", "stock_turnover", ("Stock turnover", "Оборачиваемость запасов", "Rotación de existencias"),
         "warehouse", "1", "0.3", "0.8"),
    _Kpi("dead-stock", "dead_stock_value", ("Dead stock", "Неликвиды", "Existencias inmovilizadas"), "warehouse",
         "0", "50000", "10000", "lower"),
    _Kpi("po-on-time", "po_on_time_pct", ("Supplier deliveries on time, %", "Поставки в срок, %",
                                          "Entregas de proveedores a tiempo, %"), "purchasing", "95", "80", "95"),
    _Kpi("price-var", "price_variance_pct", ("Supplier price variance, %", "Отклонение цен поставщиков, %",
                                             "Desviación de precios, %"), "purchasing", "0", "5", "1", "lower"),
    _Kpi("overdue", "overdue_receivables", ("Overdue receivables", "Просроченная дебиторка", "Cobros vencidos"),
         "finance", "0", "100000", "20000", "lower", weight="2"),
    _Kpi("cash", "cash_collected", ("Cash collected", "Поступления денег", "Cobros"), "finance", "60000",
         "30000", "54000", weight="2"),
)


def _history(today: date) -> None:
    """Six past months of kit sales through the services: receipt, order, shipment, invoice, payment."""
    from app.services import sales
    from app.services.sales.shipments import ShipmentInput, ship_order
    from app.services.stock.documents import DocumentInput, LineInput, create_document, post_document

    kit = db.session.scalar(select(Item).where(Item.code == "KIT-START"))
    client = db.session.scalar(select(Partner).where(Partner.is_customer.is_(True)).order_by(Partner.id))
    if kit is None or client is None:
        return
    # a warehouse of its own: its backdated documents come before anything else that moved there
    main = Warehouse(code="SHOWROOM", name="Showroom", name_ru="Шоурум", name_es="Sala de exposición",
                     valuation="fifo")
    db.session.add(main)
    db.session.flush()
    manager = current_app.appbuilder.sm.find_user(username="sales")
    manager_id = manager.id if manager is not None else None
    month = today.replace(day=1)
    for n in range(6, 0, -1):
        start = (month - timedelta(days=28 * n)).replace(day=3)
        doc = create_document(db.session, DocumentInput(doc_type="receipt", warehouse_id=main.id, doc_date=start,
                                                        lines=[LineInput(kit.id, str(4 + n), unit_cost="5200")],
                                                        partner_name="ЭлектроКомп"))
        post_document(db.session, doc.id)
        order = sales.create_order(db.session, sales.OrderInput(
            partner_id=client.id, order_date=start + timedelta(days=1), tax_rate=D(20), warehouse_id=main.id,
            delivery_date=start + timedelta(days=8), lines=[sales.OrderLineInput(kit.id, D(3 + n))]))
        order.manager_id = manager_id
        sales.confirm_order(db.session, order.id)
        late = 12 if n % 3 == 0 else 6  # every third month ships after the promised date
        ship_order(db.session, ShipmentInput(order.id, ship_date=start + timedelta(days=late)))
        invoice = sales.create_invoice(db.session, order.id, invoice_date=start + timedelta(days=late))
        if n > 1:
            sales.register_payment(db.session, sales.PaymentInput(invoice.id, invoice.amount_total,
                                                                  pay_date=start + timedelta(days=late + 9)))


def _definitions() -> None:
    sales_user = current_app.appbuilder.sm.find_user(username="sales")
    for sort, k in enumerate(KPIS, start=1):
        db.session.add(KpiDefinition(
            code=k.code, metric=k.metric, name=k.names[0], name_ru=k.names[1], name_es=k.names[2],
            division=k.division, period=k.period, target=D(k.target) if k.target else None, weight=D(k.weight),
            red_threshold=D(k.red) if k.red else None, green_threshold=D(k.green) if k.green else None,
            direction=k.direction, sort=sort))
    if sales_user is not None:
        db.session.add(KpiDefinition(
            code="revenue-sales", metric="revenue", name="My revenue", name_ru="Моя выручка", name_es="Mis ingresos",
            division="sales", employee_id=sales_user.id, target=D("40000"), red_threshold=D("20000"),
            green_threshold=D("36000"), weight=D(2), sort=100))
        db.session.add(KpiDefinition(
            code="margin-ratio", formula="gross_margin / revenue * 100", name="Margin on revenue, %",
            name_ru="Маржа к выручке, %", name_es="Margen sobre ingresos, %", division="company",
            target=D(35), red_threshold=D(20), green_threshold=D(30), sort=101))


def _report() -> None:
    from app.services.kpi.reports import validate_report

    report = ScheduledReport(name="Monday scorecard", name_ru="Сводка по понедельникам",
                             name_es="Resumen de los lunes", report="kpi_scorecard", fmt="pdf", language="ru",
                             recipients="director@robofabrika.example", recipient_users=[], cron="0 7 * * 1",
                             params={"period": "last_month"}, skip_empty=True, active=True)
    validate_report(report, utcnow())
    db.session.add(report)


def load() -> None:
    from app.services.kpi.compute import compute_kpis

    today = date.today()
    with unit_of_work(db.session):
        _history(today)
        _definitions()
        _report()
    compute_kpis(db.session, today=today)
