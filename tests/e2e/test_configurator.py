"""The TCP configurator clicked through in the browser, in Russian and Spanish, on the demo's RK-Custom:
options toggled, the price updates in place, a blocked option says which rule blocks it, a quantity
over a rule's limit is reported, and the configuration is saved as a proposal for Robokids."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_smoke import Problems, _sign_in, _switch_language

NAMES = {
    "ru": {"pro": "Процессор Pro", "std": "Процессор Стандарт", "lidar": "Лидар", "io": "Плата ввода-вывода",
           "client": "Робокидс"},
    "es": {"pro": "Procesador Pro", "std": "Procesador Estándar", "lidar": "Lidar", "io": "Placa de E/S",
           "client": "Робокидс"},
}


class _Option:
    """An option of the page by its name: its own input and reason (not those of the options under it)."""

    def __init__(self, page: Page, name: str) -> None:
        exact = page.locator(":scope > label > .cfg-option-name", has_text=re.compile(f"^{re.escape(name)}$"))
        self.box = page.locator(".cfg-option", has=exact)
        self.input = self.box.locator(":scope > label > input")
        self.reason = self.box.locator(":scope > .cfg-reason")


def _option(page: Page, name: str) -> _Option:
    return _Option(page, name)


def _answered(page: Page, before: str) -> str:
    """Wait until the page has a newer answer from the server than `before`; return its counter."""
    root = page.locator("#configurator")
    expect(root).not_to_have_attribute("data-calcs", before)
    expect(root).to_have_attribute("data-busy", "0")
    return root.get_attribute("data-calcs")


@pytest.mark.parametrize("lang", ["ru", "es"])
def test_configure_a_custom_robot(page: Page, base_url: str, lang: str):
    names = NAMES[lang]
    problems = Problems(base_url)
    problems.watch(page)
    _sign_in(page, "Sales")
    _switch_language(page, lang)
    page.goto("/proposals/configurator/")
    root = page.locator("#configurator")
    expect(root).to_have_attribute("data-busy", "0")
    calcs = root.get_attribute("data-calcs")
    total = page.locator("[data-total=total]").inner_text()
    assert total

    # the lidar needs the Pro processor: disabled, with the rule named
    lidar = _option(page, names["lidar"])
    expect(lidar.input).to_be_disabled()
    expect(lidar.reason).to_contain_text(names["pro"])
    expect(lidar.reason).to_contain_text(names["lidar"])

    # three I/O boards with the standard processor break the "at most 2" rule
    _option(page, names["io"]).input.fill("3")
    _option(page, names["io"]).input.dispatch_event("change")
    calcs = _answered(page, calcs)
    expect(page.locator("#cfg-violations")).to_be_visible()
    expect(page.locator("#cfg-violations")).to_contain_text(names["std"])

    # the Pro processor lifts both: the price changes in place, the lidar can be chosen
    _option(page, names["pro"]).input.check()
    calcs = _answered(page, calcs)
    expect(page.locator("#cfg-violations")).to_be_hidden()
    expect(lidar.input).to_be_enabled()
    assert page.locator("[data-total=total]").inner_text() != total
    lidar.input.check()
    calcs = _answered(page, calcs)
    expect(page.locator("#cfg-lines tbody")).to_contain_text(names["lidar"])

    # for Robokids, 50% on order and 50% on delivery, then save
    page.fill("#cfg-partner-name", names["client"][:4])
    expect(page.locator(f"#cfg-partner-list option[value='{names['client']}']")).to_have_count(1)
    page.fill("#cfg-partner-name", names["client"])
    calcs = _answered(page, calcs)
    for pct, event in (("50", "order"), ("50", "delivery")):
        page.click("#cfg-add-instalment")
        row = page.locator("#cfg-schedule tbody tr").last
        row.locator("[data-f=pct]").fill(pct)
        row.locator("[data-f=event]").select_option(event)
    calcs = _answered(page, calcs)
    expect(page.locator("#cfg-schedule tbody tr").first.locator("td[data-f=amount]")).not_to_be_empty()
    page.click("#cfg-save")
    page.wait_for_url(re.compile(r"/proposalview/show/\d+"))
    expect(page.locator("[data-action=send]")).to_have_count(1)
    assert problems.take() == []
