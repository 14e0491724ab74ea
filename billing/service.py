"""Use cases of the billing package. Services flush, never commit (the run orchestrator in `billing.runs` owns its
transactions, one per startup).

**The order of invoice arithmetic**, used by the run, the preview and one-off lines alike (`price_line`):

1. line: the charge's list amount (already in minor units; proration and allowance are decided by facilities and
   arrive as the charge's amount);
2. discount: `round_minor(amount x discount_rate)`, subtracted -> net;
3. tax: `round_minor(net x rate in force on the line's service date)` -> total = net + tax.

Each line is rounded once per step (half away from zero); invoice totals are sums of the rounded lines.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from billing import repository as repo
from billing import stripe_client
from billing.errors import (
    CreditExceedsRemaining,
    InvoiceImmutable,
    PaymentNotPossible,
    PeriodClosed,
    StripeNotConfigured,
)
from billing.models import (
    AttemptStatus,
    BillingAccount,
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
    PaymentMethod,
    StripeEvent,
)
from facilities.models import Site, TaxRate
from incubator import audit
from incubator.config import get_settings
from incubator.db import is_postgres, utcnow
from incubator.email import queue_email
from incubator.errors import AppError, InvalidTransition, NotFound, ValidationFailed
from incubator.jobs import enqueue, registered_jobs
from incubator.models import User
from incubator.money import format_money, round_minor
from startups.models import Startup

# ---------------------------------------------------------------------------------------------------------------
# Periods and dates


def month_start(d: date) -> date:
    return d.replace(day=1)


def next_month(d: date) -> date:
    return date(d.year + (d.month == 12), d.month % 12 + 1, 1)


def period_bounds(period_start: date) -> tuple[date, date]:
    start = month_start(period_start)
    return start, next_month(start)


def parse_period(text: str) -> date:
    """'2026-11' -> date(2026, 11, 1); a clear error otherwise."""
    try:
        year, month = text.strip().split("-")[:2]
        return date(int(year), int(month), 1)
    except (ValueError, TypeError):
        raise ValidationFailed(
            f"{text!r} is not a month; write it as YYYY-MM, for example 2026-11.", field_errors={"period": "YYYY-MM"}
        ) from None


def site_today(site: Site, now: datetime | None = None) -> date:
    """'Today' in the site's time zone: a period and a due date are the site's calendar, not the server's."""
    moment = now or utcnow()
    try:
        return moment.astimezone(ZoneInfo(site.timezone)).date()
    except (KeyError, ValueError):
        return moment.astimezone(UTC).date()


def period_is_closed(session: Session, *, site_id: uuid.UUID, on: date) -> bool:
    """Whether the month containing `on` is closed for the site (facilities may call this before creating
    charges)."""
    return repo.is_closed(session, site_id, month_start(on))


def ensure_period_open(session: Session, *, site_id: uuid.UUID, on: date, what: str) -> None:
    if period_is_closed(session, site_id=site_id, on=on):
        raise PeriodClosed(
            f"{on:%B %Y} is closed for this site: {what} dated in it cannot be created or changed. "
            "Date it in an open month; a correction to a closed month is a credit note dated now."
        )


def close_period(session: Session, *, site: Site, period_start: date, actor: User | None) -> ClosedPeriod:
    start = month_start(period_start)
    existing = session.exec(
        select(ClosedPeriod).where(ClosedPeriod.site_id == site.id, ClosedPeriod.period_start == start)
    ).first()
    if existing is not None:
        raise InvalidTransition(f"{start:%B %Y} is already closed for {site.name}.")
    drafts = session.exec(
        select(sa.func.count())
        .select_from(Invoice)
        .where(Invoice.site_id == site.id, Invoice.period_start == start, Invoice.status == InvoiceStatus.draft)
    ).one()
    if drafts:
        raise InvalidTransition(
            f"{start:%B %Y} still has {drafts} draft invoice(s) for {site.name}: finalise or move their lines first."
        )
    closed = ClosedPeriod(site_id=site.id, period_start=start, closed_by_id=actor.id if actor else None)
    session.add(closed)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="billing.period.close",
        object_type="site",
        object_id=site.id,
        summary=f"Closed {start:%Y-%m} for {site.code}",
    )
    return closed


# ---------------------------------------------------------------------------------------------------------------
# Arithmetic: lines -> discounts -> tax


@dataclass(frozen=True)
class TaxInForce:
    name: str
    rate: Decimal


class TaxSchedule:
    """A site's tax rates by effective date; the rate in force on a day is the latest one that started on or before
    it (none -> 0)."""

    def __init__(self, rates: Iterable[TaxRate]):
        self._rates = sorted(((r.effective_date, r.name, Decimal(r.rate)) for r in rates), key=lambda r: r[0])

    def on(self, day: date) -> TaxInForce:
        found = TaxInForce("", Decimal(0))
        for effective, name, rate in self._rates:
            if effective <= day:
                found = TaxInForce(name, rate)
            else:
                break
        return found


@dataclass(frozen=True)
class PricedLine:
    charge_id: uuid.UUID | None
    category: str
    description: str
    service_date: date
    quantity: Decimal
    unit_amount_minor: int
    amount_minor: int
    discount_rate: Decimal
    discount_minor: int
    net_minor: int
    tax_name: str
    tax_rate: Decimal
    tax_minor: int
    total_minor: int


def price_line(
    *,
    charge_id: uuid.UUID | None,
    category: str,
    description: str,
    service_date: date,
    quantity: Decimal,
    unit_amount_minor: int,
    amount_minor: int,
    discount_rate: Decimal,
    tax: TaxInForce,
) -> PricedLine:
    discount = round_minor(Decimal(amount_minor) * discount_rate)
    net = amount_minor - discount
    tax_minor = round_minor(Decimal(net) * tax.rate)
    return PricedLine(
        charge_id=charge_id,
        category=category,
        description=description,
        service_date=service_date,
        quantity=quantity,
        unit_amount_minor=unit_amount_minor,
        amount_minor=amount_minor,
        discount_rate=discount_rate,
        discount_minor=discount,
        net_minor=net,
        tax_name=tax.name,
        tax_rate=tax.rate,
        tax_minor=tax_minor,
        total_minor=net + tax_minor,
    )


def price_charges(charges: Iterable[repo.BillableCharge], schedule: TaxSchedule) -> list[PricedLine]:
    return [
        price_line(
            charge_id=c.id,
            category=c.category,
            description=c.description,
            service_date=c.service_date,
            quantity=c.quantity,
            unit_amount_minor=c.unit_amount_minor,
            amount_minor=c.amount_minor,
            discount_rate=c.discount_rate,
            tax=schedule.on(c.service_date),
        )
        for c in charges
    ]


