"""KPI benchmarks (phase 'kpi'): the KPI job over a big history, and the dashboard that reads its output.

    K1 compute    compute_kpis() for every definition and every month of a 12-month horizon plus the
                  running one: 50 KPIs for each of 100 employees (5,000 definitions) and one KPI per
                  metric for the company, over 1M ledger rows and 200k orders (one line each) with
                  100k shipments, invoices and 80k payments. First run (writes every figure and its
                  lineage), second run (nothing changed: idempotent), third run after one backdated
                  invoice is cancelled (one restatement).
    K2 dashboard  GET / as the director (every division) and as a sales employee, through the Flask
                  test client: p95 of 30 requests; reads stored values only. The page is opened on the
                  day the job ran (the history's last day), as a director opens it in the morning.
    K3 reports    the overdue-invoices report as a PDF of about 10 pages (xhtml2pdf), and the 100,000
                  sales invoices as a streamed XLSX (rows read with yield_per, written row by row):
                  wall and CPU seconds, and the XLSX's peak Python memory (tracemalloc, a second pass).
    K4 schedule   a scheduled report due now: the scheduled-reports job (as the scheduler runs it) sends
                  it to a local SMTP server; time from its slot to the message accepted by the server.

Every figure has its CPU time beside the wall time (time.process_time of this process: on SQLite the
database's work too), since the machine is shared; the load average is in the notes.

History rows are inserted in bulk (Core INSERT; the ledger by bench.synth): the bench measures the
KPI computation, not the posting.

Run alone:  python -m bench.kpi [--pg URL] [--n 1000000]   (n = ledger rows; orders = n / 5)
"""

from __future__ import annotations

import random
import socket
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from decimal import Decimal

from bench.harness import MS, SECONDS, PhaseOutput, Result

COMPUTE_GOAL_S = 5.0
PAGE_GOAL_MS = 200.0
REPORTS_GOAL_S = 10.0
SEND_GOAL_S = 60.0
XLSX_ROWS = 100_000
PDF_ROWS = 410  # the overdue-invoices grid: 10 A4 pages (32 rows on the first, 42 on the others)
EMPLOYEES = 100
KPIS_PER_EMPLOYEE = 50
ITEMS = 1_000
REPS = 30
CHUNK = 5_000


def _users(n: int) -> list[int]:
    """`n` sales employees (Core insert: password hashing would dominate the seeding)."""
    from flask import current_app
    from sqlalchemy import insert, select

    from app.extensions import db
    from app.security import sync_roles

    sm = current_app.appbuilder.sm
    sync_roles(current_app.appbuilder)
    db.session.commit()
    role = sm.find_role("Sales")
    users = sm.user_model.__table__
    now = datetime(2025, 1, 1)
    db.session.execute(insert(users), [dict(first_name="Emp", last_name=str(i), username=f"emp{i:03d}",
                                            password="x", active=True, email=f"emp{i:03d}@bench.example",
                                            created_on=now, changed_on=now, login_count=0, fail_login_count=0)
                                       for i in range(n)])
    ids = list(db.session.scalars(select(users.c.id).where(users.c.username.like("emp%")).order_by(users.c.id)))
    assoc = sm.user_model.roles.property.secondary
    db.session.execute(insert(assoc), [{"user_id": i, "role_id": role.id} for i in ids])
    db.session.commit()
    return ids


