"""JSON API of billing: runs, invoices and their actions, credit notes, payments, the Stripe webhook, reports."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool

from billing import exports, jobs, pdf, reports, service
from billing import repository as repo
from billing.deps import ApiCreditNote, ApiInvoice, FinanceApi, FinanceApiInvoice
from billing.errors import WebhookDisabled
from billing.models import InvoiceStatus, PaymentMethod, StripeEvent
from billing.repository import CreditNoteRepository, InvoiceRepository, PaymentRepository
from billing.schemas import (
    AgingReport,
    BillingRunCreate,
    BillingRunPublic,
    CardPaymentRequest,
    ChainReportPublic,
    CreditNoteCreate,
    CreditNotePublic,
    InvoiceDetail,
    InvoiceLinePublic,
    InvoicePreview,
    InvoicePublic,
    JobQueued,
    NoteUpdate,
    OneOffLineCreate,
    PaymentAttemptPublic,
    PaymentCreate,
    PaymentPublic,
    PeriodClose,
    PreviewLine,
    VoidRequest,
    WebhookAck,
)
from facilities.models import Site
from incubator.api import ERRORS
from incubator.config import get_settings
from incubator.deps import ApiUser, SessionDep
from incubator.errors import NotFound, ValidationFailed
from incubator.pagination import PageOut, PageParams, page_params
from startups.models import Startup

router = APIRouter(prefix="/api/v1", tags=["billing"], responses={**ERRORS})
Paging = Annotated[PageParams, Depends(page_params)]


def _invoice_out(invoice: object) -> InvoicePublic:
    return InvoicePublic.model_validate(invoice)


@router.post(
    "/billing-runs", response_model=JobQueued, status_code=status.HTTP_202_ACCEPTED, name="api.billing_runs.create"
)
def create_run(body: BillingRunCreate, _: FinanceApi, session: SessionDep) -> JobQueued:
    """Queue the billing run of a site's month (finance). It makes one draft invoice per startup with charges;
    running a month again adds only what is missing."""
    site = session.get(Site, body.site_id)
    if site is None:
        raise NotFound("No site with that id.")
    period = service.parse_period(body.period)
    service.ensure_period_open(session, site_id=site.id, on=period, what="an invoice")
    job = jobs.enqueue_run(session, site_id=site.id, period_start=period)
    return JobQueued(job_id=job.id, status=str(job.status.value))


@router.get("/billing-runs", response_model=list[BillingRunPublic], name="api.billing_runs.list")
def list_runs(_: FinanceApi, session: SessionDep) -> list[BillingRunPublic]:
    """The most recent billing runs with their progress (finance)."""
    return [BillingRunPublic.model_validate(r) for r in repo.recent_runs(session)]


@router.get("/invoices", response_model=PageOut[InvoicePublic], name="api.invoices.list")
def list_invoices(
    user: ApiUser,
    session: SessionDep,
    paging: Paging,
    status_: Annotated[InvoiceStatus | None, Query(alias="status")] = None,
    site_id: uuid.UUID | None = None,
    startup_id: uuid.UUID | None = None,
) -> PageOut[InvoicePublic]:
    """Invoices you may see: your startups' finalised invoices as a founder, every invoice as finance."""
    page = InvoiceRepository(session).search(user, paging, status=status_, site_id=site_id, startup_id=startup_id)
    return PageOut[InvoicePublic](
        items=[_invoice_out(i) for i in page.items], total=page.total, limit=page.limit, offset=page.offset
    )


@router.get(
    "/invoices/{invoice_id}.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
    name="api.invoices.pdf",
)
def invoice_pdf(invoice: ApiInvoice, session: SessionDep) -> Response:
    """The invoice as a PDF (a draft is marked as not a tax document)."""
    data = pdf.invoice_pdf(session, invoice)
    name = invoice.number_label or f"draft-{invoice.id}"
    return Response(
        data, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{name}.pdf"'}
    )


@router.get("/invoices/{invoice_id}", response_model=InvoiceDetail, name="api.invoices.detail")
def get_invoice(invoice: ApiInvoice, session: SessionDep) -> InvoiceDetail:
    """One invoice with its lines."""
    lines = [InvoiceLinePublic.model_validate(line) for line in repo.lines_of(session, invoice.id)]
    return InvoiceDetail.model_validate({**_invoice_out(invoice).model_dump(), "lines": lines})


