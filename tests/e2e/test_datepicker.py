"""Browser test of FAB's date picker in Russian (issue 14, item 3): the calendar speaks Russian and
starts its weeks on Monday; a date typed as Russians write it (24.12.2026) is kept, saved and shown
again in that format; a date that does not exist is refused with a message naming the format, and
what the user typed stays in the field instead of turning into today."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.test_smoke import Problems, _sign_in, _switch_language

RU_MONTHS = ("Январь", "Февраль", "Март", "Апрель", "Май", "Июнь", "Июль", "Август", "Сентябрь", "Октябрь",
             "Ноябрь", "Декабрь")


def _first_deal_edit(page: Page) -> str:
    page.goto("/dealview/list/")
    href = page.locator("a[href*='/dealview/edit/']").first.get_attribute("href")
    assert href
    return href


def test_the_date_picker_speaks_russian_and_keeps_a_typed_date(page: Page, base_url: str):
    problems = Problems(base_url)
    problems.watch(page)
    _sign_in(page, "Manager")
    _switch_language(page, "ru")
    edit = _first_deal_edit(page)
    page.goto(edit)
    field = page.locator("#expected_close")

    field.fill("")
    field.press_sequentially("24.12.2026")  # typed key by key, as a user does (the picker reads keyups)
    field.click()
    picker = page.locator(".datepicker-dropdown")
    expect(picker).to_be_visible()
    expect(picker.locator(".datepicker-days .datepicker-switch")).to_have_text("Декабрь 2026")
    weekdays = picker.locator(".datepicker-days th.dow").all_inner_texts()
    assert weekdays == ["Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"], weekdays
    expect(picker.locator(".datepicker-days td.active")).to_have_text("24")
    page.keyboard.press("Escape")
    expect(field).to_have_value("24.12.2026")

    page.locator("#model_form button[type=submit], form button[type=submit]").first.click()
    page.wait_for_load_state()
    expect(page.locator(".alert-danger")).to_have_count(0)
    page.goto(edit)
    expect(field).to_have_value("24.12.2026")

    field.click()
    switch = page.locator(".datepicker-dropdown .datepicker-days .datepicker-switch")
    assert switch.inner_text().split()[0] in RU_MONTHS

    page.goto(edit)
    field.fill("31.02.2026")
    page.locator("#model_form button[type=submit], form button[type=submit]").first.click()
    page.wait_for_load_state()
    expect(page.get_by_text("«31.02.2026» — не дата: введите её в виде 07.12.2026")).to_be_visible()
    expect(field).to_have_value("31.02.2026")
    assert not problems.take()


def test_a_date_filter_is_typed_in_russian_and_sent_as_iso(page: Page, base_url: str):
    """FAB reads filter values as ISO: the filter shows and takes 24.12.2026 and sends 2026-12-24."""
    problems = Problems(base_url)
    problems.watch(page)
    _sign_in(page, "Manager")
    _switch_language(page, "ru")
    page.goto("/dealview/list/?_flt_0_expected_close=2026-12-24")
    page.locator("a.accordion-toggle").first.click()
    field = page.locator("#filter_form input.filter_val")
    expect(field).to_have_value("24.12.2026")
    field.fill("")
    field.press_sequentially("31.12.2026")
    page.keyboard.press("Escape")
    page.locator("#filter_form button[type=submit]").click()
    page.wait_for_load_state()
    assert "_flt_0_expected_close=2026-12-31" in page.url
    expect(page.locator("#filter_form input.filter_val")).to_have_value("31.12.2026")
    assert not problems.take()
