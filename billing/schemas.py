"""Input and output models of billing."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from billing.models import AttemptStatus, InvoiceStatus, PaymentMethod, RunStatus


class BillingRunCreate(BaseModel):
    site_id: uuid.UUID
    period: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="The month, as YYYY-MM")


class BillingRunPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    site_id: uuid.UUID
    period_start: date
    status: RunStatus
    startups_total: int
    startups_done: int
    invoices_created: int
    lines_created: int
    runs: int
    last_error: str | None
    started_at: datetime
    finished_at: datetime | None


class JobQueued(BaseModel):
    job_id: uuid.UUID
    status: str


class InvoiceLinePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    charge_id: uuid.UUID | None
    position: int
    category: str
    description: str
    service_date: date
    quantity: Decimal
    amount_minor: int
    discount_rate: Decimal
    discount_minor: int
    net_minor: int
    tax_name: str
    tax_rate: Decimal
    tax_minor: int
    total_minor: int
    credited_minor: int


class InvoicePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    site_id: uuid.UUID
    startup_id: uuid.UUID
    period_start: date
    status: InvoiceStatus
    currency: str
    number_label: str | None
    subtotal_minor: int
    discount_minor: int
    net_minor: int
    tax_minor: int
    total_minor: int
    paid_minor: int
    credited_minor: int
    amount_due_minor: int
    issue_date: date | None
    due_date: date | None
    customer_name: str | None
    customer_address: str | None
    customer_tax_id: str | None
    note: str
    content_hash: str | None
    previous_hash: str | None


class InvoiceDetail(InvoicePublic):
    lines: list[InvoiceLinePublic]


class PreviewLine(BaseModel):
    charge_id: uuid.UUID | None
    description: str
    service_date: date
    amount_minor: int
    discount_minor: int
    net_minor: int
    tax_rate: Decimal
    tax_minor: int
    total_minor: int


class InvoicePreview(BaseModel):
    startup_id: uuid.UUID
    site_id: uuid.UUID
    period_start: date
    currency: str
    lines: list[PreviewLine]
    subtotal_minor: int
    discount_minor: int
    net_minor: int
    tax_minor: int
    total_minor: int


class OneOffLineCreate(BaseModel):
    description: str = Field(min_length=1, max_length=300)
    amount_minor: int = Field(ge=0, le=10**12)
    discount_rate: Decimal = Field(default=Decimal(0), ge=0, le=1)


class NoteUpdate(BaseModel):
    note: str = Field(max_length=2000)


class VoidRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


class CreditNoteLineIn(BaseModel):
    invoice_line_id: uuid.UUID
    net_minor: int = Field(gt=0, le=10**12)


class CreditNoteCreate(BaseModel):
    invoice_id: uuid.UUID
    reason: str = Field(min_length=1, max_length=500)
    lines: list[CreditNoteLineIn] | None = Field(default=None, description="Omit to credit everything left")


class CreditNotePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    invoice_id: uuid.UUID
    number_label: str
    currency: str
    reason: str
    issue_date: date
    net_minor: int
    tax_minor: int
    total_minor: int


class PaymentCreate(BaseModel):
    invoice_id: uuid.UUID
    amount_minor: int = Field(gt=0, le=10**12)
    method: PaymentMethod = PaymentMethod.bank_transfer
    received_date: date
    reference: str = Field(default="", max_length=200)


class PaymentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    invoice_id: uuid.UUID
    method: PaymentMethod
    amount_minor: int
    applied_minor: int
    refunded_minor: int
    currency: str
    received_date: date
    reference: str
    stripe_payment_intent_id: str | None


class CardPaymentRequest(BaseModel):
    payment_method_id: str | None = Field(
        default=None, max_length=100, description="A PaymentMethod made by Stripe.js; omit to get a client secret"
    )


class PaymentAttemptPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    invoice_id: uuid.UUID
    attempt_no: int
    idempotency_key: str
    amount_minor: int
    currency: str
    status: AttemptStatus
    stripe_payment_intent_id: str | None
    last_error: str | None


class WebhookAck(BaseModel):
    received: bool
    duplicate: bool
    outcome: str


class PeriodClose(BaseModel):
    site_id: uuid.UUID
    period: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")


class ChainReportPublic(BaseModel):
    series: str
    documents: int
    problems: list[str]


class AgingBucket(BaseModel):
    bucket: str
    amount_minor: int
    invoices: int


class AgingReport(BaseModel):
    site_id: uuid.UUID
    currency: str
    as_of: date
    buckets: list[AgingBucket]


class InvoiceLineForm(BaseModel):
    description: str = Field(min_length=1, max_length=300)
    amount: Decimal = Field(ge=0, le=Decimal(10**9))


class PaymentForm(BaseModel):
    amount: Decimal = Field(gt=0, le=Decimal(10**9))
    method: PaymentMethod = PaymentMethod.bank_transfer
    received_date: date
    reference: str = Field(default="", max_length=200)
