"""Scheduled reports: what each report contains, its PDF / XLSX / CSV, the schedule in words, and
sending through the outbox exactly once per slot.

Sending rules (the scheduler calls `send_due` every minute):

* a report is due when its `next_run_at` (UTC) has passed; the slot served is that time;
* before anything is built, the run is *claimed*: a ScheduledReportRun row for (report, slot), unique
  in the database, and the report's next time moved past *now*, committed together. A second
  scheduler, or a restart in the middle, finds the slot taken and sends nothing: nothing is ever
  sent twice (a crash after the claim loses that one sending, recorded as failed on the run);
* a scheduler that was down for several slots finds one due report and sends it once, with the
  next time computed from now: missed slots are not replayed one by one;
* recipients are grouped by language (a user's own language, the report's language for plain
  addresses); each group gets one message with the attachment in its language;
* "skip when empty": a report with no rows sends nothing and the run says so.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from apscheduler.triggers.cron import CronTrigger
from babel.dates import get_day_names
from flask import current_app
from flask_babel import force_locale, get_translations, gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.domain.errors import DomainError, Problem
from app.domain.kpi import RELATIVE_PERIODS, relative_period
from app.models.audit import UserPreference
from app.models.base import utcnow
from app.models.kpi import (
    REPORT_FORMATS,
    RUN_FAILED,
    RUN_SENT,
    RUN_SKIPPED,
    ScheduledReport,
    ScheduledReportRun,
)
from app.models.partners import Partner
from app.models.purchasing import PurchaseRequest
from app.models.sales import SalesInvoice
from app.printing import render_pdf
from app.services.base import unit_of_work
from app.services.company import base_currency_code, company_view_model, current_company
from app.services.export import to_csv, to_xlsx
from app.services.kpi.labels import DIVISION_LABELS, STATUS_LABELS
from app.services.mail import Attachment, send_mail

MIME = {"pdf": "application/pdf", "csv": "text/csv",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
LANGUAGES = ("ru", "es", "en")


@dataclass
class Table:
    """A report as data: what the PDF, the XLSX and the CSV are all made from."""

    title: str
    subtitle: str
    headers: list[str]
    kinds: list[str]  # text / money / number / percent / date / count per column
    rows: list[list[Any]] = field(default_factory=list)
    chart: list[tuple[str, Decimal]] = field(default_factory=list)  # drawn as bars in the PDF
    chart_title: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Document:
    filename: str
    content: bytes
    mimetype: str
    rows: int


# --- the reports --------------------------------------------------------------------------------


def _day(day: date, lang: str) -> str:
    from app.printing.formatting import date as numeric_date

    return numeric_date(day, lang)


def _dates(params: dict[str, Any], today: date, default: str = "last_month") -> tuple[date, date]:
    name = params.get("period") or default
    if name not in RELATIVE_PERIODS:
        raise DomainError("Unknown period: %(period)s", period=name)
    return relative_period(name, today)


def _scorecard(session: Session, params: dict[str, Any], lang: str, today: date) -> Table:
    from app.services.kpi import scorecard
    divisions = frozenset(params.get("divisions") or scorecard.ALL)
    who = scorecard.Reader(divisions, lambda _resource: True)  # a report's recipients get what it names
    return scorecard_table(session, lang, today, who, DIVISION_LABELS, STATUS_LABELS)


def scorecard_table(session: Session, lang: str, today: date, reader: Any, division_labels: dict,
                    status_labels: dict) -> Table:
    """The scorecard: the division KPIs (and the reader's own) against their targets, last closed period,
    and the weighted scores of every division and employee."""
    from app.services.kpi import scorecard

    tiles = scorecard.tiles(session, scorecard.visible_definitions(session, reader), today)
    table = Table(gettext("KPI scorecard"), gettext("as of %(date)s", date=_day(today, lang)),
                  [gettext("Division"), gettext("KPI"), gettext("Employee"), gettext("Period"), gettext("Figure"),
                   gettext("Target"), gettext("Status"), gettext("Attainment, %")],
                  ["text", "text", "text", "text", "number", "number", "text", "percent"])
    table.extra["widths"] = [15, 20, 10, 9, 13, 13, 9, 11]
    for t in tiles:
        defn = t.definition
        reached = t.attainment * 100 if t.attainment is not None else None
        table.rows.append([str(division_labels.get(defn.division, defn.division)), defn.label(lang),
                           str(defn.employee or ""), scorecard.period_label(t.period, lang),
                           t.value, defn.target, str(status_labels.get(t.status, t.status)), reached])
        if reached is not None:
            table.chart.append((defn.label(lang), reached))
    table.chart_title = gettext("Attainment of target, %")
    table.extra["scores"] = [(str(division_labels.get(s.label, s.label)), s.score)
                             for s in scorecard.scores(session, reader, today)]
    table.extra["statuses"] = [t.status for t in tiles]
    return table


def _stock_on_hand(session: Session, params: dict[str, Any], lang: str, today: date) -> Table:
    from app.services.stock import reports

    report = reports.on_hand(session, params.get("warehouse_id"), params.get("group_id"), True, page_size=None,
                             locale=lang)
    table = Table(gettext("Stock on hand report"), gettext("as of %(date)s", date=_day(today, lang)),
                  [gettext("Code"), gettext("Item"), gettext("Unit"), gettext("Warehouse"), gettext("Quantity"),
                   gettext("Reserved"), gettext("Value")], ["text", "text", "text", "text", "number", "number",
                                                            "money"])
    table.rows = [[r.item_code, r.item_name, r.unit, r.warehouse_code, r.qty, r.reserved, r.value]
                  for r in report.rows]
    return table


def _sales_by_client(session: Session, params: dict[str, Any], lang: str, today: date) -> Table:
    start, end = _dates(params, today)
    net = func.sum(SalesInvoice.amount_net)
    rows = session.execute(
        select(Partner.name, func.count(), net, func.sum(SalesInvoice.amount_total))
        .join(Partner, Partner.id == SalesInvoice.partner_id)
        .where(SalesInvoice.state == "posted", SalesInvoice.invoice_date.between(start, end))
        .group_by(Partner.name).order_by(net.desc())
    ).all()
    table = Table(gettext("Sales by client"), f"{_day(start, lang)} – {_day(end, lang)}",
                  [gettext("Client"), gettext("Invoices"), gettext("Net amount"), gettext("Total with tax")],
                  ["text", "count", "money", "money"])
    table.rows = [[name, count, amount, total] for name, count, amount, total in rows]
    table.chart, table.chart_title = [(r[0], r[2]) for r in table.rows[:15]], gettext("Net amount")
    return table


def _overdue_invoices(session: Session, params: dict[str, Any], lang: str, today: date) -> Table:
    rows = session.execute(
        select(SalesInvoice.number, Partner.name, SalesInvoice.invoice_date, SalesInvoice.due_date,
               SalesInvoice.amount_total, SalesInvoice.amount_paid)
        .join(Partner, Partner.id == SalesInvoice.partner_id)
        .where(SalesInvoice.state == "posted", SalesInvoice.kind == "invoice", SalesInvoice.due_date < today,
               SalesInvoice.amount_paid < SalesInvoice.amount_total)
        .order_by(SalesInvoice.due_date, SalesInvoice.id)
    ).all()
    table = Table(gettext("Overdue invoices"), gettext("as of %(date)s", date=_day(today, lang)),
                  [gettext("Number"), gettext("Client"), gettext("Date"), gettext("Due date"), gettext("Total"),
                   gettext("Paid"), gettext("Due"), gettext("Days overdue")],
                  ["text", "text", "date", "date", "money", "money", "money", "count"])
    table.rows = [[n, p, d, due, total, paid, total - paid, (today - due).days] for n, p, d, due, total, paid in rows]
    return table


def _purchase_requests(session: Session, params: dict[str, Any], lang: str, today: date) -> Table:
    from app.views.purchasing_labels import REQUEST_STATE_LABELS

    start, end = _dates(params, today, "last_week")
    rows = session.execute(
        select(PurchaseRequest.number, PurchaseRequest.request_date, PurchaseRequest.state, Partner.name,
               PurchaseRequest.total_base)
        .outerjoin(Partner, Partner.id == PurchaseRequest.supplier_id)
        .where(PurchaseRequest.request_date.between(start, end)).order_by(PurchaseRequest.id)
    ).all()
    table = Table(gettext("Purchase requests"), f"{_day(start, lang)} – {_day(end, lang)}",
                  [gettext("Number"), gettext("Date"), gettext("State"), gettext("Supplier"),
                   gettext("Total, base currency")], ["text", "date", "text", "text", "money"])
    table.rows = [[n, d, str(REQUEST_STATE_LABELS.get(s, s)), sup or "—", total] for n, d, s, sup, total in rows]
    return table


def _abc(session: Session, params: dict[str, Any], lang: str, today: date) -> Table:
    from app.services.purchasing.abc_report import abc_report
    from app.services.purchasing.params import MethodParams

    start, end = _dates(params, today, "last_quarter")
    report = abc_report(session, MethodParams("abc", date_from=start, date_to=end, on_date=today), lang)
    table = Table(gettext("ABC analysis"), f"{_day(start, lang)} – {_day(end, lang)}",
                  [gettext("Rank"), gettext("Code"), gettext("Item"), gettext("Quantity"), gettext("Value"),
                   gettext("Share, %"), gettext("Cumulative, %"), gettext("Class")],
                  ["count", "text", "text", "number", "money", "percent", "percent", "text"])
    table.rows = [[r.rank, r.code, r.name, r.qty, r.value, r.share, r.cumulative, r.klass] for r in report.rows]
    return table


Builder = Callable[[Session, dict[str, Any], str, date], Table]
REPORTS: dict[str, tuple[Any, Builder]] = {
    "kpi_scorecard": (_l("KPI scorecard"), _scorecard),
    "stock_on_hand": (_l("Stock on hand report"), _stock_on_hand),
    "abc": (_l("ABC analysis"), _abc),
    "sales_by_client": (_l("Sales by client"), _sales_by_client),
    "overdue_invoices": (_l("Overdue invoices"), _overdue_invoices),
    "purchase_requests": (_l("Purchase requests"), _purchase_requests),
}


def report_label(code: str) -> str:
    entry = REPORTS.get(code)
    return str(entry[0]) if entry else code


def report_choices() -> list[tuple[str, Any]]:
    return [(code, label) for code, (label, _) in REPORTS.items()]


# --- documents ----------------------------------------------------------------------------------


def _pdf(session: Session, table: Table, lang: str, today: date) -> bytes:
    company = current_company(session)
    top = max((abs(v) for _, v in table.chart), default=Decimal(0))
    # at least 4 % wide, so a small bar is still a bar (and xhtml2pdf never gets a cell narrower than its padding)
    bars = [(label, value, max(4, min(100, int(abs(value) * 100 / top))) if top and value else 0)
            for label, value in table.chart]
    context = {"company": company_view_model(company, lang, gettext), "printed_at": today, "user": "",
               "table": table, "bars": bars, "currency": base_currency_code(company) or "",
               "chunks": page_chunks(table.rows, 0 if bars else FIRST_PAGE_ROWS, PAGE_ROWS)}
    return render_pdf("kpi_report.html", context, lang, get_translations())


PAGE_ROWS = 42  # grid rows on an A4 page at 7 pt, with room for a row wrapped onto two lines
FIRST_PAGE_ROWS = 32  # below the company header, title and subtitle


def page_chunks(rows: list[Any], first: int, per_page: int) -> list[tuple[int, list[Any]]]:
    """The rows cut into pages: (index of the first row, rows). `first` rows on the first page below
    the headings (0 when a chart is there: the grid then starts on a page of its own if it is longer
    than one), then `per_page` on each."""
    chunks, start = [], 0
    if first:
        chunks.append((0, rows[:first]))
        start = first
    for n in range(start, len(rows), per_page):
        chunks.append((n, rows[n:n + per_page]))
    return [c for c in chunks if c[1]]


def build_document(session: Session, report: ScheduledReport, lang: str, today: date) -> Document:
    """The report's attachment in `lang` (words, numbers and dates of that language)."""
    lang = lang if lang in LANGUAGES else "en"
    with force_locale(lang):
        table = REPORTS[report.report][1](session, dict(report.params or {}), lang, today)
        name = f"{report.report}-{today.isoformat()}.{report.fmt}"
        if report.fmt == "pdf":
            content = _pdf(session, table, lang, today)
        elif report.fmt == "xlsx":
            content = to_xlsx(table.headers, table.rows, title=table.title)
        else:
            content = to_csv(table.headers, table.rows)
    return Document(name, content, MIME[report.fmt], len(table.rows))


def scorecard_document(session: Session, lang: str, today: date, reader: Any) -> Document:
    """The scorecard PDF of one reader (their divisions and registers), for the dashboard's button."""
    lang = lang if lang in LANGUAGES else "en"
    with force_locale(lang):
        table = scorecard_table(session, lang, today, reader, DIVISION_LABELS, STATUS_LABELS)
        content = _pdf(session, table, lang, today)
    return Document(f"kpi-scorecard-{today.isoformat()}.pdf", content, MIME["pdf"], len(table.rows))


# --- schedule -----------------------------------------------------------------------------------


def _timezone() -> str:
    return current_app.config.get("SCHEDULER_TIMEZONE") or "UTC"


_DOW_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def cron_trigger(cron: str, timezone: str | None = None) -> CronTrigger:
    """The crontab as an APScheduler trigger, weekdays as cron counts them (0 or 7 Sunday, 1 Monday).

    APScheduler 3 numbers weekdays from Monday = 0, so "0 7 * * 1" would fire on Tuesdays: the
    weekday numbers are turned into names first.
    """
    fields = (cron or "").split()
    if len(fields) == 5 and any(ch.isdigit() for ch in fields[4]) and "/" not in fields[4]:
        fields[4] = re.sub(r"\d+", lambda m: _DOW_NAMES[int(m.group())] if int(m.group()) < 8 else m.group(),
                           fields[4])
    return CronTrigger.from_crontab(" ".join(fields), timezone=timezone)


def next_slot(cron: str, after: datetime) -> datetime:
    """The first time the crontab fires strictly after `after` (naive UTC in, naive UTC out)."""
    trigger = cron_trigger(cron, _timezone())
    fire = trigger.get_next_fire_time(None, after.replace(tzinfo=UTC))
    return fire.astimezone(UTC).replace(tzinfo=None)


def describe_cron(cron: str, lang: str) -> str:
    """The schedule in words, in the reader's language: "every Monday at 07:00"."""
    parts = cron.split()
    if len(parts) != 5:
        return cron
    minute, hour, dom, month, dow = parts
    if parts == ["*"] * 5:
        return gettext("every minute")
    if not (minute.isdigit() and hour.isdigit()) or month != "*":
        if minute.isdigit() and hour == "*" and dom == month == dow == "*":
            return gettext("every hour at minute %(minute)s", minute=minute)
        return gettext("by the schedule %(cron)s", cron=cron)
    at = f"{int(hour):02d}:{int(minute):02d}"
    if dom == "*" and dow == "*":
        return gettext("every day at %(time)s", time=at)
    if dom == "*" and dow in ("1-5", "mon-fri"):
        return gettext("on weekdays at %(time)s", time=at)
    if dom == "*" and dow.isdigit():
        names = get_day_names("wide", locale=lang)
        return gettext("every week, %(day)s, at %(time)s", day=names[(int(dow) - 1) % 7], time=at)
    if dow == "*" and dom.isdigit():
        return gettext("on day %(day)s of every month at %(time)s", day=dom, time=at)
    return gettext("by the schedule %(cron)s", cron=cron)


def validate_report(report: ScheduledReport, now: datetime) -> None:
    """Refuse what could never be sent; set the first time it goes out."""
    problems: list[Problem] = []
    report.fmt, report.language = report.fmt or "pdf", report.language or "ru"
    report.cron = (report.cron or "0 7 * * 1").strip()
    report.skip_empty = True if report.skip_empty is None else report.skip_empty
    report.active = True if report.active is None else report.active
    if report.report not in REPORTS:
        problems.append(Problem("Unknown report: %(report)s", {"report": report.report}, field="report"))
    if report.fmt not in REPORT_FORMATS:
        problems.append(Problem("Unknown format: %(fmt)s", {"fmt": report.fmt}, field="fmt"))
    try:
        cron_trigger(report.cron)
    except ValueError:
        problems.append(Problem("Not a valid schedule: %(cron)s", {"cron": report.cron}, field="cron"))
    if isinstance(report.params, str):
        try:
            report.params = json.loads(report.params or "{}")
        except ValueError:
            problems.append(Problem("The parameters must be JSON", field="params"))
    if isinstance(report.recipient_users, str):
        try:
            report.recipient_users = [int(x) for x in json.loads(report.recipient_users or "[]")]
        except (ValueError, TypeError):
            problems.append(Problem("Users must be a list of ids, e.g. [2, 5]", field="recipient_users"))
    period = (report.params or {}).get("period") if isinstance(report.params, dict) else None
    if period and period not in RELATIVE_PERIODS:
        problems.append(Problem("Unknown period: %(period)s", {"period": period}, field="params"))
    if not (report.recipients or "").strip() and not report.recipient_users:
        problems.append(Problem("Give at least one recipient address", field="recipients"))
    if problems:
        raise DomainError(problems)
    report.next_run_at = next_slot(report.cron, now)


# --- sending ------------------------------------------------------------------------------------


def _audience(session: Session, report: ScheduledReport) -> dict[str, list[str]]:
    """language -> addresses: users in their own language, plain addresses in the report's."""
    from flask_appbuilder.security.sqla.models import User

    groups: dict[str, list[str]] = defaultdict(list)
    for address in (report.recipients or "").replace(";", ",").split(","):
        if address.strip():
            groups[report.language].append(address.strip())
    ids = [int(i) for i in report.recipient_users or []]
    if ids:
        prefs = dict(session.execute(select(UserPreference.user_id, UserPreference.locale)
                                     .where(UserPreference.user_id.in_(ids))).all())
        default = current_app.config.get("BABEL_DEFAULT_LOCALE", "en")
        for user in session.scalars(select(User).where(User.id.in_(ids), User.active.is_(True))):
            if user.email:
                groups[prefs.get(user.id, default)].append(user.email)
    return dict(groups)


def _deliver(session: Session, report: ScheduledReport, run: ScheduledReportRun, today: date) -> None:
    """Build the attachment per language and send; the run records whom and which outbox rows."""
    sent_to: list[str] = []
    outbox: list[int] = []
    rows = 0
    for lang, addresses in sorted(_audience(session, report).items()):
        doc = build_document(session, report, lang, today)
        rows = max(rows, doc.rows)
        if report.skip_empty and doc.rows == 0:
            continue
        with force_locale(lang if lang in LANGUAGES else "en"):
            subject = gettext("%(report)s: %(name)s, %(date)s", report=report_label(report.report),
                              name=report.label(lang), date=_day(today, lang))
            body = gettext("The report %(name)s is attached (%(schedule)s).", name=report.label(lang),
                           schedule=describe_cron(report.cron, lang))
        msg = send_mail(session, to=addresses, subject=subject, body=body,
                        attachments=[Attachment(doc.filename, doc.content, doc.mimetype)],
                        entity="scheduled_report", entity_id=report.id)
        sent_to.extend(addresses)
        outbox.append(msg.id)
    run.rows, run.outbox_ids, run.recipients = rows, outbox, ", ".join(sent_to)
    run.status, run.message = (RUN_SENT if outbox else RUN_SKIPPED), ""


def _claim(session: Session, report_id: int, now: datetime) -> tuple[ScheduledReport, ScheduledReportRun] | None:
    """Take the report's due slot for this process; None when it is not due or someone took it."""
    try:
        with unit_of_work(session):
            report = session.get(ScheduledReport, report_id, with_for_update=True, populate_existing=True)
            if report is None or not report.active or report.next_run_at is None or report.next_run_at > now:
                return None
            run = ScheduledReportRun(report_id=report.id, slot=report.next_run_at, trigger="schedule",
                                     started_at=now, status=RUN_FAILED, message="claimed; not finished")
            session.add(run)
            report.last_run_at = now
            report.next_run_at = next_slot(report.cron, now)
            session.flush()
    except IntegrityError:
        return None  # the slot was sent by another scheduler
    return report, run


def _finish(session: Session, report: ScheduledReport, run: ScheduledReportRun, today: date) -> None:
    try:
        with unit_of_work(session):
            _deliver(session, report, run, today)
    except DomainError as exc:
        with unit_of_work(session):
            run.status, run.message = RUN_FAILED, "; ".join(exc.messages(gettext))[:2000]


def send_due(session: Session, now: datetime | None = None) -> list[ScheduledReportRun]:
    """Send every report due at `now` (UTC, naive) once; reports never scheduled get their first time."""
    now = now or utcnow()
    with unit_of_work(session):
        for report in session.scalars(select(ScheduledReport).where(ScheduledReport.active.is_(True),
                                                                    ScheduledReport.next_run_at.is_(None))):
            report.next_run_at = next_slot(report.cron, now)
    due = session.scalars(select(ScheduledReport.id).where(ScheduledReport.active.is_(True),
                                                           ScheduledReport.next_run_at <= now)
                          .order_by(ScheduledReport.next_run_at)).all()
    runs = []
    for report_id in due:
        claimed = _claim(session, report_id, now)
        if claimed is None:
            continue
        report, run = claimed
        _finish(session, report, run, now.date())
        runs.append(run)
    return runs


def send_report(session: Session, report_id: int, trigger: str = "manual", today: date | None = None
                ) -> ScheduledReportRun:
    """"Send now": one run outside the schedule (no slot: the schedule goes on unchanged)."""
    report = session.get(ScheduledReport, report_id)
    if report is None:
        raise DomainError("No such report")
    now = utcnow()
    with unit_of_work(session):
        run = ScheduledReportRun(report_id=report.id, slot=None, trigger=trigger, started_at=now,
                                 status=RUN_FAILED)
        session.add(run)
        report.last_run_at = now
    _finish(session, report, run, today or now.date())
    return run
