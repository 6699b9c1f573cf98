"""Browser test of a buyer's day, in Russian and Spanish: the Purchasing user opens the min / max method,
generates the requests, opens the supplier's request, reads why a line was suggested, and e-mails it to
the supplier through a local SMTP server; the outbox shows the message sent, and the server got it.

The live app is shared with the other browser tests, so the module sets the company's mail server
through the Admin's company page and puts it back afterwards, and each run cancels the request it
sent (a sent request counts as "already requested", which would leave the next run nothing to order).
"""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default as email_policy

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.test_smoke import Problems, _sign_in, _switch_language

SUPPLIER = "ЭлектроКомп"  # the demo supplier of CPU-A1 and MB-R2, both below their minimum
SUPPLIER_EMAIL = "zakaz@elektrokomp.example"
WORDS = {
    "ru": {"minimum": "Минимум", "method": "Точки заказа мин. / макс.", "sent": "Отправлено"},
    "es": {"minimum": "Mínimo", "method": "Puntos de pedido mín. / máx.", "sent": "Enviado"},
}


class Inbox:
    """What the local SMTP server received."""

    def __init__(self) -> None:
        self.messages: list = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        with self.lock:
            self.messages.append(envelope)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _set_company_smtp(browser: Browser, base_url: str, host: str, port: int) -> None:
    """The Admin enters the mail server on the company page (what a site does once)."""
    context = browser.new_context(base_url=base_url)
    try:
        page = context.new_page()
        _sign_in(page, "Admin")
        page.goto("/companyview/list/")
        page.locator("a[href*='/companyview/edit/']").first.click()
        page.fill("#smtp_host", host)
        page.fill("#smtp_port", str(port))
        page.fill("#mail_from", "zakupki@robofabrika.example" if host else "")
        page.locator("form#model_form [type=submit], form [type=submit]").last.click()
        page.wait_for_load_state()
        expect(page.locator(".alert-danger")).to_have_count(0)
    finally:
        context.close()


@pytest.fixture(scope="module")
def inbox(browser: Browser, base_url: str) -> Iterator[Inbox]:
    from aiosmtpd.controller import Controller

    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    _set_company_smtp(browser, base_url, "127.0.0.1", controller.port)
    try:
        yield handler
    finally:
        _set_company_smtp(browser, base_url, "", 25)
        controller.stop()


@pytest.mark.parametrize("lang", ["ru", "es"])
def test_buyer_generates_reads_the_reason_and_emails_the_request(page: Page, base_url: str, inbox: Inbox,
                                                                  lang: str):
    words = WORDS[lang]
    problems = Problems(base_url)
    problems.watch(page)
    page.on("dialog", lambda dialog: dialog.accept())  # the "send this request?" confirmation
    _sign_in(page, "Purchasing")
    _switch_language(page, lang)

    page.goto("/purchasing/generate/?method=minmax")
    page.click("[data-submit=preview]")
    expect(page.locator("table")).to_contain_text("CPU-A1")
    page.click("[data-submit=generate]")
    expect(page.locator(".alert-success")).to_be_visible()

    page.locator("tr", has_text=SUPPLIER).locator("a[href*='/purchaserequestview/show/']").first.click()
    number = page.locator("table").first.locator("td").first.inner_text().strip()
    assert re.fullmatch(r"PR-\d{4}-\d{5}", number), number
    line = page.locator("tr", has_text="CPU-A1")
    expect(line.locator("code.fab-formula")).to_contain_text("<")  # the short "why": available < minimum
    line.locator("a[href*='/purchaserequestlineview/show/']").first.click()
    reason = page.locator("table.fab-reason")
    expect(reason).to_contain_text(words["method"])
    expect(reason.locator("tr", has_text=words["minimum"]).first).to_contain_text("14")
    expect(page.locator("code.fab-formula")).to_be_visible()
    page.go_back()

    try:
        page.click("[data-action=email_doc]")
        expect(page.locator(".alert-success")).to_contain_text(SUPPLIER_EMAIL)
        expect(page.locator("span.state-sent")).to_have_text(words["sent"])

        page.goto("/outboxview/list/")
        row = page.locator("tr", has_text=number).first
        expect(row.locator("span.mail-sent")).to_have_text(words["sent"])
        expect(row).to_contain_text(SUPPLIER_EMAIL)
        with inbox.lock:
            mails = [message_from_bytes(m.content, policy=email_policy) for m in inbox.messages
                     if SUPPLIER_EMAIL in m.rcpt_tos]
        assert any(number in (m["Subject"] or "") for m in mails)
    finally:  # a sent request counts as already requested: cancel it so the next run has a need again
        page.goto("/purchaserequestview/list/")
        page.locator("tr", has_text=number).locator("a[href*='/purchaserequestview/show/']").first.click()
        if page.locator("[data-action=cancel_doc]").count():
            page.click("[data-action=cancel_doc]")
            expect(page.locator("span.state-cancelled")).to_have_count(1)
    assert problems.take() == []