@dataclass(frozen=True)
class Totals:
    subtotal_minor: int
    discount_minor: int
    net_minor: int
    tax_minor: int
    total_minor: int


def totals_of(lines: Iterable[PricedLine | InvoiceLine]) -> Totals:
    subtotal = discount = net = tax = total = 0
    for line in lines:
        subtotal += line.amount_minor
        discount += line.discount_minor
        net += line.net_minor
        tax += line.tax_minor
        total += line.total_minor
    return Totals(subtotal, discount, net, tax, total)


def _line_row(invoice_id: uuid.UUID, position: int, line: PricedLine) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "invoice_id": invoice_id,
        "charge_id": line.charge_id,
        "position": position,
        "category": line.category,
        "description": line.description[:300],
        "service_date": line.service_date,
        "quantity": line.quantity,
        "unit_amount_minor": line.unit_amount_minor,
        "amount_minor": line.amount_minor,
        "discount_rate": line.discount_rate,
        "discount_minor": line.discount_minor,
        "net_minor": line.net_minor,
        "tax_name": line.tax_name,
        "tax_rate": line.tax_rate,
        "tax_minor": line.tax_minor,
        "total_minor": line.total_minor,
        "credited_minor": 0,
    }


# ---------------------------------------------------------------------------------------------------------------
# Drafts: what a run does for one startup, and the preview through the same code


@dataclass
class StartupBilled:
    invoice_id: uuid.UUID
    created: bool
    lines_added: int


def _lock_invoice(session: Session, invoice_id: uuid.UUID) -> Invoice:
    stmt = select(Invoice).where(Invoice.id == invoice_id)
    if is_postgres(session):
        # Two runs of one period meet here: the second waits until the first commits, then sees its lines.
        stmt = stmt.with_for_update()
    invoice = session.exec(stmt.execution_options(populate_existing=True)).one()
    return invoice


def _refresh_totals(session: Session, invoice: Invoice) -> None:
    stmt = sa.select(
        sa.func.coalesce(sa.func.sum(InvoiceLine.amount_minor), 0),
        sa.func.coalesce(sa.func.sum(InvoiceLine.discount_minor), 0),
        sa.func.coalesce(sa.func.sum(InvoiceLine.net_minor), 0),
        sa.func.coalesce(sa.func.sum(InvoiceLine.tax_minor), 0),
        sa.func.coalesce(sa.func.sum(InvoiceLine.total_minor), 0),
        sa.func.coalesce(sa.func.max(InvoiceLine.position), 0),
    ).where(col(InvoiceLine.invoice_id) == invoice.id)
    subtotal, discount, net, tax, total, _ = session.execute(stmt).one()
    invoice.subtotal_minor, invoice.discount_minor, invoice.net_minor = int(subtotal), int(discount), int(net)
    invoice.tax_minor, invoice.total_minor = int(tax), int(total)
    invoice.updated_at = utcnow()
    session.add(invoice)
    session.flush()


def _table(name: str) -> sa.Table:
    return SQLModel.metadata.tables[name]


def bill_startups(
    session: Session,
    *,
    site: Site,
    period_start: date,
    charges_by_startup: Mapping[uuid.UUID, Sequence[repo.BillableCharge]],
    schedule: TaxSchedule,
    run_id: uuid.UUID | None = None,
    recheck: bool = True,
) -> dict[uuid.UUID, StartupBilled | None]:
    """Put each startup's un-invoiced charges of the period on its draft invoice (created if missing), in a few
    statements for the whole batch: lock the batch's existing invoices, look up which charges are already on a line,
    insert the new invoices (with their totals) and all new lines with one executemany each.

    Idempotent: charges already on a line are skipped, and `invoice_line.charge_id` and the invoice's (startup, site,
    period) are unique, so even two racing runs cannot write a duplicate (the loser gets an IntegrityError and the
    caller retries the batch, which then finds the winner's rows). A finalised invoice of the period is left alone;
    its late charges stay un-invoiced and the next month's run picks them up.

    `recheck=False` (the run's first try at a batch) skips re-reading which charges are already invoiced when the
    batch has no invoice yet: `charges_by_startup` was read moments ago, and if another run invoiced one of them
    since, the unique `charge_id` refuses the insert and the retry rechecks.
    """
    ids = sorted(charges_by_startup)
    if not ids:
        return {}
    stmt = (
        select(Invoice.id, Invoice.startup_id, Invoice.status)
        .where(Invoice.site_id == site.id, Invoice.period_start == period_start, col(Invoice.startup_id).in_(ids))
        .order_by(col(Invoice.startup_id))
    )
    if is_postgres(session):
        # Two runs of one period meet here: the second waits until the first commits, then sees its lines.
        stmt = stmt.with_for_update()
    existing = {row[1]: (row[0], row[2]) for row in session.exec(stmt).all()}
    charge_ids = [c.id for sid in ids for c in charges_by_startup[sid]] if recheck or existing else []
    taken: set[uuid.UUID] = set()
    for i in range(0, len(charge_ids), 5000):
        chunk = charge_ids[i : i + 5000]
        taken |= {
            t for t in session.exec(select(InvoiceLine.charge_id).where(col(InvoiceLine.charge_id).in_(chunk))) if t
        }
    positions: dict[uuid.UUID, int] = {}
    draft_ids = [inv_id for inv_id, status in existing.values() if status == InvoiceStatus.draft]
    if draft_ids:
        rows = session.execute(
            sa.select(col(InvoiceLine.invoice_id), sa.func.max(InvoiceLine.position))
            .where(col(InvoiceLine.invoice_id).in_(draft_ids))
            .group_by(col(InvoiceLine.invoice_id))
        ).all()
        positions = {r[0]: int(r[1] or 0) for r in rows}
    now = utcnow()
    results: dict[uuid.UUID, StartupBilled | None] = {}
    new_invoices: list[dict[str, Any]] = []
    new_lines: list[dict[str, Any]] = []
    to_refresh: list[uuid.UUID] = []
    for sid in ids:
        priced = price_charges([c for c in charges_by_startup[sid] if c.id not in taken], schedule)
        if sid in existing:
            invoice_id, status = existing[sid]
            if status != InvoiceStatus.draft:
                results[sid] = None
                continue
            start_at = positions.get(invoice_id, 0)
            new_lines.extend(_line_row(invoice_id, start_at + i + 1, line) for i, line in enumerate(priced))
            if priced:
                to_refresh.append(invoice_id)
            results[sid] = StartupBilled(invoice_id, False, len(priced))
            continue
        invoice_id = uuid.uuid4()
        totals = totals_of(priced)
        new_invoices.append(
            {
                "id": invoice_id,
                "site_id": site.id,
                "startup_id": sid,
                "period_start": period_start,
                "billing_run_id": run_id,
                "status": InvoiceStatus.draft,
                "currency": site.currency,
                "subtotal_minor": totals.subtotal_minor,
                "discount_minor": totals.discount_minor,
                "net_minor": totals.net_minor,
                "tax_minor": totals.tax_minor,
                "total_minor": totals.total_minor,
                "paid_minor": 0,
                "credited_minor": 0,
                "note": "",
                "reminders_sent": 0,
                "created_at": now,
                "updated_at": now,
            }
        )
        new_lines.extend(_line_row(invoice_id, i + 1, line) for i, line in enumerate(priced))
        results[sid] = StartupBilled(invoice_id, True, len(priced))
    # Core inserts on the session's connection: no ORM bookkeeping for rows nobody holds as objects.
    connection = session.connection()
    if new_invoices:
        connection.execute(sa.insert(_table("invoice")), new_invoices)
    for i in range(0, len(new_lines), 5000):
        connection.execute(sa.insert(_table("invoice_line")), new_lines[i : i + 5000])
    for invoice_id in to_refresh:
        invoice = session.get(Invoice, invoice_id, populate_existing=True)
        assert invoice is not None
        _refresh_totals(session, invoice)
    return results