@router.get("/invoice-previews", response_model=InvoicePreview, name="api.invoices.preview")
def preview(
    _: FinanceApi,
    session: SessionDep,
    startup_id: uuid.UUID,
    site_id: uuid.UUID,
    period: Annotated[str, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")],
) -> InvoicePreview:
    """A startup's next invoice for a month, computed by the run's own code and not saved (finance)."""
    site = session.get(Site, site_id)
    if site is None or session.get(Startup, startup_id) is None:
        raise NotFound("No such site or startup.")
    result = service.preview_invoice(
        session, site=site, startup_id=startup_id, period_start=service.parse_period(period)
    )
    return InvoicePreview(
        startup_id=startup_id,
        site_id=site_id,
        period_start=result.period_start,
        currency=result.currency,
        lines=[
            PreviewLine(
                charge_id=line.charge_id,
                description=line.description,
                service_date=line.service_date,
                amount_minor=line.amount_minor,
                discount_minor=line.discount_minor,
                net_minor=line.net_minor,
                tax_rate=line.tax_rate,
                tax_minor=line.tax_minor,
                total_minor=line.total_minor,
            )
            for line in result.lines
        ],
        **result.totals.__dict__,
    )


@router.post(
    "/invoices/{invoice_id}/lines",
    response_model=InvoiceLinePublic,
    status_code=status.HTTP_201_CREATED,
    name="api.invoices.lines.add",
)
def add_line(
    invoice: FinanceApiInvoice, body: OneOffLineCreate, user: FinanceApi, session: SessionDep
) -> InvoiceLinePublic:
    """Add a one-off line to a draft (finance); a finalised invoice answers 409."""
    line = service.add_one_off_line(
        session,
        invoice=invoice,
        description=body.description,
        amount_minor=body.amount_minor,
        discount_rate=body.discount_rate,
        actor=user,
    )
    return InvoiceLinePublic.model_validate(line)


@router.post(
    "/invoices/{invoice_id}/lines/{line_id}/move-to-next-month",
    response_model=InvoicePublic,
    name="api.invoices.lines.move",
)
def move_line(invoice: FinanceApiInvoice, line_id: uuid.UUID, user: FinanceApi, session: SessionDep) -> InvoicePublic:
    """Take a line off a draft; its charge stays un-invoiced and next month's run bills it (finance)."""
    service.move_line_to_next_month(session, invoice=invoice, line_id=line_id, actor=user)
    return _invoice_out(invoice)


@router.patch("/invoices/{invoice_id}", response_model=InvoicePublic, name="api.invoices.update")
def update_invoice(
    invoice: FinanceApiInvoice, body: NoteUpdate, user: FinanceApi, session: SessionDep
) -> InvoicePublic:
    """Change a draft's note (finance); a finalised invoice answers 409."""
    return _invoice_out(service.set_note(session, invoice=invoice, note=body.note, actor=user))


@router.post("/invoices/{invoice_id}/finalize", response_model=InvoicePublic, name="api.invoices.finalize")
def finalize(invoice: FinanceApiInvoice, user: FinanceApi, session: SessionDep) -> InvoicePublic:
    """Give a draft the next number of its site's series and make it immutable (finance)."""
    return _invoice_out(service.finalize_invoice(session, invoice=invoice, actor=user))


@router.post("/invoices/{invoice_id}/void", response_model=InvoicePublic, name="api.invoices.void")
def void(invoice: FinanceApiInvoice, body: VoidRequest, user: FinanceApi, session: SessionDep) -> InvoicePublic:
    """Void an unpaid finalised invoice; its number stays used (finance)."""
    return _invoice_out(service.void_invoice(session, invoice=invoice, reason=body.reason, actor=user))


@router.post(
    "/invoices/{invoice_id}/mark-uncollectible", response_model=InvoicePublic, name="api.invoices.uncollectible"
)
def uncollectible(invoice: FinanceApiInvoice, user: FinanceApi, session: SessionDep) -> InvoicePublic:
    """Mark an open invoice uncollectible (finance); it can still be paid."""
    return _invoice_out(service.mark_uncollectible(session, invoice=invoice, actor=user))


@router.post("/invoices/{invoice_id}/pay", response_model=PaymentAttemptPublic, name="api.invoices.pay")
def pay(invoice: ApiInvoice, body: CardPaymentRequest, user: ApiUser, session: SessionDep) -> PaymentAttemptPublic:
    """Pay what is due by card through Stripe (the startup's founders, finance). The invoice turns paid when
    Stripe's verified webhook confirms the payment."""
    attempt = service.pay_by_card(session, invoice=invoice, payment_method_id=body.payment_method_id, actor=user)
    return PaymentAttemptPublic.model_validate(attempt)


@router.get("/credit-notes", response_model=PageOut[CreditNotePublic], name="api.credit_notes.list")
def list_credit_notes(
    _: FinanceApi, session: SessionDep, paging: Paging, site_id: uuid.UUID | None = None
) -> PageOut[CreditNotePublic]:
    """Credit notes, newest first (finance)."""
    page = CreditNoteRepository(session).search(paging, site_id=site_id)
    return PageOut[CreditNotePublic](
        items=[CreditNotePublic.model_validate(c) for c in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post(
    "/credit-notes",
    response_model=CreditNotePublic,
    status_code=status.HTTP_201_CREATED,
    name="api.credit_notes.create",
)
def create_credit_note(body: CreditNoteCreate, user: FinanceApi, session: SessionDep) -> CreditNotePublic:
    """Credit a finalised invoice, whole or per line; never more than is left on a line (finance)."""
    invoice = InvoiceRepository(session).readable_by(user, body.invoice_id)
    if invoice is None:
        raise NotFound("No invoice with that id.")
    amounts = {line.invoice_line_id: line.net_minor for line in body.lines} if body.lines else None
    note = service.create_credit_note(session, invoice=invoice, reason=body.reason, amounts=amounts, actor=user)
    return CreditNotePublic.model_validate(note)


@router.get(
    "/credit-notes/{credit_note_id}.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
    name="api.credit_notes.pdf",
)
def credit_note_pdf(note: ApiCreditNote, session: SessionDep) -> Response:
    """The credit note as a PDF."""
    return Response(pdf.credit_note_pdf(session, note), media_type="application/pdf")


@router.get("/payments", response_model=PageOut[PaymentPublic], name="api.payments.list")
def list_payments(
    _: FinanceApi, session: SessionDep, paging: Paging, site_id: uuid.UUID | None = None
) -> PageOut[PaymentPublic]:
    """Payments received, newest first (finance)."""
    page = PaymentRepository(session).search(paging, site_id=site_id)
    return PageOut[PaymentPublic](
        items=[PaymentPublic.model_validate(p) for p in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post("/payments", response_model=PaymentPublic, status_code=status.HTTP_201_CREATED, name="api.payments.create")
def create_payment(body: PaymentCreate, user: FinanceApi, session: SessionDep) -> PaymentPublic:
    """Record a bank transfer or manual payment (finance). Partial payments leave the rest due; an overpayment
    becomes the startup's credit balance, used on its next invoice."""
    invoice = InvoiceRepository(session).readable_by(user, body.invoice_id)
    if invoice is None:
        raise NotFound("No invoice with that id.")
    if body.method == PaymentMethod.card:
        raise ValidationFailed("Card payments come from Stripe; record bank transfers or manual payments here.")
    payment = service.record_payment(
        session,
        invoice=invoice,
        amount_minor=body.amount_minor,
        method=body.method,
        received_date=body.received_date,
        reference=body.reference,
        actor=user,
    )
    return PaymentPublic.model_validate(payment)


def _handle_webhook(session: SessionDep, body: bytes, signature: str | None) -> tuple[StripeEvent, bool]:
    from billing import stripe_client

    event = stripe_client.verify_webhook(body, signature)
    return service.handle_stripe_event(session, event=event)


@router.post("/webhooks/stripe", response_model=WebhookAck, name="api.webhooks.stripe")
async def stripe_webhook(request: Request, session: SessionDep) -> WebhookAck:
    """Stripe's events. The signature is verified on the raw body with `INCUBATOR_STRIPE_WEBHOOK_SECRET` (unset:
    the endpoint answers 404). Each event is stored once by its id; a replay answers 200 and changes nothing; an
    event about a PaymentIntent we did not create is stored and changes nothing."""
    if not get_settings().stripe_webhook_secret:
        raise WebhookDisabled("Stripe webhooks are not configured on this server (INCUBATOR_STRIPE_WEBHOOK_SECRET).")
    body = await request.body()
    signature = request.headers.get("stripe-signature")
    # The database work runs in the thread pool: blocking the event loop here could stall the very requests whose
    # transactions this one waits for (SQLite serialises writers).
    row, new = await run_in_threadpool(_handle_webhook, session, body, signature)
    return WebhookAck(received=True, duplicate=not new, outcome=row.outcome)


@router.post("/closed-periods", status_code=status.HTTP_204_NO_CONTENT, name="api.closed_periods.create")
def close_period(body: PeriodClose, user: FinanceApi, session: SessionDep) -> None:
    """Close a site's month: nothing dated in it can be created or changed afterwards (finance)."""
    site = session.get(Site, body.site_id)
    if site is None:
        raise NotFound("No site with that id.")
    service.close_period(session, site=site, period_start=service.parse_period(body.period), actor=user)


@router.get("/reports/ar-aging", response_model=AgingReport, name="api.reports.ar_aging")
def ar_aging(_: FinanceApi, session: SessionDep, site_id: uuid.UUID, as_of: date | None = None) -> AgingReport:
    """Accounts receivable by age: current, 1-30, 31-60, 61-90 and over 90 days past due (finance)."""
    site = session.get(Site, site_id)
    if site is None:
        raise NotFound("No site with that id.")
    return reports.aging(session, site=site, as_of=as_of)


@router.get("/billing/chain-verification", response_model=list[ChainReportPublic], name="api.billing.verify_chain")
def verify_chain(_: FinanceApi, session: SessionDep) -> list[ChainReportPublic]:
    """Recompute every number series' hash chain and report gaps, repeats and altered documents (finance)."""
    return [ChainReportPublic(**r.__dict__) for r in service.verify_chains(session)]


@router.get(
    "/exports/invoices.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
    name="api.exports.invoices",
)
def export_invoices(
    user: FinanceApi,
    session: SessionDep,
    site_id: uuid.UUID,
    period: Annotated[str, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")],
    override: bool = False,
) -> Response:
    """The month's invoices, lines, credit notes and payments as CSV with control totals (finance). Each document
    is marked exported; exporting a document again answers 409 unless `override=true`."""
    site = session.get(Site, site_id)
    if site is None:
        raise NotFound("No site with that id.")
    data = exports.export_period(
        session, site=site, period_start=service.parse_period(period), override=override, actor=user
    )
    return Response(data, media_type="text/csv")
