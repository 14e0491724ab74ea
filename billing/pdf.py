"""Invoice and credit-note PDFs: a Jinja2 template rendered by WeasyPrint.

Fonts: the stylesheet names "Noto Sans CJK SC" after the Latin fonts, so Chinese names and addresses render where
Debian's `fonts-noto-cjk` is installed. Without a CJK font WeasyPrint still renders the PDF (the characters fall
back to whatever glyphs fontconfig finds); `cjk_font_available()` tells pages and tests which case applies.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from functools import lru_cache
from typing import Any

from sqlmodel import Session

from billing import repository as repo
from billing.models import CreditNote, Invoice
from facilities.models import Site
from incubator.money import format_money
from incubator.templating import email_environment

CJK_FAMILY = "Noto Sans CJK SC"


@lru_cache
def cjk_font_available() -> bool:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    try:
        out = subprocess.run([fc_list, ":lang=zh"], capture_output=True, text=True, timeout=10, check=False).stdout  # noqa: S603
    except (OSError, subprocess.SubprocessError):
        return False
    return "CJK" in out


_CJK_RUN = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]+")
MISSING_FONT_NOTE = "[text in CJK script not shown: no CJK font installed on the server]"


def printable(text: object) -> str:
    """The text as it can be printed truthfully: without a CJK font, CJK runs would come out as boxes or as wrong
    characters in the PDF's text layer, so they are replaced by a plain statement that they are not shown."""
    value = "" if text is None else str(text)
    if cjk_font_available():
        return value
    return _CJK_RUN.sub(MISSING_FONT_NOTE, value)


def _render(template: str, context: dict[str, Any]) -> bytes:
    from weasyprint import HTML

    html = email_environment().get_template(template).render(money=format_money, t=printable, **context)
    return bytes(HTML(string=html).write_pdf())


def invoice_pdf(session: Session, invoice: Invoice) -> bytes:
    site = session.get(Site, invoice.site_id)
    assert site is not None
    return _render(
        "billing/invoice_pdf.html",
        {
            "doc_title": "Invoice" if invoice.number_label else "Draft invoice (not a tax document)",
            "invoice": invoice,
            "lines": repo.lines_of(session, invoice.id),
            "site": site,
            "credit_note": None,
            "cjk": cjk_font_available(),
        },
    )


def credit_note_pdf(session: Session, note: CreditNote) -> bytes:
    invoice = session.get(Invoice, note.invoice_id)
    site = session.get(Site, note.site_id)
    assert invoice is not None and site is not None
    return _render(
        "billing/invoice_pdf.html",
        {
            "doc_title": "Credit note",
            "invoice": invoice,
            "lines": repo.credit_note_lines(session, note.id),
            "site": site,
            "credit_note": note,
            "cjk": cjk_font_available(),
        },
    )