def bill_startup(
    session: Session,
    *,
    site: Site,
    startup_id: uuid.UUID,
    period_start: date,
    charges: Sequence[repo.BillableCharge],
    schedule: TaxSchedule,
    run_id: uuid.UUID | None = None,
) -> StartupBilled | None:
    """One startup through `bill_startups` (the preview uses it, so it runs exactly the run's code)."""
    billed = bill_startups(
        session,
        site=site,
        period_start=period_start,
        charges_by_startup={startup_id: charges},
        schedule=schedule,
        run_id=run_id,
    )
    if startup_id in billed:
        return billed[startup_id]
    # No charges: the existing draft, if any, is what the run would leave.
    existing = repo.invoice_for(session, startup_id=startup_id, site_id=site.id, period_start=period_start)
    if existing is None or existing.status != InvoiceStatus.draft:
        return None
    return StartupBilled(existing.id, False, 0)


@dataclass
class Preview:
    site: Site
    startup_id: uuid.UUID
    period_start: date
    currency: str
    lines: list[PricedLine] = field(default_factory=list)
    totals: Totals = field(default_factory=lambda: Totals(0, 0, 0, 0, 0))
    draft_id: uuid.UUID | None = None


def preview_invoice(session: Session, *, site: Site, startup_id: uuid.UUID, period_start: date) -> Preview:
    """The startup's next invoice for the period, computed by the run's own code (`bill_startup`) inside a savepoint
    that is rolled back, so nothing is written and nothing can differ from the real run."""
    start, end = period_bounds(period_start)
    with session.begin_nested() as savepoint:
        charges = repo.billable_charges(
            session, site_id=site.id, currency=site.currency, period_start=start, period_end=end, startup_id=startup_id
        )
        schedule = TaxSchedule(repo.tax_rates(session, site.id))
        billed = bill_startup(
            session, site=site, startup_id=startup_id, period_start=start, charges=charges, schedule=schedule
        )
        lines: list[PricedLine] = []
        draft_id = None
        if billed is not None:
            draft_id = billed.invoice_id
            lines = [_as_priced(line) for line in repo.lines_of(session, billed.invoice_id)]
        savepoint.rollback()
    session.expire_all()
    existing = repo.invoice_for(session, startup_id=startup_id, site_id=site.id, period_start=start)
    return Preview(
        site=site,
        startup_id=startup_id,
        period_start=start,
        currency=site.currency,
        lines=lines,
        totals=totals_of(lines),
        draft_id=existing.id if existing is not None and draft_id == existing.id else None,
    )


def _as_priced(line: InvoiceLine) -> PricedLine:
    return PricedLine(
        charge_id=line.charge_id,
        category=line.category,
        description=line.description,
        service_date=line.service_date,
        quantity=Decimal(line.quantity),
        unit_amount_minor=line.unit_amount_minor,
        amount_minor=line.amount_minor,
        discount_rate=Decimal(line.discount_rate),
        discount_minor=line.discount_minor,
        net_minor=line.net_minor,
        tax_name=line.tax_name,
        tax_rate=Decimal(line.tax_rate),
        tax_minor=line.tax_minor,
        total_minor=line.total_minor,
    )


# ---------------------------------------------------------------------------------------------------------------
# Editing drafts


def _ensure_draft(invoice: Invoice) -> None:
    if invoice.status != InvoiceStatus.draft:
        raise InvoiceImmutable(
            f"Invoice {invoice.number_label or ''} is {invoice.status.value}: a finalised invoice never changes. "
            "Correct it with a credit note, or void it."
        )


def _site(session: Session, site_id: uuid.UUID) -> Site:
    site = session.get(Site, site_id)
    if site is None:
        raise NotFound("No site with that id.")
    return site


def add_one_off_line(
    session: Session,
    *,
    invoice: Invoice,
    description: str,
    amount_minor: int,
    quantity: Decimal = Decimal(1),
    discount_rate: Decimal = Decimal(0),
    actor: User | None,
) -> InvoiceLine:
    """Finance adds a line that has no charge behind it (a one-off fee). Priced by the same rule as every line."""
    _ensure_draft(invoice)
    ensure_period_open(session, site_id=invoice.site_id, on=invoice.period_start, what="an invoice")
    if not description.strip():
        raise ValidationFailed("A line needs a description.", field_errors={"description": "Required."})
    if not Decimal(0) <= discount_rate <= Decimal(1):
        raise ValidationFailed("A discount is between 0 and 1.", field_errors={"discount_rate": "Between 0 and 1."})
    schedule = TaxSchedule(repo.tax_rates(session, invoice.site_id))
    day = invoice.period_start
    priced = price_line(
        charge_id=None,
        category="one_off",
        description=description.strip(),
        service_date=day,
        quantity=quantity,
        unit_amount_minor=round_minor(Decimal(amount_minor) / quantity) if quantity else amount_minor,
        amount_minor=amount_minor,
        discount_rate=discount_rate,
        tax=schedule.on(day),
    )
    position = max((line.position for line in repo.lines_of(session, invoice.id)), default=0) + 1
    line = InvoiceLine(**_line_row(invoice.id, position, priced))
    session.add(line)
    session.flush()
    _refresh_totals(session, invoice)
    audit.record(
        session,
        actor=actor,
        action="billing.invoice.add_line",
        object_type="invoice",
        object_id=invoice.id,
        summary=f"Added one-off line {description!r} ({amount_minor} {invoice.currency})",
    )
    return line


