"""Demo billing: three months of invoices relative to today, for the sites and charges facilities made.

Where the facilities demo has not made any (it loads first, at order 40), billing makes its own two sites and a few
charges per startup so the billing pages still have something true to show: two months of finalised and paid
invoices, one open, one overdue, a credit note, a partial payment, a draft to review, and this month's charges
waiting for a run.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlmodel import Session, col, select

from billing import repository as repo
from billing import service
from billing.models import Invoice, InvoiceStatus, PaymentMethod
from facilities.models import Charge, ChargeCategory, Site, TaxRate
from incubator.db import utcnow
from incubator.models import AuditEvent
from startups.models import Startup


def _months_back(today: date, n: int) -> date:
    d = service.month_start(today)
    for _ in range(n):
        d = service.month_start(d - timedelta(days=1))
    return d


def _ensure_sites(session: Session) -> list[Site]:
    sites = list(session.exec(select(Site).order_by(col(Site.code))))
    if sites:
        return sites
    london = Site(
        name="London Bioprocess Lab",
        code="LDN",
        address="1 Wharf Road, London N1 7GS, United Kingdom",
        timezone="Europe/London",
        currency="GBP",
        legal_name="Incubator Labs London Ltd",
        legal_address="1 Wharf Road, London N1 7GS, United Kingdom",
        tax_id="GB 123 4567 89",
        bank_details="Barclays, sort code 20-00-00, account 12345678, IBAN GB29 BARC 2000 0012 3456 78",
        invoice_footer="Registered in England and Wales, company no. 01234567.",
    )
    shenzhen = Site(
        name="Shenzhen Biofoundry",
        code="SZ",
        address="深圳市南山区科技园 1 号",
        timezone="Asia/Shanghai",
        currency="CNY",
        legal_name="深圳孵化器生物科技有限公司",
        legal_address="广东省深圳市南山区科技园 1 号",
        tax_id="91440300MA5EXAMPLE",
        bank_details="招商银行 深圳分行 7559 0000 0000 0000",
    )
    session.add_all([london, shenzhen])
    session.flush()
    session.add(TaxRate(site_id=london.id, name="VAT", rate=Decimal("0.20"), effective_date=date(2020, 1, 1)))
    session.add(TaxRate(site_id=shenzhen.id, name="增值税 VAT", rate=Decimal("0.06"), effective_date=date(2020, 1, 1)))
    session.flush()
    return [london, shenzhen]


def _ensure_charges(session: Session, sites: list[Site], startups: list[Startup], today: date) -> None:
    if session.exec(select(Charge.id).limit(1)).first() is not None:
        return
    london = next((s for s in sites if s.currency == "GBP"), sites[0])
    for n in range(4, -1, -1):
        month = _months_back(today, n)
        for index, startup in enumerate(startups):
            site = london if index % 4 else sites[-1]
            scale = 1 if site.currency == "GBP" else 9
            discount = Decimal("0.10") if index % 3 == 0 else Decimal(0)
            rows = [
                (ChargeCategory.membership, f"Silver membership {month:%B %Y}", 45000, Decimal(0)),
                (ChargeCategory.lease, f"Lab bench B{index + 1}, {month:%B %Y}", 120000 + 5000 * index, discount),
                (ChargeCategory.booking, "Fermenter 300 L, 6 h beyond allowance", 54000, discount),
                (ChargeCategory.service, "HPLC titre assay x 4", 32000, discount),
            ]
            for number, (category, text, amount, rate) in enumerate(rows):
                session.add(
                    Charge(
                        site_id=site.id,
                        startup_id=startup.id,
                        category=category,
                        description=text,
                        source_type="billing_demo",
                        source_ref=f"{startup.id}-{month:%Y-%m}-{number}",
                        service_date=month + timedelta(days=number * 3),
                        unit_amount_minor=amount * scale,
                        amount_minor=amount * scale,
                        currency=site.currency,
                        discount_rate=rate,
                    )
                )
    session.flush()


def _bill(session: Session, site: Site, period: date) -> list[Invoice]:
    start, end = service.period_bounds(period)
    charges = repo.billable_charges(
        session, site_id=site.id, currency=site.currency, period_start=start, period_end=end
    )
    schedule = service.TaxSchedule(repo.tax_rates(session, site.id))
    by_startup: dict[uuid.UUID, list[repo.BillableCharge]] = {}
    for charge in charges:
        by_startup.setdefault(charge.startup_id, []).append(charge)
    for startup_id, items in by_startup.items():
        service.bill_startup(
            session,
            site=site,
            startup_id=startup_id,
            period_start=start,
            charges=items,
            schedule=schedule,  # type: ignore[arg-type]
        )
    return list(
        session.exec(
            select(Invoice)
            .where(Invoice.site_id == site.id, Invoice.period_start == start)
            .order_by(col(Invoice.startup_id))
        )
    )


def load(session: Session) -> None:
    startups = list(session.exec(select(Startup).order_by(col(Startup.created_at), col(Startup.name)).limit(8)))
    if not startups:
        return
    today = utcnow().date()
    sites = _ensure_sites(session)
    _ensure_charges(session, sites, startups, today)
    p1, p2, p3 = _months_back(today, 3), _months_back(today, 2), _months_back(today, 1)
    credit_done = partial_done = overdue_done = draft_kept = False
    for site in sites:
        for period in (p1, p2, p3):
            issue = service.next_month(period)
            for invoice in _bill(session, site, period):
                if period == p3 and not draft_kept and site.currency == "GBP":
                    draft_kept = True  # one draft left for finance to review
                    continue
                invoice = service.finalize_invoice(session, invoice=invoice, actor=None, today=issue, send_email=False)
                if invoice.status != InvoiceStatus.open:
                    continue
                if period == p1 and not overdue_done and site.currency == "GBP":
                    overdue_done = True  # issued three months ago, never paid: overdue
                    continue
                if period == p2 and not credit_done:
                    credit_done = True
                    line = repo.lines_of(session, invoice.id)[-1]
                    service.create_credit_note(
                        session,
                        invoice=invoice,
                        reason="Assay repeated at our cost (instrument fault)",
                        amounts={line.id: line.net_minor // 2},
                        actor=None,
                        today=issue + timedelta(days=3),
                    )
                if period == p3:
                    if not partial_done:
                        partial_done = True
                        service.record_payment(
                            session,
                            invoice=invoice,
                            amount_minor=invoice.amount_due_minor // 2,
                            method=PaymentMethod.bank_transfer,
                            received_date=min(issue + timedelta(days=2), today),
                            reference="BACS part payment",
                            actor=None,
                        )
                    continue  # this month's invoices are open, not yet due
                service.record_payment(
                    session,
                    invoice=invoice,
                    amount_minor=invoice.amount_due_minor,
                    method=PaymentMethod.bank_transfer,
                    received_date=issue + timedelta(days=12),
                    reference=f"BACS {invoice.number_label}",
                    actor=None,
                )
    session.flush()
    _date_history(session)


def _date_history(session: Session) -> None:
    """The demo's documents were made just now but stand for the past months: date their finalisation and their
    audit events on the invoice's issue date, so the history reads as it would have happened."""
    noon = time(12, tzinfo=UTC)
    for invoice in session.exec(select(Invoice).where(col(Invoice.issue_date).is_not(None))):
        assert invoice.issue_date is not None
        invoice.finalized_at = datetime.combine(invoice.issue_date, noon)
        session.add(invoice)
    events = session.exec(
        select(AuditEvent).where(col(AuditEvent.action).startswith("billing."), AuditEvent.object_type == "invoice")
    )
    for event in events:
        documented = session.get(Invoice, uuid.UUID(event.object_id))
        if documented is not None:
            day = documented.issue_date or documented.period_start
            event.occurred_at = datetime.combine(day, noon)
            session.add(event)
    session.flush()
