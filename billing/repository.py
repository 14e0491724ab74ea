"""Every query of the billing package, including who may see which invoice."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from billing.models import (
    BillingAccount,
    BillingRun,
    ChargeDeferral,
    ClosedPeriod,
    CreditBalanceEntry,
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    NumberSeries,
    Payment,
    PaymentAttempt,
)
from facilities.models import Charge, Site, TaxRate
from incubator.models import Role, User
from incubator.pagination import Page, PageParams
from incubator.repository import Repository
from startups.models import Startup, StartupMember

FINANCE_ROLES = (Role.finance,)


@dataclass(frozen=True)
class BillableCharge:
    id: uuid.UUID
    startup_id: uuid.UUID
    category: str
    description: str
    service_date: date
    quantity: Decimal
    unit_amount_minor: int
    amount_minor: int
    discount_rate: Decimal


def billable_charges(
    session: Session,
    *,
    site_id: uuid.UUID,
    currency: str,
    period_start: date,
    period_end: date,
    startup_id: uuid.UUID | None = None,
) -> list[BillableCharge]:
    """Charges a run of [period_start, period_end) must invoice: not void, not on any invoice yet, dated before the
    period ends (an earlier charge that was never invoiced is picked up too, so none is skipped), and not moved by
    finance to a later month."""
    invoiced = select(InvoiceLine.charge_id).where(col(InvoiceLine.charge_id).is_not(None))
    deferred_later = select(ChargeDeferral.charge_id).where(ChargeDeferral.period_start > period_start)
    stmt = (
        sa.select(
            col(Charge.id),
            col(Charge.startup_id),
            col(Charge.category),
            col(Charge.description),
            col(Charge.service_date),
            col(Charge.quantity),
            col(Charge.unit_amount_minor),
            col(Charge.amount_minor),
            col(Charge.discount_rate),
        )
        .where(
            col(Charge.site_id) == site_id,
            col(Charge.currency) == currency,
            col(Charge.voided_at).is_(None),
            col(Charge.service_date) < period_end,
            col(Charge.id).not_in(invoiced),
            col(Charge.id).not_in(deferred_later),
        )
        .order_by(col(Charge.startup_id), col(Charge.service_date), col(Charge.source_type), col(Charge.source_ref))
    )
    if startup_id is not None:
        stmt = stmt.where(col(Charge.startup_id) == startup_id)
    return [
        BillableCharge(
            id=r[0],
            startup_id=r[1],
            category=str(getattr(r[2], "value", r[2])),
            description=r[3],
            service_date=r[4],
            quantity=Decimal(r[5]),
            unit_amount_minor=r[6],
            amount_minor=r[7],
            discount_rate=Decimal(r[8]),
        )
        for r in session.execute(stmt).all()
    ]


def tax_rates(session: Session, site_id: uuid.UUID) -> list[TaxRate]:
    return list(session.exec(select(TaxRate).where(TaxRate.site_id == site_id).order_by(col(TaxRate.effective_date))))


def site_by_code(session: Session, code: str) -> Site | None:
    return session.exec(select(Site).where(func.upper(Site.code) == code.strip().upper())).first()


def sites(session: Session) -> list[Site]:
    return list(session.exec(select(Site).order_by(col(Site.name))))


def is_closed(session: Session, site_id: uuid.UUID, period_start: date) -> bool:
    stmt = select(ClosedPeriod.id).where(ClosedPeriod.site_id == site_id, ClosedPeriod.period_start == period_start)
    return session.exec(stmt).first() is not None


def closed_periods(session: Session, site_id: uuid.UUID | None = None) -> list[ClosedPeriod]:
    stmt = select(ClosedPeriod).order_by(col(ClosedPeriod.period_start).desc())
    if site_id is not None:
        stmt = stmt.where(ClosedPeriod.site_id == site_id)
    return list(session.exec(stmt))


def run_for(session: Session, site_id: uuid.UUID, period_start: date) -> BillingRun | None:
    stmt = select(BillingRun).where(BillingRun.site_id == site_id, BillingRun.period_start == period_start)
    return session.exec(stmt).first()


def recent_runs(session: Session, limit: int = 20) -> list[BillingRun]:
    return list(session.exec(select(BillingRun).order_by(col(BillingRun.started_at).desc()).limit(limit)))


def invoice_for(session: Session, *, startup_id: uuid.UUID, site_id: uuid.UUID, period_start: date) -> Invoice | None:
    stmt = select(Invoice).where(
        Invoice.startup_id == startup_id, Invoice.site_id == site_id, Invoice.period_start == period_start
    )
    return session.exec(stmt).first()


def lines_of(session: Session, invoice_id: uuid.UUID) -> list[InvoiceLine]:
    stmt = select(InvoiceLine).where(InvoiceLine.invoice_id == invoice_id)
    return list(session.exec(stmt.order_by(col(InvoiceLine.position), col(InvoiceLine.id))))


def credit_notes_of(session: Session, invoice_id: uuid.UUID) -> list[CreditNote]:
    stmt = select(CreditNote).where(CreditNote.invoice_id == invoice_id).order_by(col(CreditNote.number))
    return list(session.exec(stmt))


def credit_note_lines(session: Session, credit_note_id: uuid.UUID) -> list[CreditNoteLine]:
    return list(session.exec(select(CreditNoteLine).where(CreditNoteLine.credit_note_id == credit_note_id)))


def credited_on_line(session: Session, invoice_line_id: uuid.UUID) -> tuple[int, int]:
    """(net, tax) already credited on an invoice line."""
    stmt = select(
        func.coalesce(func.sum(CreditNoteLine.net_minor), 0), func.coalesce(func.sum(CreditNoteLine.tax_minor), 0)
    ).where(CreditNoteLine.invoice_line_id == invoice_line_id)
    net, tax = session.exec(stmt).one()
    return int(net), int(tax)


def payments_of(session: Session, invoice_id: uuid.UUID) -> list[Payment]:
    stmt = select(Payment).where(Payment.invoice_id == invoice_id).order_by(col(Payment.created_at))
    return list(session.exec(stmt))


def payment_by_intent(session: Session, payment_intent_id: str) -> Payment | None:
    return session.exec(select(Payment).where(Payment.stripe_payment_intent_id == payment_intent_id)).first()


def attempt_by_intent(session: Session, payment_intent_id: str) -> PaymentAttempt | None:
    stmt = select(PaymentAttempt).where(PaymentAttempt.stripe_payment_intent_id == payment_intent_id)
    return session.exec(stmt).first()


def attempts_of(session: Session, invoice_id: uuid.UUID) -> list[PaymentAttempt]:
    stmt = (
        select(PaymentAttempt).where(PaymentAttempt.invoice_id == invoice_id).order_by(col(PaymentAttempt.attempt_no))
    )
    return list(session.exec(stmt))


def account_for(session: Session, startup_id: uuid.UUID) -> BillingAccount | None:
    return session.exec(select(BillingAccount).where(BillingAccount.startup_id == startup_id)).first()


def credit_balance(session: Session, startup_id: uuid.UUID, currency: str) -> int:
    stmt = select(func.coalesce(func.sum(CreditBalanceEntry.amount_minor), 0)).where(
        CreditBalanceEntry.startup_id == startup_id, CreditBalanceEntry.currency == currency
    )
    return int(session.exec(stmt).one())


def series(session: Session, key: str, *, for_update: bool) -> NumberSeries | None:
    stmt = select(NumberSeries).where(NumberSeries.key == key)
    if for_update:
        stmt = stmt.with_for_update()
    return session.exec(stmt).first()


def all_series(session: Session) -> list[NumberSeries]:
    return list(session.exec(select(NumberSeries).order_by(col(NumberSeries.key))))


def numbered_invoices(session: Session, series_key: str) -> list[Invoice]:
    stmt = select(Invoice).where(Invoice.series == series_key).order_by(col(Invoice.number))
    return list(session.exec(stmt))


def numbered_credit_notes(session: Session, series_key: str) -> list[CreditNote]:
    stmt = select(CreditNote).where(CreditNote.series == series_key).order_by(col(CreditNote.number))
    return list(session.exec(stmt))


def member_startup_ids(user_id: uuid.UUID) -> Any:
    return select(StartupMember.startup_id).where(StartupMember.user_id == user_id)


def overdue_invoices(session: Session, *, today: date, site_id: uuid.UUID | None = None) -> list[Invoice]:
    stmt = select(Invoice).where(
        col(Invoice.status).in_([InvoiceStatus.open]), col(Invoice.due_date).is_not(None), col(Invoice.due_date) < today
    )
    if site_id is not None:
        stmt = stmt.where(Invoice.site_id == site_id)
    return list(session.exec(stmt.order_by(col(Invoice.due_date))))


def overdue_days_for_startup(session: Session, startup_id: uuid.UUID, today: date) -> int:
    """How many days the startup's oldest unpaid open invoice is past its due date (0 when none is)."""
    stmt = select(func.min(Invoice.due_date)).where(
        Invoice.startup_id == startup_id, Invoice.status == InvoiceStatus.open, col(Invoice.due_date).is_not(None)
    )
    oldest = session.exec(stmt).one()
    if oldest is None or oldest >= today:
        return 0
    return (today - oldest).days