def _history(n_orders: int, first: date, days: int, employees: list[int], rng: random.Random) -> None:
    """Orders (one line), half shipped with FIFO-like cost, invoiced, most paid: all posted, in bulk."""
    from sqlalchemy import func, insert, select

    from app.extensions import db
    from app.models.catalog import Item
    from app.models.core import Currency
    from app.models.partners import Partner
    from app.models.sales import Payment, SalesInvoice, SalesOrder, SalesOrderLine, Shipment, ShipmentLine

    s = db.session
    rub = Currency(code="RUB", name="Rouble", symbol="₽")
    s.add(rub)
    s.add_all(Partner(name=f"Client {i}", is_customer=True) for i in range(200))
    s.commit()
    from app.models.stock import Warehouse

    wh = s.scalar(select(func.min(Warehouse.id)))
    item_ids = list(s.scalars(select(Item.id).limit(300)))
    partner_ids = list(s.scalars(select(Partner.id)))
    now = datetime(2025, 1, 1)
    batch: dict[str, list[dict]] = {k: [] for k in ("so", "sol", "sh", "shl", "inv", "pay")}

    def flush() -> None:
        for key, model in (("so", SalesOrder), ("sol", SalesOrderLine), ("sh", Shipment), ("shl", ShipmentLine),
                           ("inv", SalesInvoice), ("pay", Payment)):
            if batch[key]:
                s.execute(insert(model), batch[key])
                batch[key] = []

    for i in range(1, n_orders + 1):
        day = first + timedelta(days=i * days // n_orders)
        qty, price = Decimal(rng.randint(1, 20)), Decimal(rng.randint(100, 50_000))
        net = qty * price
        tax = (net * Decimal("0.2")).quantize(Decimal("0.01"))
        shipped = i % 2 == 0
        batch["so"].append(dict(id=i, number=f"SO-K-{i:07d}", order_date=day, state="shipped" if shipped else
                                "confirmed", partner_id=partner_ids[i % len(partner_ids)], currency_id=rub.id,
                                rate=1, tax_rate=20, amount_net=net, amount_tax=tax, amount_total=net + tax,
                                delivery_address="", delivery_terms="", payment_terms_days=10, note="",
                                confirmed_by="", cancelled_by="", delivery_date=day + timedelta(days=7),
                                manager_id=employees[i % len(employees)], created_at=now, updated_at=now))
        batch["sol"].append(dict(id=i, order_id=i, line_no=1, item_id=item_ids[i % len(item_ids)], description="",
                                 qty=qty, unit_price=price, discount_pct=0, amount_net=net, amount_tax=tax,
                                 amount_total=net + tax))
        if shipped:
            sday = day + timedelta(days=rng.randint(2, 10))
            batch["sh"].append(dict(id=i, number=f"SH-K-{i:07d}", order_id=i, partner_id=partner_ids[i % len(
                partner_ids)], warehouse_id=wh, ship_date=sday, state="posted", vehicle="", driver="",
                delivery_address="", window_from="", window_to="", transport_cost=0, amount_total=net + tax,
                note="", posted_by="bench", created_at=now, updated_at=now))
            batch["shl"].append(dict(shipment_id=i, line_no=1, order_line_id=i, item_id=item_ids[i % len(item_ids)],
                                     qty=qty, cost=(net * Decimal("0.6")).quantize(Decimal("0.01"))))
            batch["inv"].append(dict(id=i, number=f"INV-K-{i:07d}", kind="invoice", state="posted",
                                     invoice_date=sday, due_date=sday + timedelta(days=10),
                                     partner_id=partner_ids[i % len(partner_ids)], order_id=i, currency_id=rub.id,
                                     rate=1, tax_rate=20, amount_net=net, amount_tax=tax, amount_total=net + tax,
                                     amount_paid=net + tax if i % 5 else 0, note="", posted_by="bench",
                                     cancelled_by="", created_at=now, updated_at=now))
            if i % 5:
                batch["pay"].append(dict(number=f"PAY-K-{i:07d}", invoice_id=i, partner_id=partner_ids[
                    i % len(partner_ids)], pay_date=sday + timedelta(days=rng.randint(1, 20)), amount=net + tax,
                    method="bank", reference="", state="posted", posted_by="bench", created_at=now,
                    updated_at=now))
        if len(batch["so"]) >= CHUNK:
            flush()
    flush()
    s.commit()


def _definitions(employees: list[int]) -> int:
    """One company KPI per metric, and 50 per employee (cycling over the metrics kept per employee)."""
    from sqlalchemy import insert

    from app.extensions import db
    from app.models.kpi import KpiDefinition
    from app.services.kpi.metrics import METRICS

    now = datetime(2025, 1, 1)
    rows = [dict(code=m.code, name=m.code, name_ru="", name_es="", metric=m.code, formula="", division=m.division,
                 period="month", weight=1, direction="higher", sort=0, active=True, target=100,
                 created_at=now, updated_at=now) for m in METRICS]
    personal = [m for m in METRICS if m.by_employee]
    for u in employees:
        for j in range(KPIS_PER_EMPLOYEE):
            m = personal[j % len(personal)]
            rows.append(dict(code=f"e{u}-{j}", name=f"{m.code} #{j}", name_ru="", name_es="", metric=m.code,
                             formula="", division=m.division, employee_id=u, period="month", weight=1 + j % 3,
                             direction="higher", sort=j, active=True, target=100 + j, red_threshold=50,
                             green_threshold=90, created_at=now, updated_at=now))
    db.session.execute(insert(KpiDefinition), rows)
    db.session.commit()
    return len(rows)


def _time_pages(app, out: PhaseOutput, label_size: str, users: list[tuple[str, str]]) -> None:
    from bench import reads

    for label, username in users:
        client = reads.login_admin(app) if username == "admin" else _login(app, username)
        times, cpus = [], []
        for n in range(REPS + 2):
            c0, t0 = time.process_time(), time.perf_counter()
            resp = client.get("/")
            elapsed = (time.perf_counter() - t0) * 1000.0
            assert resp.status_code == 200 and b"kpi-dashboard" in resp.data, resp.status_code
            if n >= 2:
                times.append(elapsed)
                cpus.append((time.process_time() - c0) * 1000.0)
        times.sort()
        cpus.sort()
        p95, cpu95 = times[int(len(times) * 0.95) - 1], cpus[int(len(cpus) * 0.95) - 1]
        out.add(Result(f"K2 dashboard (home page), {label}", label_size, round(p95, 1), MS,
                       goal=f"p95 < {PAGE_GOAL_MS:g} ms", goal_ok=p95 < PAGE_GOAL_MS, ours_cpu=round(cpu95, 1),
                       note=f"median {statistics.median(times):.1f} ms; CPU p95 {cpu95:.1f} ms, "
                            f"median {statistics.median(cpus):.1f} ms"))


def _invoice_rows() -> Iterator[list]:
    """Every sales invoice as an export row, read in batches (yield_per): nothing held but one batch."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models.partners import Partner
    from app.models.sales import SalesInvoice as Inv

    stmt = (select(Inv.number, Partner.name, Inv.invoice_date, Inv.due_date, Inv.state, Inv.amount_net,
                   Inv.amount_tax, Inv.amount_total, Inv.amount_paid)
            .join(Partner, Partner.id == Inv.partner_id).order_by(Inv.id)
            .limit(XLSX_ROWS).execution_options(yield_per=5_000))
    for row in db.session.execute(stmt):
        yield list(row)


def _time_reports(out: PhaseOutput, today: date) -> None:
    """K3: a ~10-page PDF report and a 100,000-row XLSX, wall and CPU; the XLSX's peak memory."""
    import io
    import tracemalloc

    from flask_babel import force_locale
    from pypdf import PdfReader

    from app.extensions import db
    from app.services.export import to_xlsx
    from app.services.kpi import reports

    headers = ["Number", "Client", "Date", "Due", "State", "Net", "Tax", "Total", "Paid"]
    c0, t0 = time.process_time(), time.perf_counter()
    with force_locale("ru"):
        table = reports.REPORTS["overdue_invoices"][1](db.session, {}, "ru", today)
        table.rows = table.rows[:PDF_ROWS]
        pdf = reports._pdf(db.session, table, "ru", today)
    pdf_wall, pdf_cpu = time.perf_counter() - t0, time.process_time() - c0
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    c0, t0 = time.process_time(), time.perf_counter()
    xlsx = to_xlsx(headers, _invoice_rows(), title="Invoices")
    xlsx_wall, xlsx_cpu = time.perf_counter() - t0, time.process_time() - c0
    tracemalloc.start()
    to_xlsx(headers, _invoice_rows(), title="Invoices")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    size = f"{pages} PDF pages ({PDF_ROWS} rows) + {XLSX_ROWS:,} XLSX rows"
    out.add(Result("K3 PDF report (overdue invoices, ru)", size, round(pdf_wall, 2), SECONDS,
                   ours_cpu=round(pdf_cpu, 2), note=f"CPU {pdf_cpu:.2f} s; {pdf_wall / pages:.2f} s a page, "
                                                    f"{len(pdf) / 1e3:.0f} kB"))
    out.add(Result("K3 XLSX export, streamed (sales invoices)", size, round(xlsx_wall, 2), SECONDS,
                   ours_cpu=round(xlsx_cpu, 2), note=f"CPU {xlsx_cpu:.2f} s; {len(xlsx) / 1e6:.1f} MB file; "
                                                     f"peak Python memory {peak / 1e6:.1f} MB (tracemalloc)"))
    total, total_cpu = pdf_wall + xlsx_wall, pdf_cpu + xlsx_cpu
    out.add(Result("K3 10-page PDF plus 100,000-row XLSX", size, round(total, 2), SECONDS,
                   goal=f"< {REPORTS_GOAL_S:g} s", goal_ok=total < REPORTS_GOAL_S, ours_cpu=round(total_cpu, 2),
                   note=f"CPU {total_cpu:.2f} s"))


def _time_sending(out: PhaseOutput, today: date) -> None:
    """K4: a scheduled report due at its slot (the overdue invoices as XLSX: some 20,000 rows), sent by
    the scheduled-reports job to a local SMTP server.

    The job runs as the scheduler runs it (run_job, one JobRun); the slot is the report's next_run_at
    set to the current second. The scheduler's tick claims a due fire every SCHEDULER_TICK_SECONDS,
    so the worst case is that interval plus the time measured here.
    """
    from aiosmtpd.controller import Controller
    from flask import current_app
    from sqlalchemy import select

    from app.extensions import db
    from app.jobs.runner import run_job
    from app.models.base import utcnow
    from app.models.core import Company, Currency
    from app.models.kpi import ScheduledReport

    class _Keep:
        def __init__(self) -> None:
            self.at: list[float] = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
            self.at.append(time.perf_counter())
            return "250 OK"

    handler = _Keep()
    with socket.socket() as probe:  # a free loopback port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        company = db.session.query(Company).first() or Company(name="Bench", base_currency_id=db.session.scalar(
            select(Currency.id).where(Currency.code == "RUB")))
        company.smtp_host, company.smtp_port, company.mail_from = "127.0.0.1", port, "reports@bench.example"
        db.session.add(company)
        slot = utcnow().replace(microsecond=0)
        report = ScheduledReport(name="Overdue invoices", report="overdue_invoices", params={}, fmt="xlsx",
                                 language="ru", recipients="director@bench.example", cron="* * * * *",
                                 next_run_at=slot)
        db.session.add(report)
        db.session.commit()
        started = time.perf_counter() - (utcnow() - slot).total_seconds()  # the slot on the perf clock
        c0 = time.process_time()
        run_job("scheduled-reports")
        cpu = time.process_time() - c0
        latency = (handler.at[0] if handler.at else time.perf_counter()) - started
    finally:
        controller.stop()
    tick = float(current_app.config.get("SCHEDULER_TICK_SECONDS", 5))
    worst = latency + tick
    out.add(Result("K4 scheduled report: slot to message accepted by SMTP", "overdue invoices, XLSX, ru",
                   round(latency, 2), SECONDS, goal=f"< {SEND_GOAL_S:g} s (with the tick)",
                   goal_ok=bool(handler.at) and worst < SEND_GOAL_S, ours_cpu=round(cpu, 2),
                   note=f"CPU {cpu:.2f} s; {len(handler.at)} message(s); worst case with the scheduler's "
                        f"{tick:g} s tick: {worst:.1f} s"))


