"""Billing: runs, invoices and their lines, number series, credit notes, payments, Stripe records, exports.

Money is integer minor units plus a currency; rates are Decimal. Unique constraints carry the idempotency rules:
one invoice per (startup, site, period), one line per charge, one number per (series, number), one Stripe event
per event id, one payment attempt per (invoice, attempt number), one payment per PaymentIntent.
"""

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel

import facilities.models  # noqa: F401 - site and charge, which billing's foreign keys point at
import startups.models  # noqa: F401
from incubator.db import enum_type, instant, uuid_pk


class RunStatus(enum.StrEnum):
    running = "running"
    done = "done"
    failed = "failed"


class BillingRun(SQLModel, table=True):
    """A site's billing of one month. One row per (site, period); re-running the period reuses it."""

    __tablename__ = "billing_run"
    __table_args__ = (sa.UniqueConstraint("site_id", "period_start"),)

    id: uuid.UUID = uuid_pk()
    site_id: uuid.UUID = Field(foreign_key="site.id", ondelete="RESTRICT")
    period_start: date = Field(description="First day of the billed month")
    status: RunStatus = Field(default=RunStatus.running, sa_type=enum_type(RunStatus, "billing_run_status"))
    startups_total: int = 0
    startups_done: int = 0
    invoices_created: int = 0
    lines_created: int = 0
    runs: int = Field(default=0, description="How many times the period was run")
    last_error: str | None = Field(default=None, max_length=2000)
    started_at: datetime = instant(default_now=True)
    finished_at: datetime | None = instant(nullable=True)


class InvoiceStatus(enum.StrEnum):
    draft = "draft"
    open = "open"
    paid = "paid"
    void = "void"
    uncollectible = "uncollectible"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Invoice(SQLModel, table=True):
    """One startup's invoice for one site and month. A draft has no number; finalising gives it one for good."""

    __tablename__ = "invoice"
    __table_args__ = (
        sa.UniqueConstraint("startup_id", "site_id", "period_start"),
        sa.UniqueConstraint("series", "number"),
        sa.Index("ix_invoice_site_status", "site_id", "status"),
    )

    id: uuid.UUID = uuid_pk()
    site_id: uuid.UUID = Field(foreign_key="site.id", ondelete="RESTRICT")
    startup_id: uuid.UUID = Field(foreign_key="startup.id", index=True, ondelete="RESTRICT")
    period_start: date
    billing_run_id: uuid.UUID | None = Field(default=None, foreign_key="billing_run.id", ondelete="SET NULL")
    status: InvoiceStatus = Field(default=InvoiceStatus.draft, sa_type=enum_type(InvoiceStatus, "invoice_status"))
    currency: str = Field(min_length=3, max_length=3)
    series: str | None = Field(default=None, max_length=30)
    number: int | None = None
    number_label: str | None = Field(default=None, max_length=40, index=True)
    # Totals: lines -> discounts -> tax, each rounded once per line; these are sums of the rounded lines.
    subtotal_minor: int = 0
    discount_minor: int = 0
    net_minor: int = 0
    tax_minor: int = 0
    total_minor: int = 0
    paid_minor: int = Field(default=0, description="Payments applied (net of refunds), including credit balance")
    credited_minor: int = 0
    note: str = Field(default="", max_length=2000)
    issue_date: date | None = None
    due_date: date | None = None
    # Snapshot at finalisation.
    customer_name: str | None = Field(default=None, max_length=200)
    customer_address: str | None = Field(default=None, max_length=500)
    customer_tax_id: str | None = Field(default=None, max_length=60)
    customer_email: str | None = Field(default=None, max_length=254)
    tax_snapshot: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    previous_hash: str | None = Field(default=None, max_length=64)
    content_hash: str | None = Field(default=None, max_length=64)
    pdf_storage_key: str | None = Field(default=None, max_length=200)
    void_reason: str | None = Field(default=None, max_length=500)
    reminders_sent: int = 0
    last_reminded_at: datetime | None = instant(nullable=True)
    export_batch_id: uuid.UUID | None = Field(default=None, foreign_key="export_batch.id", ondelete="SET NULL")
    created_at: datetime = instant(default_now=True)
    updated_at: datetime = instant(default_now=True)
    finalized_at: datetime | None = instant(nullable=True)
    paid_at: datetime | None = instant(nullable=True)
    voided_at: datetime | None = instant(nullable=True)

    @property
    def amount_due_minor(self) -> int:
        if self.status in (InvoiceStatus.void, InvoiceStatus.draft):
            return 0
        return max(self.total_minor - self.paid_minor - self.credited_minor, 0)


