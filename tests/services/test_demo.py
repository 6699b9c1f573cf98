"""The demo story loads into an empty database, consistently, and only once."""

from decimal import Decimal

from app.models.catalog import Item
from app.models.stock import StockBalance, StockDocument, Warehouse
from app.services.demo import load_demo
from app.services.stock.verify import verify_stock


def test_demo_loads_once_and_is_consistent(app, session):
    assert "loaded" in load_demo()
    assert "nothing loaded" in load_demo()
    main = session.query(Warehouse).filter_by(code="MAIN").one()
    cpu = session.query(Item).filter_by(code="CPU-A1").one()
    bal = session.query(StockBalance).filter_by(item_id=cpu.id, warehouse_id=main.id).one()
    # 10 @ 1800 + 4 @ 1900 received; 2 went to warranty repairs from the oldest lot
    assert bal.qty == Decimal(12) and bal.value == Decimal(8 * 1800 + 4 * 1900)
    assert session.query(StockDocument).filter_by(state="draft").count() == 1
    assert verify_stock(session) == []


def test_stock_verify_command(app, session):
    load_demo()
    result = app.test_cli_runner().invoke(args=["stock", "verify"])
    assert result.exit_code == 0, result.output
    assert "0 differences" in result.output