def move_line_to_next_month(session: Session, *, invoice: Invoice, line_id: uuid.UUID, actor: User | None) -> None:
    """Take a line off a draft. A charge line's charge stays un-invoiced and next month's run picks it up; a
    one-off line is simply removed."""
    _ensure_draft(invoice)
    ensure_period_open(session, site_id=invoice.site_id, on=invoice.period_start, what="an invoice")
    line = session.get(InvoiceLine, line_id)
    if line is None or line.invoice_id != invoice.id:
        raise NotFound("No such line on this invoice.")
    if line.charge_id is not None:
        target = next_month(invoice.period_start)
        deferral = session.exec(select(ChargeDeferral).where(ChargeDeferral.charge_id == line.charge_id)).first()
        if deferral is None:
            session.add(ChargeDeferral(charge_id=line.charge_id, period_start=target))
        else:
            deferral.period_start = target
            session.add(deferral)
    session.delete(line)
    session.flush()
    _refresh_totals(session, invoice)
    audit.record(
        session,
        actor=actor,
        action="billing.invoice.move_line",
        object_type="invoice",
        object_id=invoice.id,
        summary=f"Moved line {line.description!r} to the next month",
    )


def set_note(session: Session, *, invoice: Invoice, note: str, actor: User | None) -> Invoice:
    _ensure_draft(invoice)
    ensure_period_open(session, site_id=invoice.site_id, on=invoice.period_start, what="an invoice")
    before = invoice.note
    invoice.note = note.strip()[:2000]
    invoice.updated_at = utcnow()
    session.add(invoice)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="billing.invoice.note",
        object_type="invoice",
        object_id=invoice.id,
        before={"note": before},
        after={"note": invoice.note},
    )
    return invoice


# ---------------------------------------------------------------------------------------------------------------
# Numbers and the hash chain


def invoice_series_key(site: Site) -> str:
    return f"INV-{site.code.upper()}"


def credit_series_key(site: Site) -> str:
    return f"CN-{site.code.upper()}"


def _take_number(session: Session, key: str) -> tuple[int, str | None, NumberSeries]:
    """The next number of a series and the hash of the last document in it, with the counter row locked until the
    transaction ends (FOR UPDATE on PostgreSQL; SQLite's write transaction is already serialised by BEGIN
    IMMEDIATE). A rolled-back transaction gives its number back, so numbers stay gapless."""
    row = repo.series(session, key, for_update=True)
    if row is None:
        try:
            with session.begin_nested():
                session.add(NumberSeries(key=key, next_number=1))
                session.flush()
        except IntegrityError:
            pass
        row = repo.series(session, key, for_update=True)
        assert row is not None
    session.refresh(row)
    number = row.next_number
    row.next_number = number + 1
    session.add(row)
    return number, row.last_hash, row


def _canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()


def invoice_hash_payload(invoice: Invoice, lines: Sequence[InvoiceLine]) -> dict[str, Any]:
    """The content an invoice's hash covers: everything printed on it. Status and payments are not content."""
    return {
        "series": invoice.series,
        "number": invoice.number,
        "label": invoice.number_label,
        "site_id": str(invoice.site_id),
        "startup_id": str(invoice.startup_id),
        "period": invoice.period_start.isoformat(),
        "issue_date": invoice.issue_date.isoformat() if invoice.issue_date else None,
        "due_date": invoice.due_date.isoformat() if invoice.due_date else None,
        "currency": invoice.currency,
        "customer": [invoice.customer_name, invoice.customer_address, invoice.customer_tax_id],
        "totals": [
            invoice.subtotal_minor,
            invoice.discount_minor,
            invoice.net_minor,
            invoice.tax_minor,
            invoice.total_minor,
        ],
        "note": invoice.note,
        "lines": [
            [
                line.position,
                line.description,
                str(Decimal(line.quantity).normalize()),
                line.amount_minor,
                str(Decimal(line.discount_rate).normalize()),
                line.discount_minor,
                line.net_minor,
                str(Decimal(line.tax_rate).normalize()),
                line.tax_minor,
                line.total_minor,
            ]
            for line in sorted(lines, key=lambda x: (x.position, str(x.id)))
        ],
    }


def chain_hash(payload: dict[str, Any], previous_hash: str | None) -> str:
    return hashlib.sha256((previous_hash or "").encode() + b"|" + _canonical(payload)).hexdigest()


def credit_note_hash_payload(note: CreditNote, lines: Sequence[CreditNoteLine]) -> dict[str, Any]:
    return {
        "series": note.series,
        "number": note.number,
        "label": note.number_label,
        "invoice_id": str(note.invoice_id),
        "issue_date": note.issue_date.isoformat(),
        "currency": note.currency,
        "reason": note.reason,
        "totals": [note.net_minor, note.tax_minor, note.total_minor],
        "lines": sorted(
            [str(x.invoice_line_id), x.net_minor, str(Decimal(x.tax_rate).normalize()), x.tax_minor, x.total_minor]
            for x in lines
        ),
    }


@dataclass
class ChainReport:
    series: str
    documents: int
    problems: list[str]


def verify_chains(session: Session) -> list[ChainReport]:
    """Recompute every series' hash chain and check its numbers run 1, 2, 3... with no gap and no repeat."""
    reports = []
    for row in repo.all_series(session):
        problems: list[str] = []
        docs: list[tuple[int | None, str | None, str | None, str]] = []
        if row.key.startswith("INV-"):
            for inv in repo.numbered_invoices(session, row.key):
                payload = invoice_hash_payload(inv, repo.lines_of(session, inv.id))
                docs.append((inv.number, inv.previous_hash, inv.content_hash, chain_hash(payload, inv.previous_hash)))
        else:
            for note in repo.numbered_credit_notes(session, row.key):
                payload = credit_note_hash_payload(note, repo.credit_note_lines(session, note.id))
                docs.append(
                    (note.number, note.previous_hash, note.content_hash, chain_hash(payload, note.previous_hash))
                )
        previous: str | None = None
        for expected, (number, prev, stored, computed) in enumerate(docs, start=1):
            if number != expected:
                problems.append(f"{row.key}: expected number {expected}, found {number}")
            if prev != previous:
                problems.append(f"{row.key} #{number}: previous hash does not match the document before it")
            if stored != computed:
                problems.append(f"{row.key} #{number}: content does not match its hash (changed after finalising)")
            previous = stored
        if row.next_number != len(docs) + 1:
            problems.append(f"{row.key}: counter at {row.next_number} but {len(docs)} documents are numbered")
        if row.last_hash != previous:
            problems.append(f"{row.key}: the series' last hash is not the last document's hash")
        reports.append(ChainReport(row.key, len(docs), problems))
    return reports


