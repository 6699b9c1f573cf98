"""The limits every calculator runs under: size, shape, magnitude and time.

They make a hostile or careless formula cheap to refuse: the source is measured before it is
parsed, the tree before it is evaluated, every intermediate number and text after each operation,
and the clock while evaluating.
"""

from __future__ import annotations

from decimal import Decimal

MAX_SOURCE_CHARS = 20_000  # formulas of one calculator
MAX_EXPRESSION_CHARS = 2_000  # one output or BOM quantity expression
MAX_LINES = 400  # named results in one calculator
MAX_NODES = 5_000  # syntax-tree nodes of one calculator
MAX_DEPTH = 40  # nesting of one expression
MAX_ABS = Decimal("1e15")  # every number, after every operation: |x| < MAX_ABS
MAX_EXPONENT = 100  # |y| in x ** y
MAX_ROUND_PLACES = 10
MAX_STRING = 1_000  # characters of any text value
MAX_ARGS = 20  # arguments of min / max
DEADLINE_SECONDS = 0.25  # wall time of one evaluation
