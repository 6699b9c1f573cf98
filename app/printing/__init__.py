"""Printed forms (PDF) for Fabrika: Jinja templates -> xhtml2pdf, independent of Flask.

    from app.printing import render_pdf, amount_in_words
    pdf_bytes = render_pdf("company_card.html", {"company": {...}, "printed_at": date, "user": "..."}, "ru")

See :mod:`app.printing.render` for the context keys and the resource rules, and
:mod:`app.printing.formatting` for the money/number/date filters.
"""

from .formatting import amount_in_words, money
from .render import PdfRenderError, render_html, render_pdf

__all__ = ["render_pdf", "render_html", "amount_in_words", "money", "PdfRenderError"]