# ---------------------------------------------------------------------------------------------------------------
# Finalise, void, uncollectible


def _snapshot_customer(session: Session, invoice: Invoice) -> None:
    startup = session.get(Startup, invoice.startup_id)
    assert startup is not None
    invoice.customer_name = (startup.legal_name or startup.name)[:200]
    invoice.customer_address = startup.billing_address or ""
    invoice.customer_tax_id = startup.tax_id or ""
    invoice.customer_email = startup.billing_email


def finalize_invoice(
    session: Session, *, invoice: Invoice, actor: User | None, today: date | None = None, send_email: bool = True
) -> Invoice:
    """Draft -> open: the next number of the site's series (taken inside this transaction), snapshots of customer
    and tax, the hash chain, then any credit balance is applied. The zero-amount policy is decided before a number
    is taken: with `billing_issue_zero_invoices` off, an empty draft is voided unnumbered instead."""
    if invoice.status != InvoiceStatus.draft:
        raise InvoiceImmutable(f"Invoice {invoice.number_label} is already finalised ({invoice.status.value}).")
    site = _site(session, invoice.site_id)
    ensure_period_open(session, site_id=site.id, on=invoice.period_start, what="an invoice")
    # Re-read under a lock so two finalisations of one draft cannot both pass the status check.
    invoice = _lock_invoice(session, invoice.id)
    if invoice.status != InvoiceStatus.draft:
        raise InvoiceImmutable("This invoice was finalised a moment ago by someone else.")
    lines = repo.lines_of(session, invoice.id)
    _refresh_totals(session, invoice)
    settings = get_settings()
    if invoice.total_minor == 0 and not settings.billing_issue_zero_invoices:
        invoice.status = InvoiceStatus.void
        invoice.voided_at = utcnow()
        invoice.void_reason = "Zero amount: not issued (INCUBATOR_BILLING_ISSUE_ZERO_INVOICES is off)."
        session.add(invoice)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="billing.invoice.skip_zero",
            object_type="invoice",
            object_id=invoice.id,
            summary="Zero-amount draft closed without a number",
        )
        return invoice
    if invoice.total_minor < 0:
        raise InvalidTransition("An invoice cannot total less than zero; use a credit note instead.")
    issue = today or site_today(site)
    ensure_period_open(session, site_id=site.id, on=issue, what="an invoice")
    key = invoice_series_key(site)
    number, previous_hash, series_row = _take_number(session, key)
    _snapshot_customer(session, invoice)
    invoice.series = key
    invoice.number = number
    invoice.number_label = f"{site.code.upper()}-{number:06d}"
    invoice.issue_date = issue
    invoice.due_date = issue + timedelta(days=settings.billing_payment_terms_days)
    invoice.tax_snapshot = sorted(
        ({"name": line.tax_name, "rate": str(Decimal(line.tax_rate).normalize())} for line in lines),
        key=lambda t: (t["name"], t["rate"]),
    )
    invoice.tax_snapshot = [dict(t) for t in {(t["name"], t["rate"]): t for t in invoice.tax_snapshot}.values()]
    invoice.status = InvoiceStatus.open
    invoice.finalized_at = utcnow()
    invoice.previous_hash = previous_hash
    invoice.content_hash = chain_hash(invoice_hash_payload(invoice, lines), previous_hash)
    series_row.last_hash = invoice.content_hash
    session.add(series_row)
    session.add(invoice)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="billing.invoice.finalize",
        object_type="invoice",
        object_id=invoice.id,
        summary=f"Finalised {invoice.number_label} for {invoice.total_minor} {invoice.currency}",
        after={"number": invoice.number_label, "total_minor": invoice.total_minor},
    )
    _apply_credit_balance(session, invoice=invoice, actor=actor)
    if invoice.status == InvoiceStatus.open and invoice.amount_due_minor == 0:
        _settle(session, invoice, applied=0)  # an issued zero invoice is settled at once
    if send_email and invoice.customer_email and "billing.send_invoice" in registered_jobs():
        enqueue(
            session, "billing.send_invoice", {"invoice_id": str(invoice.id)}, dedupe_key=f"invoice-mail-{invoice.id}"
        )
    return invoice


def _apply_credit_balance(session: Session, *, invoice: Invoice, actor: User | None) -> None:
    balance = repo.credit_balance(session, invoice.startup_id, invoice.currency)
    use = min(balance, invoice.amount_due_minor)
    if use <= 0:
        return
    assert invoice.issue_date is not None
    payment = Payment(
        invoice_id=invoice.id,
        site_id=invoice.site_id,
        startup_id=invoice.startup_id,
        method=PaymentMethod.credit_balance,
        amount_minor=use,
        applied_minor=use,
        currency=invoice.currency,
        received_date=invoice.issue_date,
        reference="Credit balance",
        recorded_by_id=actor.id if actor else None,
    )
    session.add(payment)
    session.flush()
    session.add(
        CreditBalanceEntry(
            startup_id=invoice.startup_id,
            currency=invoice.currency,
            amount_minor=-use,
            payment_id=payment.id,
            invoice_id=invoice.id,
            note=f"Used on {invoice.number_label}",
        )
    )
    _settle(session, invoice, applied=use)


def _settle(session: Session, invoice: Invoice, *, applied: int) -> None:
    invoice.paid_minor += applied
    if invoice.status in (InvoiceStatus.open, InvoiceStatus.uncollectible) and invoice.amount_due_minor == 0:
        invoice.status = InvoiceStatus.paid
        invoice.paid_at = utcnow()
    elif invoice.status == InvoiceStatus.paid and invoice.amount_due_minor > 0:
        invoice.status = InvoiceStatus.open
        invoice.paid_at = None
    invoice.updated_at = utcnow()
    session.add(invoice)
    session.flush()


