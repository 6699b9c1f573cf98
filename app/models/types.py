"""Exact Decimal column types for money and quantities, on SQLite as on PostgreSQL.

PostgreSQL's NUMERIC is exact. SQLite stores NUMERIC as a double and sums in floating point
(STACK.md section 10), so on SQLite these types store scaled integers (minor units): SUM stays
exact integer arithmetic and values come back as Decimal. Rule: never multiply or divide two of
these columns in SQL (the scale would be wrong on SQLite); add, subtract, compare and SUM freely.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import BigInteger, Numeric
from sqlalchemy.types import TypeDecorator

from app.domain.money import MONEY_PLACES, QTY_PLACES


class _ScaledDecimal(TypeDecorator):
    impl = Numeric
    cache_ok = True
    places = 4

    def __init__(self) -> None:
        super().__init__(precision=18, scale=self.places, asdecimal=True)

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(18, self.places, asdecimal=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = Decimal(value) if not isinstance(value, Decimal) else value
        if dialect.name == "sqlite":
            return int(value.scaleb(self.places).to_integral_value())
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-self.places)
        return Decimal(value)

    def result_processor(self, dialect, coltype):
        """On SQLite, the same conversion as process_result_value without its per-value overhead.

        Reports read thousands of these per page; the generic TypeDecorator path (two calls, the
        dialect test, int(), scaleb) cost about as much as the query. Decimal(int) * 1E-places
        gives the same Decimal, exponent included (e.g. 1.500000), without a context lookup.
        """
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)
        unit = Decimal(1).scaleb(-self.places)

        def process(value):
            if value is None:
                return None
            return Decimal(value if type(value) is int else int(value)) * unit

        return process

    def bind_processor(self, dialect):
        """On SQLite, process_bind_param's conversion in one call (the KPI job binds a million of these)."""
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)
        places = self.places

        def process(value):
            if value is None:
                return None
            if type(value) is not Decimal:
                value = Decimal(value)
            return int(value.scaleb(places).to_integral_value())

        return process

    def coerce_compared_value(self, op, value):
        return self


class Money(_ScaledDecimal):
    """Money amount, 4 decimal places."""

    cache_ok = True

    places = MONEY_PLACES


class Quantity(_ScaledDecimal):
    """Quantity, 6 decimal places."""

    cache_ok = True

    places = QTY_PLACES


class Rate(_ScaledDecimal):
    """Exchange rates and factors, 8 decimal places."""

    cache_ok = True

    places = 8
