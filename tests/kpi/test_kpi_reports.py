"""Scheduled reports: received by a local SMTP server with a readable PDF and XLSX in ru and es, each
recipient in their language; a backlog of missed slots sent once after a restart; never twice; empty
reports skipped; schedules in words."""

from __future__ import annotations

import io
from datetime import datetime
from email import message_from_bytes
from email.policy import default as email_policy

import pytest
from sqlalchemy import func, select

from app.models.audit import UserPreference
from app.models.kpi import ScheduledReport, ScheduledReportRun
from app.models.mail import OutboxMessage
from app.services.kpi.compute import compute_kpis
from app.services.kpi.metrics import METRICS
from app.services.kpi.reports import describe_cron, send_due, send_report, validate_report
from tests.kpi import factories_kpi as fk
from tests.purchasing import factories_purchasing as pf

MONDAY_7 = datetime(2026, 12, 7, 7, 0)


@pytest.fixture
def mailing(app, session, smtp_server):
    controller, handler = smtp_server
    data = fk.sales_history(session)
    pf.company(smtp_host="127.0.0.1", smtp_port=controller.port, mail_from="reports@robofabrika.example")
    for m in METRICS:
        fk.define(session, m.code, target=100, red_threshold=50, green_threshold=90)
    compute_kpis(session, today=fk.TODAY)
    economist = fk.user_id("economist")
    session.add(UserPreference(user_id=economist, locale="es"))
    session.commit()
    return data, handler, economist


def _report(session, economist: int, **kw) -> ScheduledReport:
    kw.setdefault("name", "Monday figures")
    kw.setdefault("report", "kpi_scorecard")
    kw.setdefault("cron", "0 7 * * 1")
    report = ScheduledReport(language="ru", recipients="director@robofabrika.example",
                             recipient_users=[economist], **kw)
    validate_report(report, datetime(2026, 12, 6, 12, 0))
    session.add(report)
    session.commit()
    return report


def _subjects(handler) -> set[tuple[str, str]]:
    """(recipient, subject) of every message received."""
    out = set()
    for envelope in handler.messages:
        msg = message_from_bytes(envelope.content, policy=email_policy)
        out.update((rcpt, str(msg["Subject"])) for rcpt in envelope.rcpt_tos)
    return out


def test_pdf_and_xlsx_received_each_recipient_in_their_language(mailing, session):
    from openpyxl import load_workbook
    from pypdf import PdfReader

    _, handler, economist = mailing
    _report(session, economist, fmt="pdf")
    _report(session, economist, name="Overdue", report="overdue_invoices", fmt="xlsx")
    runs = send_due(session, now=MONDAY_7)
    assert [r.status for r in runs] == ["sent", "sent"]
    assert len(handler.messages) == 4  # two reports x two languages
    pdf_texts = {}
    xlsx_heads = {}
    for envelope in handler.messages:
        msg = message_from_bytes(envelope.content, policy=email_policy)
        part = next(msg.iter_attachments())
        data = part.get_payload(decode=True)
        (rcpt,) = envelope.rcpt_tos
        if part.get_filename().endswith(".pdf"):
            pdf_texts[rcpt] = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
        else:
            sheet = load_workbook(io.BytesIO(data)).active
            xlsx_heads[rcpt] = [c.value for c in next(sheet.iter_rows(max_row=1))]
            assert sheet.max_row >= 2  # invoice B is overdue on 7 Dec
    assert "Выручка" in pdf_texts["director@robofabrika.example"]
    assert "Ingresos" in pdf_texts["economist@test.example"]
    assert "900,90" in pdf_texts["director@robofabrika.example"]
    assert xlsx_heads["director@robofabrika.example"][:2] == ["Номер", "Клиент"]
    assert xlsx_heads["economist@test.example"][:2] == ["Número", "Cliente"]
    assert _subjects(handler) >= {("economist@test.example", "Cuadro de mando de KPI: Monday figures, 07/12/2026"),
                                  ("director@robofabrika.example", "Сводная таблица KPI: Monday figures, 07.12.2026")}
    run = session.scalars(select(ScheduledReportRun).order_by(ScheduledReportRun.id)).first()
    assert run.slot == MONDAY_7 and len(run.outbox_ids) == 2
    assert "director@robofabrika.example" in run.recipients and "economist@test.example" in run.recipients


def test_missed_slots_are_sent_once_after_a_restart_and_never_twice(mailing, session):
    _, handler, economist = mailing
    report = _report(session, economist, cron="0 7 * * *")  # daily; the scheduler was down for three days
    report.next_run_at = datetime(2026, 12, 4, 7, 0)
    session.commit()
    restarted_at = datetime(2026, 12, 7, 9, 30)
    assert len(send_due(session, now=restarted_at)) == 1
    assert report.next_run_at == datetime(2026, 12, 8, 7, 0)  # from now on, not the missed slots one by one
    assert send_due(session, now=restarted_at) == []  # a second scheduler / the next minute: nothing
    assert send_due(session, now=datetime(2026, 12, 7, 23, 59)) == []
    assert len(handler.messages) == 2  # ru and es, once
    # a slot already claimed by another process is never sent again
    report.next_run_at = datetime(2026, 12, 8, 7, 0)
    session.add(ScheduledReportRun(report_id=report.id, slot=datetime(2026, 12, 8, 7, 0), status="sent"))
    session.commit()
    assert send_due(session, now=datetime(2026, 12, 8, 7, 0, 30)) == []
    assert len(handler.messages) == 2
    assert session.scalar(select(func.count()).select_from(ScheduledReportRun)) == 2


def test_empty_report_is_skipped_and_send_now_keeps_the_schedule(mailing, session):
    _, handler, economist = mailing
    report = _report(session, economist, name="Requests", report="purchase_requests", fmt="csv",
                     params={"period": "last_week"})
    next_time = report.next_run_at
    run = send_report(session, report.id)
    assert (run.status, run.rows, run.outbox_ids) == ("skipped", 0, [])
    assert handler.messages == [] and session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    assert report.next_run_at == next_time


def test_schedules_in_words(app):
    from flask_babel import force_locale

    cases = {"0 7 * * 1": ("every week, Monday, at 07:00", "еженедельно, понедельник, в 07:00",
                           "cada semana, lunes, a las 07:00"),
             "30 8 * * *": ("every day at 08:30", "каждый день в 08:30", "cada día a las 08:30"),
             "0 9 1 * *": ("on day 1 of every month at 09:00", "1-го числа каждого месяца в 09:00",
                           "el día 1 de cada mes a las 09:00")}
    with app.test_request_context():
        for cron, words in cases.items():
            for lang, expected in zip(("en", "ru", "es"), words, strict=True):
                with force_locale(lang):
                    assert describe_cron(cron, lang) == expected


def test_preview_in_the_asked_language(mailing, session, login_as):
    from pypdf import PdfReader

    _, handler, economist = mailing
    report = _report(session, economist, fmt="pdf")
    client = login_as("Manager")
    resp = client.get(f"/scheduledreportview/preview/{report.id}?lang=es")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert "Ingresos" in PdfReader(io.BytesIO(resp.data)).pages[0].extract_text()
    assert handler.messages == []  # a preview sends nothing
    page = client.get(f"/scheduledreportview/show/{report.id}").get_data(as_text=True)
    assert "every week, Monday, at 07:00" in page