def void_invoice(session: Session, *, invoice: Invoice, reason: str, actor: User | None) -> Invoice:
    """Open or uncollectible -> void. The number stays used; the charges stay on it (bill again with new charges or
    a new one-off line)."""
    if invoice.status == InvoiceStatus.draft:
        raise InvalidTransition("A draft has no number to void; move its lines to next month instead.")
    if invoice.status not in (InvoiceStatus.open, InvoiceStatus.uncollectible):
        raise InvalidTransition(f"A {invoice.status.value} invoice cannot be voided.")
    if invoice.paid_minor > 0:
        raise InvalidTransition("Payments were received on this invoice: issue a credit note instead of voiding it.")
    today = site_today(_site(session, invoice.site_id))
    ensure_period_open(session, site_id=invoice.site_id, on=today, what="a void")
    before = invoice.status
    invoice.status = InvoiceStatus.void
    invoice.voided_at = utcnow()
    invoice.void_reason = reason.strip()[:500] or "Voided"
    session.add(invoice)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="billing.invoice.void",
        object_type="invoice",
        object_id=invoice.id,
        summary=f"Voided {invoice.number_label}: {invoice.void_reason}",
        before={"status": before},
        after={"status": invoice.status},
    )
    return invoice


def mark_uncollectible(session: Session, *, invoice: Invoice, actor: User | None) -> Invoice:
    if invoice.status != InvoiceStatus.open:
        raise InvalidTransition(
            f"Only an open invoice can be marked uncollectible; this one is {invoice.status.value}."
        )
    invoice.status = InvoiceStatus.uncollectible
    session.add(invoice)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="billing.invoice.uncollectible",
        object_type="invoice",
        object_id=invoice.id,
        summary=f"Marked {invoice.number_label} uncollectible",
    )
    return invoice


# ---------------------------------------------------------------------------------------------------------------
# Credit notes


def create_credit_note(
    session: Session,
    *,
    invoice: Invoice,
    reason: str,
    amounts: dict[uuid.UUID, int] | None = None,
    actor: User | None,
    today: date | None = None,
) -> CreditNote:
    """Credit a finalised invoice, whole (`amounts` None: what is left on every line) or per line (`amounts`: line id
    -> net amount to credit). Tax is copied from the original line: its rate, and its exact tax when the rest of a
    line is credited. Never more than is left on a line."""
    if invoice.status not in (InvoiceStatus.open, InvoiceStatus.paid, InvoiceStatus.uncollectible):
        raise InvalidTransition(f"Only a finalised, not void, invoice can be credited; this one is {invoice.status}.")
    if not reason.strip():
        raise ValidationFailed("Give a reason for the credit note.", field_errors={"reason": "Required."})
    site = _site(session, invoice.site_id)
    issue = today or site_today(site)
    ensure_period_open(session, site_id=site.id, on=issue, what="a credit note")
    invoice = _lock_invoice(session, invoice.id)
    lines = {line.id: line for line in repo.lines_of(session, invoice.id)}
    wanted = amounts if amounts is not None else dict.fromkeys(lines, -1)
    planned: list[tuple[InvoiceLine, int, int]] = []
    for line_id, net in wanted.items():
        line = lines.get(line_id)
        if line is None:
            raise ValidationFailed("That line is not on this invoice.", field_errors={str(line_id): "Unknown line."})
        credited_net, credited_tax = repo.credited_on_line(session, line.id)
        left_net, left_tax = line.net_minor - credited_net, line.tax_minor - credited_tax
        if net == -1:
            net = left_net
        if net < 0:
            raise ValidationFailed("A credit is a positive amount.", field_errors={str(line_id): "Positive amounts."})
        if net > left_net:
            raise CreditExceedsRemaining(
                f"Line {line.description!r} has {left_net} {invoice.currency} (minor units, before tax) left to "
                f"credit; {net} was asked."
            )
        if net == 0:
            continue
        tax = left_tax if net == left_net else min(round_minor(Decimal(net) * Decimal(line.tax_rate)), left_tax)
        planned.append((line, net, tax))
    if not planned:
        raise ValidationFailed("Nothing is left to credit on this invoice.")
    number, previous_hash, series_row = _take_number(session, credit_series_key(site))
    note = CreditNote(
        invoice_id=invoice.id,
        site_id=site.id,
        startup_id=invoice.startup_id,
        series=credit_series_key(site),
        number=number,
        number_label=f"CN-{site.code.upper()}-{number:06d}",
        currency=invoice.currency,
        reason=reason.strip()[:500],
        issue_date=issue,
        net_minor=sum(p[1] for p in planned),
        tax_minor=sum(p[2] for p in planned),
        total_minor=sum(p[1] + p[2] for p in planned),
    )
    session.add(note)
    session.flush()
    note_lines = []
    for line, net, tax in planned:
        cl = CreditNoteLine(
            credit_note_id=note.id,
            invoice_line_id=line.id,
            description=line.description,
            net_minor=net,
            tax_rate=line.tax_rate,
            tax_minor=tax,
            total_minor=net + tax,
        )
        note_lines.append(cl)
        session.add(cl)
        line.credited_minor += net + tax
        session.add(line)
    session.flush()
    note.previous_hash = previous_hash
    note.content_hash = chain_hash(credit_note_hash_payload(note, note_lines), previous_hash)
    series_row.last_hash = note.content_hash
    session.add(series_row)
    session.add(note)
    # What was already paid beyond the new amount due goes back to the startup as credit balance.
    due_before = invoice.total_minor - invoice.paid_minor - invoice.credited_minor
    invoice.credited_minor += note.total_minor
    refund_to_balance = max(note.total_minor - max(due_before, 0), 0)
    if refund_to_balance:
        session.add(
            CreditBalanceEntry(
                startup_id=invoice.startup_id,
                currency=invoice.currency,
                amount_minor=refund_to_balance,
                invoice_id=invoice.id,
                note=f"Credit note {note.number_label} on a paid invoice",
            )
        )
    _settle(session, invoice, applied=0)
    audit.record(
        session,
        actor=actor,
        action="billing.credit_note.create",
        object_type="invoice",
        object_id=invoice.id,
        summary=f"Credit note {note.number_label} for {note.total_minor} {note.currency}: {note.reason}",
    )
    return note


# ---------------------------------------------------------------------------------------------------------------
# Payments


