"""Golden tests of invoice arithmetic, computed by hand: lines -> discounts -> tax, rounded once per line."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import Session

from billing import repository as repo
from billing import service
from billing.errors import CreditExceedsRemaining
from billing.models import InvoiceStatus
from billing.runs import run_period
from facilities.models import ChargeCategory
from tests.billing.builders import make_charge, make_site, make_tax_rate
from tests.support.factories import make_startup

NOV = date(2026, 11, 1)


def _golden_setup(session: Session):  # type: ignore[no-untyped-def]
    site = make_site(session, tax_rate=Decimal("0.20"))
    # The rate changes mid-month: a line is taxed at the rate in force on its own service date.
    make_tax_rate(session, site=site, rate=Decimal("0.175"), effective=date(2026, 11, 16))
    startup = make_startup(session, name="Golden Bio")
    # Proration: a desk at 600.00/month leased from 10 November = 21/30 of the month = 420.00 (facilities computes
    # it; it arrives as the charge amount), member discount 10 %.
    make_charge(
        session,
        site=site,
        startup=startup,
        amount_minor=42000,
        service_date=date(2026, 11, 10),
        category=ChargeCategory.lease,
        description="Desk 4, 10-30 Nov (21/30 days)",
        discount_rate=Decimal("0.10"),
    )
    make_charge(
        session,
        site=site,
        startup=startup,
        amount_minor=25000,
        service_date=date(2026, 11, 1),
        category=ChargeCategory.membership,
        description="Silver membership, November",
    )
    # Allowance: hours inside the plan's allowance arrive as a zero-amount charge.
    make_charge(
        session,
        site=site,
        startup=startup,
        amount_minor=0,
        service_date=date(2026, 11, 3),
        description="HPLC 2 h (included hours)",
        discount_rate=Decimal("0.15"),
    )
    # Beyond the allowance: 2.5 h at 33.33 = 83.325 -> 83.33 charged; discount 15 % = 12.4995 -> 12.50.
    make_charge(
        session,
        site=site,
        startup=startup,
        amount_minor=8333,
        service_date=date(2026, 11, 12),
        description="Fermenter 5 L 2.5 h beyond allowance",
        discount_rate=Decimal("0.15"),
        quantity=Decimal("2.5"),
    )
    # After the rate change: 123.45, discount 10 % = 12.345 -> 12.35 (half away from zero), tax 17.5 %.
    make_charge(
        session,
        site=site,
        startup=startup,
        amount_minor=12345,
        service_date=date(2026, 11, 20),
        category=ChargeCategory.service,
        description="Titre assay x 3",
        discount_rate=Decimal("0.10"),
    )
    # Outside the month: not on November's invoice.
    make_charge(session, site=site, startup=startup, amount_minor=999, service_date=date(2026, 12, 1))
    return site, startup


EXPECTED = {
    # description: (amount, discount, net, tax, total)
    "Desk 4, 10-30 Nov (21/30 days)": (42000, 4200, 37800, 7560, 45360),
    "Silver membership, November": (25000, 0, 25000, 5000, 30000),
    "HPLC 2 h (included hours)": (0, 0, 0, 0, 0),
    "Fermenter 5 L 2.5 h beyond allowance": (8333, 1250, 7083, 1417, 8500),
    "Titre assay x 3": (12345, 1235, 11110, 1944, 13054),
}


def test_invoice_lines_follow_the_documented_order_and_round_once_per_line(session: Session) -> None:
    site, startup = _golden_setup(session)
    preview = service.preview_invoice(session, site=site, startup_id=startup.id, period_start=NOV)
    got = {
        line.description: (line.amount_minor, line.discount_minor, line.net_minor, line.tax_minor, line.total_minor)
        for line in preview.lines
    }
    assert got == EXPECTED
    assert preview.totals == service.Totals(87678, 6685, 80993, 15921, 96914)
    # The preview wrote nothing.
    assert repo.invoice_for(session, startup_id=startup.id, site_id=site.id, period_start=NOV) is None

    run_period(site_id=site.id, period_start=NOV)
    session.expire_all()
    invoice = repo.invoice_for(session, startup_id=startup.id, site_id=site.id, period_start=NOV)
    assert invoice is not None and invoice.status == InvoiceStatus.draft
    invoice = service.finalize_invoice(session, invoice=invoice, actor=None, today=date(2026, 12, 1))
    session.commit()
    lines = repo.lines_of(session, invoice.id)
    assert {
        line.description: (line.amount_minor, line.discount_minor, line.net_minor, line.tax_minor, line.total_minor)
        for line in lines
    } == EXPECTED
    # The preview equals the finalised invoice, line for line and in its totals.
    assert [service._as_priced(line) for line in lines] == preview.lines
    assert (invoice.subtotal_minor, invoice.discount_minor, invoice.net_minor, invoice.tax_minor) == (
        87678,
        6685,
        80993,
        15921,
    )
    assert invoice.total_minor == 96914
    assert invoice.number == 1 and invoice.number_label == f"{site.code}-000001"
    assert {(t["name"], t["rate"]) for t in invoice.tax_snapshot or []} == {("VAT", "0.2"), ("VAT", "0.175")}


def test_credit_notes_copy_tax_from_the_line_and_never_exceed_what_is_left(session: Session) -> None:
    site, startup = _golden_setup(session)
    run_period(site_id=site.id, period_start=NOV)
    session.expire_all()
    invoice = repo.invoice_for(session, startup_id=startup.id, site_id=site.id, period_start=NOV)
    assert invoice is not None
    invoice = service.finalize_invoice(session, invoice=invoice, actor=None, today=date(2026, 12, 1))
    lines = {line.description: line for line in repo.lines_of(session, invoice.id)}
    fermenter = lines["Fermenter 5 L 2.5 h beyond allowance"]

    part = service.create_credit_note(
        session,
        invoice=invoice,
        reason="Run aborted",
        amounts={fermenter.id: 3000},
        actor=None,
        today=date(2026, 12, 2),
    )
    assert (part.net_minor, part.tax_minor, part.total_minor) == (3000, 600, 3600)
    assert part.number == 1 and part.number_label == f"CN-{site.code}-000001"
    with pytest.raises(CreditExceedsRemaining):
        service.create_credit_note(
            session,
            invoice=invoice,
            reason="Too much",
            amounts={fermenter.id: 4084},
            actor=None,
            today=date(2026, 12, 2),
        )
    # The rest of the line: its exact remaining tax is copied (817), so the line is credited to the unit.
    rest = service.create_credit_note(
        session, invoice=invoice, reason="Rest", amounts={fermenter.id: 4083}, actor=None, today=date(2026, 12, 2)
    )
    assert (rest.net_minor, rest.tax_minor, rest.total_minor) == (4083, 817, 4900)
    assert part.total_minor + rest.total_minor == fermenter.total_minor
    whole = service.create_credit_note(
        session, invoice=invoice, reason="Cancel all", actor=None, today=date(2026, 12, 2)
    )
    assert (whole.net_minor, whole.tax_minor, whole.total_minor) == (73910, 14504, 88414)
    assert whole.number == 3
    session.refresh(invoice)
    assert invoice.credited_minor == invoice.total_minor == 96914
    assert invoice.amount_due_minor == 0
    with pytest.raises(Exception, match="Nothing is left"):
        service.create_credit_note(session, invoice=invoice, reason="Again", actor=None, today=date(2026, 12, 2))
    assert all(not r.problems for r in service.verify_chains(session))