class InvoiceRepository(Repository[Invoice]):
    model = Invoice
    label = "invoice"

    def readable_filter(self, user: User) -> Any:
        if user.has_role(*FINANCE_ROLES):
            return None
        return col(Invoice.startup_id).in_(member_startup_ids(user.id))

    def readable_by(self, user: User, invoice_id: uuid.UUID) -> Invoice | None:
        stmt = select(Invoice).where(Invoice.id == invoice_id)
        where = self.readable_filter(user)
        if where is not None:
            # Founders never see drafts: a draft is finance's working copy.
            stmt = stmt.where(where, Invoice.status != InvoiceStatus.draft)
        return self.session.exec(stmt).first()

    def search(
        self,
        user: User,
        params: PageParams,
        *,
        status: InvoiceStatus | None = None,
        site_id: uuid.UUID | None = None,
        startup_id: uuid.UUID | None = None,
        period_start: date | None = None,
    ) -> Page[Invoice]:
        stmt = select(Invoice)
        where = self.readable_filter(user)
        if where is not None:
            stmt = stmt.where(where, Invoice.status != InvoiceStatus.draft)
        if status is not None:
            stmt = stmt.where(Invoice.status == status)
        if site_id is not None:
            stmt = stmt.where(Invoice.site_id == site_id)
        if startup_id is not None:
            stmt = stmt.where(Invoice.startup_id == startup_id)
        if period_start is not None:
            stmt = stmt.where(Invoice.period_start == period_start)
        stmt = stmt.order_by(col(Invoice.period_start).desc(), col(Invoice.number).desc(), col(Invoice.created_at))
        return self.paginate(stmt, params)

    def startup_names(self, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
        if not ids:
            return {}
        rows = self.session.exec(select(Startup.id, Startup.name).where(col(Startup.id).in_(ids))).all()
        return {r[0]: r[1] for r in rows}


class CreditNoteRepository(Repository[CreditNote]):
    model = CreditNote
    label = "credit note"

    def readable_by(self, user: User, credit_note_id: uuid.UUID) -> CreditNote | None:
        stmt = select(CreditNote).where(CreditNote.id == credit_note_id)
        if not user.has_role(*FINANCE_ROLES):
            stmt = stmt.where(col(CreditNote.startup_id).in_(member_startup_ids(user.id)))
        return self.session.exec(stmt).first()

    def search(self, params: PageParams, *, site_id: uuid.UUID | None = None) -> Page[CreditNote]:
        stmt = select(CreditNote)
        if site_id is not None:
            stmt = stmt.where(CreditNote.site_id == site_id)
        return self.paginate(stmt.order_by(col(CreditNote.created_at).desc()), params)


class PaymentRepository(Repository[Payment]):
    model = Payment
    label = "payment"

    def search(self, params: PageParams, *, site_id: uuid.UUID | None = None) -> Page[Payment]:
        stmt = select(Payment)
        if site_id is not None:
            stmt = stmt.where(Payment.site_id == site_id)
        return self.paginate(stmt.order_by(col(Payment.created_at).desc()), params)


def aging_rows(session: Session, site_id: uuid.UUID, today: date) -> list[tuple[Invoice, int]]:
    """Open and uncollectible invoices with an amount due, with days past due (negative = not yet due)."""
    stmt = select(Invoice).where(
        Invoice.site_id == site_id,
        col(Invoice.status).in_([InvoiceStatus.open, InvoiceStatus.uncollectible]),
    )
    out = []
    for inv in session.exec(stmt):
        if inv.amount_due_minor > 0 and inv.due_date is not None:
            out.append((inv, (today - inv.due_date).days))
    return out


def revenue_rows(session: Session, site_id: uuid.UUID | None = None) -> list[tuple[uuid.UUID, date, str, str, int]]:
    """(site, period, currency, category, net) over finalised, non-void invoices."""
    stmt = (
        sa.select(
            col(Invoice.site_id),
            col(Invoice.period_start),
            col(Invoice.currency),
            col(InvoiceLine.category),
            func.sum(InvoiceLine.net_minor),
        )
        .join(InvoiceLine, col(InvoiceLine.invoice_id) == Invoice.id)
        .where(col(Invoice.status).in_([InvoiceStatus.open, InvoiceStatus.paid, InvoiceStatus.uncollectible]))
        .group_by(col(Invoice.site_id), col(Invoice.period_start), col(Invoice.currency), col(InvoiceLine.category))
        .order_by(col(Invoice.period_start))
    )
    if site_id is not None:
        stmt = stmt.where(col(Invoice.site_id) == site_id)
    return [(r[0], r[1], r[2], r[3], int(r[4])) for r in session.execute(stmt).all()]


def documents_for_export(
    session: Session, site_id: uuid.UUID, period_start: date, period_end: date
) -> tuple[list[Invoice], list[CreditNote], list[Payment]]:
    invoices = list(
        session.exec(
            select(Invoice)
            .where(
                Invoice.site_id == site_id,
                col(Invoice.number).is_not(None),
                col(Invoice.issue_date) >= period_start,
                col(Invoice.issue_date) < period_end,
            )
            .order_by(col(Invoice.number))
        )
    )
    notes = list(
        session.exec(
            select(CreditNote)
            .where(
                CreditNote.site_id == site_id,
                CreditNote.issue_date >= period_start,
                CreditNote.issue_date < period_end,
            )
            .order_by(col(CreditNote.number))
        )
    )
    payments = list(
        session.exec(
            select(Payment)
            .where(
                Payment.site_id == site_id,
                Payment.received_date >= period_start,
                Payment.received_date < period_end,
            )
            .order_by(col(Payment.received_date), col(Payment.created_at))
        )
    )
    return invoices, notes, payments


def lines_for_invoices(session: Session, invoice_ids: list[uuid.UUID]) -> list[InvoiceLine]:
    if not invoice_ids:
        return []
    stmt = select(InvoiceLine).where(col(InvoiceLine.invoice_id).in_(invoice_ids))
    return list(session.exec(stmt.order_by(col(InvoiceLine.invoice_id), col(InvoiceLine.position))))


def startups_with_charges(session: Session, site_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
    stmt = (
        sa.select(col(Startup.id), col(Startup.name))
        .where(col(Startup.id).in_(select(Charge.startup_id).where(Charge.site_id == site_id)))
        .order_by(col(Startup.name))
    )
    return [(r[0], r[1]) for r in session.execute(stmt).all()]


def finance_summary(session: Session, today: date) -> dict[str, int]:
    drafts = session.exec(select(func.count()).select_from(Invoice).where(Invoice.status == InvoiceStatus.draft)).one()
    open_count = session.exec(
        select(func.count()).select_from(Invoice).where(Invoice.status == InvoiceStatus.open)
    ).one()
    overdue = session.exec(
        select(func.count())
        .select_from(Invoice)
        .where(Invoice.status == InvoiceStatus.open, col(Invoice.due_date) < today)
    ).one()
    return {"drafts": int(drafts), "open": int(open_count), "overdue": int(overdue)}


def open_invoices_for_member(session: Session, user_id: uuid.UUID, limit: int = 5) -> list[Invoice]:
    stmt = (
        select(Invoice)
        .where(
            col(Invoice.startup_id).in_(member_startup_ids(user_id)),
            col(Invoice.status).in_([InvoiceStatus.open, InvoiceStatus.uncollectible]),
        )
        .order_by(col(Invoice.due_date))
        .limit(limit)
    )
    return list(session.exec(stmt))


def invoiced_charge_ids(session: Session, charge_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these charges are on an invoice line already (of any invoice, void included: a line's charge is
    never billed twice, so it is never voided or re-priced in facilities either)."""
    found: set[uuid.UUID] = set()
    for i in range(0, len(charge_ids), 5000):
        chunk = charge_ids[i : i + 5000]
        rows = session.exec(select(InvoiceLine.charge_id).where(col(InvoiceLine.charge_id).in_(chunk))).all()
        found.update(r for r in rows if r is not None)
    return found