class InvoiceLine(SQLModel, table=True):
    """One charge on an invoice (or a one-off line added by finance). `charge_id` is unique: a charge is on at most
    one invoice, ever."""

    __tablename__ = "invoice_line"

    id: uuid.UUID = uuid_pk()
    invoice_id: uuid.UUID = Field(foreign_key="invoice.id", index=True, ondelete="CASCADE")
    charge_id: uuid.UUID | None = Field(default=None, foreign_key="charge.id", unique=True, ondelete="RESTRICT")
    position: int = 0
    category: str = Field(max_length=40)
    description: str = Field(max_length=300)
    service_date: date
    quantity: Decimal = Field(default=Decimal(1), sa_type=sa.Numeric(12, 4))
    unit_amount_minor: int = 0
    amount_minor: int = Field(description="List amount of the line")
    discount_rate: Decimal = Field(default=Decimal(0), sa_type=sa.Numeric(6, 4))
    discount_minor: int = 0
    net_minor: int = 0
    tax_name: str = Field(default="", max_length=40)
    tax_rate: Decimal = Field(default=Decimal(0), sa_type=sa.Numeric(6, 4))
    tax_minor: int = 0
    total_minor: int = 0
    credited_minor: int = Field(default=0, description="Total (tax included) already credited on this line")


class ChargeDeferral(SQLModel, table=True):
    """A charge finance moved off a draft: it stays un-invoiced and belongs to a later period's run."""

    __tablename__ = "charge_deferral"

    id: uuid.UUID = uuid_pk()
    charge_id: uuid.UUID = Field(foreign_key="charge.id", unique=True, ondelete="CASCADE")
    period_start: date = Field(description="The month whose run picks the charge up")
    created_at: datetime = instant(default_now=True)


class NumberSeries(SQLModel, table=True):
    """The counter of one number series (a site's invoices, a site's credit notes). Locked while a number is taken,
    and holding the hash of the last document so the chain is extended under the same lock."""

    __tablename__ = "number_series"

    id: uuid.UUID = uuid_pk()
    key: str = Field(max_length=30, unique=True)
    next_number: int = 1
    last_hash: str | None = Field(default=None, max_length=64)


class CreditNote(SQLModel, table=True):
    """A correction of a finalised invoice, numbered in its own series when it is issued."""

    __tablename__ = "credit_note"
    __table_args__ = (sa.UniqueConstraint("series", "number"),)

    id: uuid.UUID = uuid_pk()
    invoice_id: uuid.UUID = Field(foreign_key="invoice.id", index=True, ondelete="RESTRICT")
    site_id: uuid.UUID = Field(foreign_key="site.id", ondelete="RESTRICT")
    startup_id: uuid.UUID = Field(foreign_key="startup.id", index=True, ondelete="RESTRICT")
    series: str = Field(max_length=30)
    number: int
    number_label: str = Field(max_length=40)
    currency: str = Field(min_length=3, max_length=3)
    reason: str = Field(max_length=500)
    issue_date: date
    net_minor: int = 0
    tax_minor: int = 0
    total_minor: int = 0
    previous_hash: str | None = Field(default=None, max_length=64)
    content_hash: str | None = Field(default=None, max_length=64)
    export_batch_id: uuid.UUID | None = Field(default=None, foreign_key="export_batch.id", ondelete="SET NULL")
    created_at: datetime = instant(default_now=True)


class CreditNoteLine(SQLModel, table=True):
    __tablename__ = "credit_note_line"

    id: uuid.UUID = uuid_pk()
    credit_note_id: uuid.UUID = Field(foreign_key="credit_note.id", index=True, ondelete="CASCADE")
    invoice_line_id: uuid.UUID = Field(foreign_key="invoice_line.id", index=True, ondelete="RESTRICT")
    description: str = Field(max_length=300)
    net_minor: int
    tax_rate: Decimal = Field(default=Decimal(0), sa_type=sa.Numeric(6, 4))
    tax_minor: int
    total_minor: int


