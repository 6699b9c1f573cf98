"""The stock grid's running totals read a typed number as the server does: the page's parser
(app/static/js/fabrika_numbers.js) and app/domain/numbers.py agree on every case, including the
ambiguous Russian "1.234" that the server refuses (the page used to add it up as 1.234)."""

from __future__ import annotations

import json
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from app.domain.numbers import NumberError, parse_number

JS = Path(__file__).resolve().parents[2] / "app" / "static" / "js" / "fabrika_numbers.js"
TEXTS = ["1.234", "1,234", "1,5", "1.5", "0.125", ",5", "50 000,00", "50\u00a0000,00", "50\u202f000.5", "50.000,00",
         "50,000.00", "1.234.567", "1,234,567", "12.34.5", "-1,5", "\u22122 000", "+7", "abc", "", "1e3", "5 0000",
         "1.234,5", "1 234.567,8", "12,3456", "1.2345", "007"]


def _python(text: str, locale: str) -> float | None:
    try:
        return float(parse_number(text, locale))
    except NumberError:
        return None


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_page_reads_numbers_as_the_server_does():
    script = (f"const N = require({json.dumps(str(JS))}); const texts = {json.dumps(TEXTS)};"
              "console.log(JSON.stringify(['ru', 'es', 'en'].map(l => texts.map(t => N.parse(t, l)))));")
    out = json.loads(subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True,
                                    timeout=30).stdout)
    for locale, page in zip(("ru", "es", "en"), out, strict=True):
        server = [_python(t, locale) for t in TEXTS]
        assert page == server, [(t, p, s) for t, p, s in zip(TEXTS, page, server, strict=True) if p != s]
    assert out[0][0] is None and out[1][0] == 1234 and out[2][1] == 1234  # "1.234": refused in ru, 1234 in es
    assert Decimal(str(out[0][6])) == Decimal("50000")