def record_payment(
    session: Session,
    *,
    invoice: Invoice,
    amount_minor: int,
    method: PaymentMethod,
    received_date: date,
    reference: str = "",
    actor: User | None,
    stripe_payment_intent_id: str | None = None,
) -> Payment:
    """Money received. What exceeds the amount due becomes the startup's credit balance, used on its next invoice."""
    if invoice.status in (InvoiceStatus.draft, InvoiceStatus.void):
        raise PaymentNotPossible(f"A {invoice.status.value} invoice cannot be paid.")
    if invoice.status == InvoiceStatus.paid and stripe_payment_intent_id is None:
        raise PaymentNotPossible("This invoice is already paid; record the money against the next invoice.")
    if amount_minor <= 0:
        raise ValidationFailed("A payment is a positive amount.", field_errors={"amount": "Must be more than zero."})
    if method == PaymentMethod.credit_balance:
        raise ValidationFailed("Credit balance is applied automatically when an invoice is finalised.")
    ensure_period_open(session, site_id=invoice.site_id, on=received_date, what="a payment")
    invoice = _lock_invoice(session, invoice.id)
    applied = min(amount_minor, invoice.amount_due_minor)
    payment = Payment(
        invoice_id=invoice.id,
        site_id=invoice.site_id,
        startup_id=invoice.startup_id,
        method=method,
        amount_minor=amount_minor,
        applied_minor=applied,
        currency=invoice.currency,
        received_date=received_date,
        reference=reference.strip()[:200],
        stripe_payment_intent_id=stripe_payment_intent_id,
        recorded_by_id=actor.id if actor else None,
    )
    session.add(payment)
    session.flush()
    if amount_minor > applied:
        session.add(
            CreditBalanceEntry(
                startup_id=invoice.startup_id,
                currency=invoice.currency,
                amount_minor=amount_minor - applied,
                payment_id=payment.id,
                invoice_id=invoice.id,
                note=f"Overpayment of {invoice.number_label}",
            )
        )
    _settle(session, invoice, applied=applied)
    audit.record(
        session,
        actor=actor,
        action="billing.payment.record",
        object_type="invoice",
        object_id=invoice.id,
        summary=f"{method.label} payment of {amount_minor} {invoice.currency} on {invoice.number_label}",
        after={"amount_minor": amount_minor, "applied_minor": applied, "method": method},
    )
    return payment


def record_refund(session: Session, *, payment: Payment, refunded_total_minor: int) -> int:
    """Bring a payment's refunded amount up to `refunded_total_minor` (Stripe reports the running total, so a
    replayed or reordered event cannot refund twice). Returns the newly refunded amount."""
    extra = refunded_total_minor - payment.refunded_minor
    if extra <= 0:
        return 0
    invoice = _lock_invoice(session, payment.invoice_id)
    payment.refunded_minor = refunded_total_minor
    session.add(payment)
    # The refund comes out of what the invoice kept first, then out of any credit balance the payment created.
    from_invoice = min(extra, payment.applied_minor)
    if extra > from_invoice:
        session.add(
            CreditBalanceEntry(
                startup_id=payment.startup_id,
                currency=payment.currency,
                amount_minor=-(extra - from_invoice),
                payment_id=payment.id,
                note="Refunded overpayment",
            )
        )
    _settle(session, invoice, applied=-from_invoice)
    audit.record(
        session,
        actor=None,
        action="billing.payment.refund",
        object_type="invoice",
        object_id=invoice.id,
        summary=f"Refund of {extra} {payment.currency} on {invoice.number_label}",
    )
    return extra


def month_label(d: date) -> str:
    return f"{calendar.month_name[d.month]} {d.year}"


# ---------------------------------------------------------------------------------------------------------------
# Card payments through Stripe, and the webhook


def _ensure_stripe_customer(session: Session, startup_id: uuid.UUID) -> str:
    account = repo.account_for(session, startup_id)
    if account is None:
        account = BillingAccount(startup_id=startup_id)
        session.add(account)
        session.flush()
    if account.stripe_customer_id is None:
        startup = session.get(Startup, startup_id)
        assert startup is not None
        account.stripe_customer_id = stripe_client.create_customer(
            name=startup.legal_name or startup.name,
            email=startup.billing_email,
            startup_id=str(startup_id),
            idempotency_key=f"customer-{startup_id}",
        )
        session.add(account)
        session.flush()
    return account.stripe_customer_id


def pay_by_card(
    session: Session, *, invoice: Invoice, payment_method_id: str | None, actor: User | None
) -> PaymentAttempt:
    """Create (and with a payment method, confirm) a PaymentIntent for what is due. The attempt row comes first and
    is unique per (invoice, attempt number); its key `invoice-<id>-attempt-<n>` is the Idempotency-Key sent to
    Stripe, so a retried request asks Stripe for the same PaymentIntent. The invoice is marked paid only by the
    verified `payment_intent.succeeded` webhook, never by the browser."""
    if not stripe_client.enabled():
        raise StripeNotConfigured("Card payments are not set up here; pay by bank transfer.")
    if invoice.status not in (InvoiceStatus.open, InvoiceStatus.uncollectible):
        raise PaymentNotPossible(f"A {invoice.status.value} invoice cannot be paid.")
    invoice = _lock_invoice(session, invoice.id)
    due = invoice.amount_due_minor
    if due <= 0:
        raise PaymentNotPossible("Nothing is due on this invoice.")
    customer_id = _ensure_stripe_customer(session, invoice.startup_id)
    attempts = repo.attempts_of(session, invoice.id)
    if any(a.status == AttemptStatus.succeeded for a in attempts):
        raise PaymentNotPossible("A card payment for this invoice already succeeded; it will show as paid shortly.")
    reusable = next((a for a in attempts if a.stripe_payment_intent_id is None and a.amount_minor == due), None)
    if reusable is not None:
        attempt = reusable
    else:
        number = max((a.attempt_no for a in attempts), default=0) + 1
        attempt = PaymentAttempt(
            invoice_id=invoice.id,
            attempt_no=number,
            idempotency_key=f"invoice-{invoice.id}-attempt-{number}",
            amount_minor=due,
            currency=invoice.currency,
        )
        session.add(attempt)
        session.flush()
    result = stripe_client.create_payment_intent(
        amount_minor=due,
        currency=invoice.currency,
        customer_id=customer_id,
        payment_method_id=payment_method_id,
        invoice_id=str(invoice.id),
        idempotency_key=attempt.idempotency_key,
    )
    attempt.stripe_payment_intent_id = result.id or None
    if result.error:
        attempt.status = AttemptStatus.failed
        attempt.last_error = result.error[:500]
    session.add(attempt)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="billing.payment.card_attempt",
        object_type="invoice",
        object_id=invoice.id,
        summary=f"Card payment attempt {attempt.attempt_no} on {invoice.number_label}: {result.status}",
    )
    return attempt