class PaymentMethod(enum.StrEnum):
    card = "card"
    bank_transfer = "bank_transfer"
    manual = "manual"
    credit_balance = "credit_balance"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Payment(SQLModel, table=True):
    """Money received against an invoice. `amount_minor` is what arrived; what exceeded the amount due went to the
    startup's credit balance (`applied_minor` is what the invoice kept)."""

    __tablename__ = "payment"

    id: uuid.UUID = uuid_pk()
    invoice_id: uuid.UUID = Field(foreign_key="invoice.id", index=True, ondelete="RESTRICT")
    site_id: uuid.UUID = Field(foreign_key="site.id", ondelete="RESTRICT")
    startup_id: uuid.UUID = Field(foreign_key="startup.id", index=True, ondelete="RESTRICT")
    method: PaymentMethod = Field(sa_type=enum_type(PaymentMethod, "payment_method"))
    amount_minor: int
    applied_minor: int
    refunded_minor: int = 0
    currency: str = Field(min_length=3, max_length=3)
    received_date: date
    reference: str = Field(default="", max_length=200)
    stripe_payment_intent_id: str | None = Field(default=None, max_length=100, unique=True)
    recorded_by_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    export_batch_id: uuid.UUID | None = Field(default=None, foreign_key="export_batch.id", ondelete="SET NULL")
    created_at: datetime = instant(default_now=True)


class CreditBalanceEntry(SQLModel, table=True):
    """Append-only ledger of a startup's credit balance per currency: + from overpayments, - when used."""

    __tablename__ = "credit_balance_entry"

    id: uuid.UUID = uuid_pk()
    startup_id: uuid.UUID = Field(foreign_key="startup.id", index=True, ondelete="RESTRICT")
    currency: str = Field(min_length=3, max_length=3)
    amount_minor: int
    payment_id: uuid.UUID | None = Field(default=None, foreign_key="payment.id", ondelete="RESTRICT")
    invoice_id: uuid.UUID | None = Field(default=None, foreign_key="invoice.id", ondelete="RESTRICT")
    note: str = Field(default="", max_length=300)
    created_at: datetime = instant(default_now=True)


class BillingAccount(SQLModel, table=True):
    """A startup's account with the payment provider, created on first need."""

    __tablename__ = "billing_account"

    id: uuid.UUID = uuid_pk()
    startup_id: uuid.UUID = Field(foreign_key="startup.id", unique=True, ondelete="RESTRICT")
    stripe_customer_id: str | None = Field(default=None, max_length=100, unique=True)
    created_at: datetime = instant(default_now=True)


class AttemptStatus(enum.StrEnum):
    pending = "pending"
    succeeded = "succeeded"
    failed = "failed"


class PaymentAttempt(SQLModel, table=True):
    """One try at collecting an invoice by card. Unique per (invoice, attempt) so the idempotency key sent to Stripe
    is deterministic and a retried request reuses the same row."""

    __tablename__ = "payment_attempt"
    __table_args__ = (sa.UniqueConstraint("invoice_id", "attempt_no"),)

    id: uuid.UUID = uuid_pk()
    invoice_id: uuid.UUID = Field(foreign_key="invoice.id", index=True, ondelete="RESTRICT")
    attempt_no: int
    idempotency_key: str = Field(max_length=100, unique=True)
    amount_minor: int
    currency: str = Field(min_length=3, max_length=3)
    status: AttemptStatus = Field(default=AttemptStatus.pending, sa_type=enum_type(AttemptStatus, "attempt_status"))
    stripe_payment_intent_id: str | None = Field(default=None, max_length=100, unique=True)
    refunded_minor: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = instant(default_now=True)


class StripeEvent(SQLModel, table=True):
    """Every webhook event we accepted, stored once by its id; `outcome` says what handling it did."""

    __tablename__ = "stripe_event"

    id: uuid.UUID = uuid_pk()
    event_id: str = Field(max_length=100, unique=True)
    type: str = Field(max_length=100)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    outcome: str = Field(default="", max_length=300)
    received_at: datetime = instant(default_now=True)
    handled_at: datetime | None = instant(nullable=True)


class ClosedPeriod(SQLModel, table=True):
    """A month finance closed for a site: nothing dated inside it is created or changed afterwards."""

    __tablename__ = "closed_period"
    __table_args__ = (sa.UniqueConstraint("site_id", "period_start"),)

    id: uuid.UUID = uuid_pk()
    site_id: uuid.UUID = Field(foreign_key="site.id", ondelete="RESTRICT")
    period_start: date
    closed_by_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    closed_at: datetime = instant(default_now=True)


class ExportBatch(SQLModel, table=True):
    """One accounting export of a site's month; the documents it contained point back at it."""

    __tablename__ = "export_batch"

    id: uuid.UUID = uuid_pk()
    site_id: uuid.UUID = Field(foreign_key="site.id", ondelete="RESTRICT")
    period_start: date
    override: bool = False
    documents: int = 0
    control_totals: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_by_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    created_at: datetime = instant(default_now=True)
