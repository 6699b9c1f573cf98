"""Bad input through create_document / post_document: one DomainError naming every line, nothing written.

Each case counts the rows of every ledger table before and after, so "nothing is written" is
checked, not assumed; documents with several problems must report all of them at once.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.domain.errors import DomainError
from app.services.stock import DocumentInput, LineInput, create_document, post_document
from app.services.stock.verify import verify_stock
from tests import factories as f

D = Decimal


@pytest.fixture
def world(session):
    wh = f.warehouse("MAIN", "fifo")
    shop = f.warehouse("SHOP", "average")
    it = f.item("NUT")
    other = f.item("WASHER")
    f.unit("box")  # exists, but no conversion is defined for these items
    f.receipt(wh, [(it, 10, 5)])
    return wh, shop, it, other


def refused(session, data: DocumentInput) -> list[str]:
    """Create (and post) the document, expect a DomainError, check nothing changed; its messages."""
    before = f.row_counts()
    with pytest.raises(DomainError) as exc:
        doc = create_document(session, data)
        post_document(session, doc.id)
    assert f.row_counts() == before
    assert verify_stock(session) == []
    return exc.value.messages()


def _doc(doc_type: str, wh, lines: list[LineInput], **kw) -> DocumentInput:
    kw.setdefault("reason", "damaged" if doc_type == "issue" else "")
    return DocumentInput(doc_type, wh.id, lines=lines, **kw)


BAD_QUANTITIES = [
    ("-1", "Line 2: Quantity must be positive"),
    ("0", "Line 2: Quantity must be positive"),
    ("NaN", "Line 2: Quantity must be a number, not “NaN”"),
    (float("nan"), "Line 2: Quantity must be a number, not “nan”"),
    ("inf", "Line 2: Quantity must be a number, not “inf”"),
    ("-Infinity", "Line 2: Quantity must be a number, not “-Infinity”"),
    ("1e20", "Line 2: Quantity must be a number, not “1e20”"),  # an exponent is no way people write a quantity
    ("0.0000001", "Line 2: Quantity: too many decimal places in 0.0000001 (at most 6)"),
    ("", "Line 2: A number is required"),
    (None, "Line 2: A number is required"),
    ("ten", "Line 2: Quantity must be a number, not “ten”"),
    (True, "Line 2: Quantity must be a number, not “True”"),
]


@pytest.mark.parametrize("doc_type", ["receipt", "issue", "transfer", "customer_return", "supplier_return"])
@pytest.mark.parametrize(("qty", "message"), BAD_QUANTITIES)
def test_bad_quantity_names_its_line(session, world, doc_type, qty, message):
    wh, shop, it, other = world
    lines = [LineInput(it.id, "1", unit_cost="5"), LineInput(other.id, qty, unit_cost="5")]
    kw = {"dest_warehouse_id": shop.id} if doc_type == "transfer" else {}
    assert refused(session, _doc(doc_type, wh, lines, **kw)) == [message]


@pytest.mark.parametrize(("qty", "message"), [
    ("-1", "Line 2: The counted quantity cannot be negative"),
    ("NaN", "Line 2: Quantity must be a number, not “NaN”"),
    ("1e20", "Line 2: Quantity must be a number, not “1e20”"),  # an exponent is no way people write a quantity
])
def test_bad_counted_quantity(session, world, qty, message):
    wh, _, it, other = world
    assert refused(session, _doc("count", wh, [LineInput(it.id, "0"), LineInput(other.id, qty)])) == [message]


@pytest.mark.parametrize(("cost", "message"), [
    ("-5", "Line 2: Unit cost cannot be negative"),
    ("NaN", "Line 2: Unit cost must be a number, not “NaN”"),
    ("1.00001", "Line 2: Unit cost: too many decimal places in 1.00001 (at most 4)"),
    (None, "Line 2: Enter the unit cost"),
])
def test_bad_unit_cost(session, world, cost, message):
    wh, _, it, other = world
    lines = [LineInput(it.id, "1", unit_cost="5"), LineInput(other.id, "1", unit_cost=cost)]
    assert refused(session, _doc("receipt", wh, lines)) == [message]


def test_line_value_beyond_the_money_column_is_refused(session, world):
    wh, _, it, other = world
    lines = [LineInput(it.id, "1", unit_cost="5"), LineInput(other.id, "999999999999", unit_cost="99999999999999")]
    [message] = refused(session, _doc("receipt", wh, lines))
    assert message.startswith("Line 2: ")


def test_quantity_beyond_the_column_after_unit_conversion_is_refused(session, world):
    wh, _, it, _ = world
    f.unit_conversion(it, "box", "10")
    [message] = refused(session, _doc("receipt", wh, [LineInput(it.id, "100000000000", "box", unit_cost="1")]))
    assert message.startswith("Line 1: Quantity: the number 1000000000000")


def test_unknown_unit_and_unit_without_conversion(session, world):
    wh, _, it, other = world
    lines = [LineInput(it.id, "1", unit_code="crate", unit_cost="5"), LineInput(other.id, "1", unit_code="box",
                                                                               unit_cost="5")]
    assert refused(session, _doc("receipt", wh, lines)) == [
        "Line 1: Unknown unit crate", "Line 2: Unit box is not defined for WASHER"]


@pytest.mark.parametrize("item_id", [999_999, None, 0])
def test_unknown_item(session, world, item_id):
    wh, _, it, _ = world
    lines = [LineInput(it.id, "1", unit_cost="5"), LineInput(item_id, "1", unit_cost="5")]
    assert refused(session, _doc("receipt", wh, lines)) == ["Line 2: Unknown item"]


def test_service_item_has_no_stock(session, world):
    wh, _, it, _ = world
    svc = f.item("INSTALL", kind="service")
    assert refused(session, _doc("receipt", wh, [LineInput(svc.id, "1", unit_cost="5")])) == [
        "Line 1: INSTALL is a service and has no stock"]


@pytest.mark.parametrize("doc_type", ["issue", "transfer", "supplier_return"])
def test_issue_beyond_stock_in_a_fifo_warehouse(session, world, doc_type):
    wh, shop, it, other = world
    kw = {"dest_warehouse_id": shop.id} if doc_type == "transfer" else {}
    lines = [LineInput(it.id, "4"), LineInput(it.id, "7"), LineInput(other.id, "1")]
    draft = create_document(session, _doc(doc_type, wh, lines, **kw))  # a draft may ask for anything
    before = f.row_counts()
    with pytest.raises(DomainError) as exc:
        post_document(session, draft.id)
    assert f.row_counts() == before
    messages = exc.value.messages()
    assert [m.split(":")[0] for m in messages] == ["Line 2", "Line 3"]
    assert "Insufficient stock of NUT NUT: requested 7" in messages[0] and "available 6" in messages[0]
    assert "Insufficient stock of WASHER WASHER: requested 1" in messages[1] and "available 0" in messages[1]
    assert f.balance(it, wh) == (D(10), D(50))
    assert draft.state == "draft" and draft.number is None
    assert verify_stock(session) == []


def test_issue_beyond_stock_in_an_average_warehouse_is_allowed(session, world):
    _, shop, it, _ = world
    f.issue(shop, [(it, 3)])
    assert f.balance(it, shop) == (D(-3), D(0))
    assert verify_stock(session) == []


def test_transfer_to_the_same_warehouse(session, world):
    wh, _, it, _ = world
    assert refused(session, _doc("transfer", wh, [LineInput(it.id, "1")], dest_warehouse_id=wh.id)) == [
        "The destination warehouse must differ from the source"]
    assert refused(session, _doc("transfer", wh, [LineInput(it.id, "1")])) == [
        "Choose the destination warehouse of the transfer"]


@pytest.mark.parametrize("reason", ["", "   "])
def test_write_off_without_a_reason(session, world, reason):
    wh, _, it, _ = world
    assert refused(session, _doc("issue", wh, [LineInput(it.id, "1")], reason=reason)) == [
        "Give the reason of the write-off"]


def test_document_with_no_lines(session, world):
    wh, _, _, _ = world
    assert refused(session, _doc("receipt", wh, [])) == ["The document has no lines"]


def test_unknown_warehouse_and_document_type(session, world):
    _, _, it, _ = world
    assert refused(session, DocumentInput("receipt", 999_999, lines=[LineInput(it.id, "1", unit_cost="1")])) == [
        "Choose an active warehouse"]
    assert refused(session, DocumentInput("gift", None, lines=[LineInput(it.id, "1")])) == [
        "Unknown document type gift", "Choose an active warehouse"]


def test_every_problem_of_a_document_is_reported_together(session, world):
    wh, shop, it, other = world
    lines = [
        LineInput(it.id, "-1"),
        LineInput(999_999, "1"),
        LineInput(other.id, "1", unit_code="crate"),
        LineInput(it.id, "2"),
        LineInput(other.id, "0.0000001"),
    ]
    assert sorted(refused(session, _doc("issue", wh, lines, reason="", rate="-2"))) == sorted([
        "Line 2: Unknown item",
        "Line 3: Unknown unit crate",
        "Line 5: Quantity: too many decimal places in 0.0000001 (at most 6)",
        "Give the reason of the write-off",
        "The exchange rate must be positive",
        "Line 1: Quantity must be positive",
    ])


def test_two_bad_lines_give_two_messages(session, world):
    wh, _, it, other = world
    lines = [LineInput(it.id, "0"), LineInput(it.id, "1"), LineInput(other.id, "NaN")]
    assert sorted(refused(session, _doc("issue", wh, lines))) == [
        "Line 1: Quantity must be positive", "Line 3: Quantity must be a number, not “NaN”"]


def test_posting_checks_the_draft_again(session, world):
    """A draft valid when saved is checked again when posted: the warehouse may have been closed."""
    wh, _, it, _ = world
    d = create_document(session, _doc("issue", wh, [LineInput(it.id, "1")]))
    wh.active = False
    session.commit()
    before = f.row_counts()
    with pytest.raises(DomainError) as exc:
        post_document(session, d.id)
    assert exc.value.messages() == ["Choose an active warehouse"]
    assert f.row_counts() == before
    assert d.state == "draft"