def handle_stripe_event(session: Session, *, event: dict[str, Any]) -> tuple[StripeEvent, bool]:
    """Store a verified event once by its id and apply it. Returns (event row, whether it was new). A replayed event
    is answered without doing anything; events are applied so that any order gives the same end state."""
    event_id = str(event.get("id") or "")
    if not event_id:
        raise ValidationFailed("The event has no id.")
    row = StripeEvent(event_id=event_id, type=str(event.get("type", ""))[:100], payload=event)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        existing = session.exec(select(StripeEvent).where(StripeEvent.event_id == event_id)).one()
        return existing, False
    obj = (event.get("data") or {}).get("object") or {}
    handler = _EVENT_HANDLERS.get(row.type)
    row.outcome = handler(session, obj) if handler else "Ignored: not an event type billing acts on."
    row.handled_at = utcnow()
    session.add(row)
    session.flush()
    return row, True


def _on_intent_succeeded(session: Session, intent: dict[str, Any]) -> str:
    intent_id = str(intent.get("id", ""))
    attempt = repo.attempt_by_intent(session, intent_id)
    if attempt is None:
        # Not one of ours (another integration on the same Stripe account, or a request whose transaction rolled
        # back): kept for finance to reconcile by hand, nothing is changed.
        return f"Unknown PaymentIntent {intent_id}: stored, nothing changed."
    attempt.status = AttemptStatus.succeeded
    attempt.last_error = None
    session.add(attempt)
    if repo.payment_by_intent(session, intent_id) is not None:
        return "Already recorded."
    invoice = session.get(Invoice, attempt.invoice_id)
    assert invoice is not None
    amount = int(intent.get("amount_received") or intent.get("amount") or attempt.amount_minor)
    site = _site(session, invoice.site_id)
    try:
        payment = record_payment(
            session,
            invoice=invoice,
            amount_minor=amount,
            method=PaymentMethod.card,
            received_date=site_today(site),
            reference=intent_id,
            actor=None,
            stripe_payment_intent_id=intent_id,
        )
    except AppError as exc:
        return f"Not applied ({exc.detail}); refund or reconcile by hand."
    if attempt.refunded_minor:
        record_refund(session, payment=payment, refunded_total_minor=attempt.refunded_minor)
    return f"Recorded card payment of {amount} on {invoice.number_label}."


def _on_intent_failed(session: Session, intent: dict[str, Any]) -> str:
    intent_id = str(intent.get("id", ""))
    attempt = repo.attempt_by_intent(session, intent_id)
    if attempt is None:
        return f"Unknown PaymentIntent {intent_id}: stored, nothing changed."
    if attempt.status == AttemptStatus.succeeded:
        return "Ignored: the attempt already succeeded (events arrived out of order)."
    attempt.status = AttemptStatus.failed
    error = intent.get("last_payment_error") or {}
    attempt.last_error = str(error.get("message") or "The card was declined.")[:500]
    session.add(attempt)
    return "Attempt marked failed."


def _on_charge_refunded(session: Session, charge: dict[str, Any]) -> str:
    intent_id = str(charge.get("payment_intent") or "")
    refunded = int(charge.get("amount_refunded") or 0)
    attempt = repo.attempt_by_intent(session, intent_id)
    if attempt is None:
        return f"Unknown PaymentIntent {intent_id}: stored, nothing changed."
    attempt.refunded_minor = max(attempt.refunded_minor, refunded)
    session.add(attempt)
    payment = repo.payment_by_intent(session, intent_id)
    if payment is None:
        return "Refund noted on the attempt; applied when the payment is recorded."
    extra = record_refund(session, payment=payment, refunded_total_minor=attempt.refunded_minor)
    return f"Refund of {extra} applied." if extra else "Refund already applied."


_EVENT_HANDLERS = {
    "payment_intent.succeeded": _on_intent_succeeded,
    "payment_intent.payment_failed": _on_intent_failed,
    "charge.refunded": _on_charge_refunded,
}


# ---------------------------------------------------------------------------------------------------------------
# Overdue invoices: reminders and the booking stop


def reminder_schedule() -> list[int]:
    days = []
    for part in get_settings().billing_reminder_days.split(","):
        part = part.strip()
        if part.isdigit():
            days.append(int(part))
    return sorted(set(days))


def send_overdue_reminders(session: Session, *, now: datetime | None = None) -> int:
    """Queue a reminder for each open invoice that reached its next reminder day (days after the due date), once
    per step of the schedule. Returns how many were queued."""
    schedule = reminder_schedule()
    queued = 0
    moment = now or utcnow()
    for invoice in repo.overdue_invoices(session, today=moment.date()):
        site = _site(session, invoice.site_id)
        today = site_today(site, moment)
        assert invoice.due_date is not None
        late = (today - invoice.due_date).days
        due_steps = [d for d in schedule if d <= late]
        if len(due_steps) <= invoice.reminders_sent or not invoice.customer_email:
            continue
        queue_email(
            session,
            to=invoice.customer_email,
            subject=f"Reminder: invoice {invoice.number_label} is {late} days overdue",
            template="billing_overdue",
            context={
                "invoice_label": invoice.number_label,
                "customer_name": invoice.customer_name,
                "amount_due": format_money(invoice.amount_due_minor, invoice.currency),
                "due_date": invoice.due_date.isoformat(),
                "days_late": late,
                "site_name": site.name,
                "invoice_url": f"/invoices/{invoice.id}",
            },
            kind="billing_reminder",
        )
        invoice.reminders_sent = len(due_steps)
        invoice.last_reminded_at = moment
        session.add(invoice)
        queued += 1
    session.flush()
    return queued


def bookings_blocked_reason(session: Session, *, startup_id: uuid.UUID, today: date | None = None) -> str | None:
    """Why a startup may not make new bookings (an invoice overdue by more than the configured days), or None.
    Facilities calls it through its booking-guard registry."""
    limit = get_settings().billing_block_bookings_overdue_days
    if limit <= 0:
        return None
    late = repo.overdue_days_for_startup(session, startup_id, today or utcnow().date())
    if late > limit:
        return (
            f"New bookings are paused: an invoice is {late} days overdue (the limit is {limit}). "
            "Pay it or contact finance."
        )
    return None


def booking_guard(session: Session, startup_id: uuid.UUID) -> str | None:
    """The guard facilities calls before a new booking (`facilities.service.register_booking_guard`)."""
    return bookings_blocked_reason(session, startup_id=startup_id)
