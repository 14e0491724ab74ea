"""Who may reach each billing route (see tests/authz/rule.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session

from billing.models import Invoice, InvoiceLine, InvoiceStatus
from tests.authz.rule import PUBLIC, SIGNED_IN, Rule, only

FINANCE = only("finance")
# Founders reach their own startups' invoices; everyone else who is not finance is told it does not exist.
INVOICE_READERS = only("finance", "founder", hidden_as_404=True)
FINANCE_INVOICE = only("finance", hidden_as_404=True)

RULES: dict[tuple[str, str], Rule] = {
    # API
    ("POST", "/api/v1/billing-runs"): FINANCE,
    ("GET", "/api/v1/billing-runs"): FINANCE,
    ("GET", "/api/v1/invoices"): SIGNED_IN,
    ("GET", "/api/v1/invoices/{invoice_id}"): INVOICE_READERS,
    ("GET", "/api/v1/invoices/{invoice_id}.pdf"): INVOICE_READERS,
    ("GET", "/api/v1/invoice-previews"): FINANCE,
    ("POST", "/api/v1/invoices/{invoice_id}/lines"): FINANCE,
    ("POST", "/api/v1/invoices/{invoice_id}/lines/{line_id}/move-to-next-month"): FINANCE,
    ("PATCH", "/api/v1/invoices/{invoice_id}"): FINANCE,
    ("POST", "/api/v1/invoices/{invoice_id}/finalize"): FINANCE,
    ("POST", "/api/v1/invoices/{invoice_id}/void"): FINANCE,
    ("POST", "/api/v1/invoices/{invoice_id}/mark-uncollectible"): FINANCE,
    ("POST", "/api/v1/invoices/{invoice_id}/pay"): INVOICE_READERS,
    ("GET", "/api/v1/credit-notes"): FINANCE,
    ("POST", "/api/v1/credit-notes"): FINANCE,
    ("GET", "/api/v1/credit-notes/{credit_note_id}.pdf"): INVOICE_READERS,
    ("GET", "/api/v1/payments"): FINANCE,
    ("POST", "/api/v1/payments"): FINANCE,
    ("POST", "/api/v1/webhooks/stripe"): PUBLIC,
    ("POST", "/api/v1/closed-periods"): FINANCE,
    ("GET", "/api/v1/reports/ar-aging"): FINANCE,
    ("GET", "/api/v1/billing/chain-verification"): FINANCE,
    ("GET", "/api/v1/exports/invoices.csv"): FINANCE,
    # Pages
    ("GET", "/billing"): FINANCE,
    ("GET", "/billing/preview"): FINANCE,
    ("POST", "/billing/runs"): FINANCE,
    ("POST", "/billing/closed-periods"): FINANCE,
    ("GET", "/billing/exports"): FINANCE,
    ("GET", "/invoices"): SIGNED_IN,
    ("GET", "/invoices/{invoice_id}"): INVOICE_READERS,
    ("GET", "/invoices/{invoice_id}/pdf"): INVOICE_READERS,
    ("POST", "/invoices/{invoice_id}/finalize"): FINANCE_INVOICE,
    ("POST", "/invoices/{invoice_id}/void"): FINANCE_INVOICE,
    ("POST", "/invoices/{invoice_id}/uncollectible"): FINANCE_INVOICE,
    ("POST", "/invoices/{invoice_id}/lines"): FINANCE_INVOICE,
    ("POST", "/invoices/{invoice_id}/lines/{line_id}/move"): FINANCE_INVOICE,
    ("POST", "/invoices/{invoice_id}/note"): FINANCE_INVOICE,
    ("POST", "/invoices/{invoice_id}/payments"): FINANCE_INVOICE,
    ("POST", "/invoices/{invoice_id}/credit-notes"): FINANCE_INVOICE,
    ("POST", "/invoices/{invoice_id}/pay"): INVOICE_READERS,
}


def world(session: Session, users: dict[str, Any]) -> dict[str, str]:
    """An open invoice of a startup the founder user belongs to, with a line and a credit note."""
    from billing import service
    from tests.billing.builders import make_charge, make_site
    from tests.support.factories import make_startup

    founder = users["founder"]
    startup = make_startup(session, name="Authz Billing Bio", founder=founder)
    site = make_site(session)
    make_charge(session, site=site, startup=startup, amount_minor=5000, service_date=date(2026, 11, 3))
    from billing.runs import run_period

    run_period(site_id=site.id, period_start=date(2026, 11, 1))
    session.expire_all()
    invoice = session.query(Invoice).filter(Invoice.startup_id == startup.id).one()
    service.finalize_invoice(session, invoice=invoice, actor=None, today=date(2026, 12, 1))
    line = session.query(InvoiceLine).filter(InvoiceLine.invoice_id == invoice.id).one()
    note = service.create_credit_note(
        session, invoice=invoice, reason="authz", amounts={line.id: 100}, actor=None, today=date(2026, 12, 1)
    )
    session.commit()
    assert invoice.status == InvoiceStatus.open
    return {"invoice_id": str(invoice.id), "line_id": str(line.id), "credit_note_id": str(note.id)}
