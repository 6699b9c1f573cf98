"""Browser test of the service desk in Russian: a request registered from the client card, taken into work
from its page, and a complaint opened from it with the client and the words carried over (issue 17)."""

from __future__ import annotations

import os

from playwright.sync_api import Page, expect

from tests.e2e.test_smoke import Problems, _sign_in, _switch_language

SUBJECT = "Робот не едет после обновления"


def test_a_request_from_the_client_card_taken_into_work_and_a_complaint_from_it(page: Page, artifacts_dir: str,
                                                                                base_url: str) -> None:
    problems = Problems(base_url)
    problems.watch(page)
    _sign_in(page, "Service")
    _switch_language(page, "ru")
    page.goto("/servicerequestview/show/1")  # the demo's Robokids request: its client card is one click away
    page.locator("a", has_text="Карточка клиента").click()
    card = page.url
    page.locator("a[href*='/servicerequestview/add?_flt_0_partner=']").first.click()
    page.fill("input[name=subject]", SUBJECT)
    page.locator("form#model_form [type=submit], form [type=submit]").last.click()
    page.goto(card)
    page.locator("tr", has_text=SUBJECT).first.locator("a").first.click()  # the row's number opens the request
    expect(page.locator(".service-actions")).to_contain_text("Новая")
    page.locator("button[data-action=start]").click()
    expect(page.locator(".service-actions")).to_contain_text("В работе")
    page.screenshot(path=os.path.join(artifacts_dir, "service-request-ru.png"), full_page=True)
    page.locator("form.service-complaint button").click()
    expect(page.locator("body")).to_contain_text(SUBJECT)
    expect(page.locator("body")).to_contain_text("Робокидс")
    assert "/complaintview/show/" in page.url
    assert problems.take() == []