def _login(app, username: str):
    from flask import current_app
    from werkzeug.security import generate_password_hash

    from app.extensions import db

    user = current_app.appbuilder.sm.find_user(username=username)
    user.password = generate_password_hash("bench-pw-1")
    db.session.commit()
    client = app.test_client()
    client.post("/login/", data={"username": username, "password": "bench-pw-1"})
    return client


def run_phase(pg_url: str | None = None, n: int = 1_000_000) -> dict:
    """Phase 'kpi': ledger of `n` rows, n / 5 orders, 5,000+ definitions; K1 and K2."""
    from sqlalchemy import select, update

    from app.extensions import db
    from app.models.sales import SalesInvoice
    from bench import seed
    from bench.harness import backend_name, fresh_app, load_average
    from bench.synth import MOVES_PER_DAY, START, LedgerSynth

    out = PhaseOutput(backend_name(pg_url))
    rng = random.Random(11)
    with fresh_app(pg_url) as app:
        t0 = time.perf_counter()
        items = seed.item_ids("K", ITEMS)
        synth = LedgerSynth(items, (seed.warehouse_id("MAIN"), seed.warehouse_id("SECOND")))
        db.session.commit()  # SQLite: the session's transaction would hold the write lock
        with db.engine.begin() as conn, LedgerSynth.bulk_session(conn):
            synth.start_after(conn)
            synth.grow(conn, n)
            LedgerSynth.after_load(conn)
        today = START + timedelta(days=n // MOVES_PER_DAY)
        since = (today.replace(day=1) - timedelta(days=365)).replace(day=1)
        employees = _users(EMPLOYEES)
        n_orders = n // 5
        _history(n_orders, since, (today - since).days, employees, rng)
        n_defs = _definitions(employees)
        if pg_url:  # planner statistics after the bulk seed, as autovacuum keeps them in production
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")
        out.notes.append(f"kpi phase: {n:,} ledger rows, {n_orders:,} orders with {n_orders:,} lines, "
                         f"{n_orders // 2:,} shipments and invoices, {EMPLOYEES} employees, {n_defs:,} KPI "
                         f"definitions, months {since} .. {today}; seeded in {time.perf_counter() - t0:.0f} s; "
                         f"load average {load_average()}")
        size = f"{n:,} ledger rows, {n_defs:,} KPIs"
        for label in ("K1 KPI job, first run (writes every figure and its lineage)",
                      "K1 KPI job, second run (nothing changed)"):
            _compute(out, label, size, today, since)
        inv_id = db.session.scalar(select(SalesInvoice.id).where(SalesInvoice.invoice_date < today.replace(day=1))
                                   .order_by(SalesInvoice.id.desc()).limit(1))
        db.session.execute(update(SalesInvoice).where(SalesInvoice.id == inv_id).values(
            state="cancelled", amount_paid=0, updated_at=datetime.now()))
        db.session.commit()
        _compute(out, "K1 KPI job after a backdated cancellation", size, today, since)
        _compute(out, "K1 KPI job, the next day (running point figures again)", size, today + timedelta(days=1),
                 since)
        with _on_day(today):
            _time_pages(app, out, size, [("director (Admin, every division)", "admin"),
                                         ("a sales employee", "emp000")])
        _time_reports(out, today)
        _time_sending(out, today)
        out.notes.append(f"kpi phase done; load average {load_average()}")
    return out.__dict__


def _compute(out: PhaseOutput, label: str, size: str, today: date, since: date) -> None:
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models.kpi import KpiLineageDoc
    from app.services.kpi.compute import compute_kpis
    from bench.harness import load_average

    c0, load = time.process_time(), load_average()
    stats = compute_kpis(db.session, today=today, since=since)
    cpu = time.process_time() - c0
    slowest = sorted(stats.timings.items(), key=lambda kv: -kv[1])[:3]
    lineage_rows = db.session.scalar(select(func.count()).select_from(KpiLineageDoc))
    out.add(Result(label, size, stats.seconds, SECONDS, goal=f"< {COMPUTE_GOAL_S:g} s",
                   goal_ok=stats.seconds < COMPUTE_GOAL_S, ours_cpu=round(cpu, 2),
                   note=f"CPU {cpu:.2f} s; {stats.periods_read} of {stats.periods_read + stats.periods_skipped} "
                        f"(metric, period) read again; {stats.facts_written:,} figures written, "
                        f"{stats.restatements} restatements, {stats.values_written:,} values, {lineage_rows:,} "
                        f"lineage rows stored, {stats.turned_red} 'KPI turned red' events; load average {load}; "
                        "slowest: "
                        + ", ".join(f"{k} {v:.2f} s" for k, v in slowest)))


@contextmanager
def _on_day(day: date) -> Iterator[None]:
    """The dashboard's "today" set to the day the KPI job ran (the synthetic history ends in the past)."""
    from unittest import mock

    class _Day(date):
        @classmethod
        def today(cls) -> date:
            return day

    with mock.patch("app.views.kpi.date", _Day):
        yield


def main(argv: list[str] | None = None) -> int:
    from bench.harness import standalone_main

    return standalone_main("kpi", __doc__, run_phase, 1_000_000, "ledger rows (default 1,000,000)", argv)


if __name__ == "__main__":
    sys.exit(main())
