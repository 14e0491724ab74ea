"""HTML pages of billing: finance's billing desk (runs, drafts, reports, exports, closing a month) and the invoice
pages founders and finance share (founders see their startups' finalised invoices and pay them by card)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from billing import exports, jobs, pdf, reports, service, stripe_client
from billing import repository as repo
from billing.deps import FinancePage, FinancePageInvoice, PageInvoice
from billing.models import InvoiceStatus, PaymentMethod
from billing.repository import InvoiceRepository
from billing.schemas import InvoiceLineForm, PaymentForm
from facilities.models import Site
from incubator.config import get_settings
from incubator.deps import PageUser, SessionDep, verify_csrf
from incubator.errors import AppError, NotFound, PermissionDenied
from incubator.models import Role
from incubator.money import to_minor
from incubator.pagination import PageParams, page_params
from incubator.web import flash, form_values, parse_form, redirect, render
from startups.models import Startup

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)
Paging = Annotated[PageParams, Depends(page_params)]


def _fail(request: Request, exc: AppError, url: str) -> Response:
    if isinstance(exc, PermissionDenied):
        raise exc
    flash(request, exc.detail, "error")
    return redirect(request, url)


def _site_or_404(session: SessionDep, site_id: uuid.UUID) -> Site:
    site = session.get(Site, site_id)
    if site is None:
        raise NotFound("No site with that id.")
    return site


@router.get("/billing", response_class=HTMLResponse, name="billing.home")
def billing_home(
    request: Request,
    session: SessionDep,
    user: FinancePage,
    paging: Paging,
    site_id: Annotated[uuid.UUID | None, Query()] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """Finance's billing desk: run a month, review drafts, see AR aging and revenue, export, close a month."""
    sites = repo.sites(session)
    site = next((s for s in sites if s.id == site_id), sites[0] if sites else None)
    chosen = InvoiceStatus(status) if status is not None and status in InvoiceStatus.__members__ else None
    page = InvoiceRepository(session).search(user, paging, status=chosen, site_id=site.id if site else None)
    names = InvoiceRepository(session).startup_names({i.startup_id for i in page.items})
    aging = reports.aging(session, site=site) if site else None
    revenue = reports.revenue(session, site) if site else {}
    today = service.site_today(site) if site else date.today()
    return render(
        request,
        "billing/home.html",
        {
            "sites": sites,
            "site": site,
            "page": page,
            "names": names,
            "status": chosen.value if chosen else "",
            "statuses": [s.value for s in InvoiceStatus],
            "params": {k: v for k, v in {"site_id": site.id if site else None, "status": status}.items() if v},
            "runs": repo.recent_runs(session, 10),
            "aging": aging,
            "aging_chart": reports.aging_chart(aging) if aging else "",
            "revenue_chart": reports.revenue_chart(revenue) if revenue else "",
            "last_month": f"{service.month_start(today) - timedelta(days=1):%Y-%m}",
            "this_month": f"{today:%Y-%m}",
            "closed": repo.closed_periods(session, site.id if site else None),
        },
    )


@router.get("/billing/preview", response_class=HTMLResponse, name="billing.preview")
def preview(
    request: Request,
    session: SessionDep,
    user: FinancePage,
    site_id: Annotated[uuid.UUID | None, Query()] = None,
    startup_id: Annotated[uuid.UUID | None, Query()] = None,
    period: Annotated[str | None, Query(max_length=7)] = None,
) -> Response:
    """A startup's next invoice, computed by the run's own code and not saved."""
    sites = repo.sites(session)
    site = next((s for s in sites if s.id == site_id), sites[0] if sites else None)
    startups = repo.startups_with_charges(session, site.id) if site else []
    result = None
    error = None
    if site is not None and startup_id is not None and period:
        try:
            result = service.preview_invoice(
                session, site=site, startup_id=startup_id, period_start=service.parse_period(period)
            )
        except AppError as exc:
            error = exc.detail
    today = service.site_today(site) if site else date.today()
    return render(
        request,
        "billing/preview.html",
        {
            "sites": sites,
            "site": site,
            "startups": startups,
            "startup_id": startup_id,
            "period": period or f"{today:%Y-%m}",
            "preview": result,
            "error": error,
        },
    )


@router.post("/billing/runs", response_class=HTMLResponse, name="billing.runs.create")
async def start_run(request: Request, session: SessionDep, user: FinancePage) -> Response:
    values = form_values(await request.form())
    try:
        site = _site_or_404(session, uuid.UUID(str(values.get("site_id", ""))))
        period = service.parse_period(str(values.get("period", "")))
        service.ensure_period_open(session, site_id=site.id, on=period, what="an invoice")
    except ValueError:
        flash(request, "Choose a site.", "error")
        return redirect(request, "/billing")
    except AppError as exc:
        return _fail(request, exc, "/billing")
    jobs.enqueue_run(session, site_id=site.id, period_start=period)
    flash(request, f"Billing run for {site.code} {period:%Y-%m} queued; drafts appear as it progresses.")
    return redirect(request, f"/billing?site_id={site.id}")


@router.post("/billing/closed-periods", response_class=HTMLResponse, name="billing.periods.close")
async def close_period(request: Request, session: SessionDep, user: FinancePage) -> Response:
    values = form_values(await request.form())
    try:
        site = _site_or_404(session, uuid.UUID(str(values.get("site_id", ""))))
        service.close_period(
            session, site=site, period_start=service.parse_period(str(values.get("period", ""))), actor=user
        )
    except ValueError:
        flash(request, "Choose a site.", "error")
        return redirect(request, "/billing")
    except AppError as exc:
        return _fail(request, exc, "/billing")
    flash(request, "Month closed.")
    return redirect(request, f"/billing?site_id={site.id}")


@router.get("/billing/exports", name="billing.exports.csv")
def export_csv(
    request: Request,
    session: SessionDep,
    user: FinancePage,
    site_id: uuid.UUID,
    period: Annotated[str, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")],
    override: bool = False,
) -> Response:
    """A CSV of the month's invoices, lines, credit notes and payments with control totals; each document is marked
    exported, and a second export of the same documents needs `override=true`."""
    site = _site_or_404(session, site_id)
    try:
        data = exports.export_period(
            session, site=site, period_start=service.parse_period(period), override=override, actor=user
        )
    except AppError as exc:
        return _fail(request, exc, f"/billing?site_id={site.id}")
    name = f"{site.code}-{period}-accounting.csv"
    return Response(data, media_type="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/invoices", response_class=HTMLResponse, name="billing.invoices")
def invoice_list(request: Request, session: SessionDep, user: PageUser, paging: Paging) -> Response:
    """Invoices you may see: your startups' as a founder, all of them as finance."""
    page = InvoiceRepository(session).search(user, paging)
    names = InvoiceRepository(session).startup_names({i.startup_id for i in page.items})
    return render(request, "billing/invoices.html", {"page": page, "names": names, "params": {}})


@router.get("/invoices/{invoice_id}", response_class=HTMLResponse, name="billing.invoice")
def invoice_detail(request: Request, session: SessionDep, user: PageUser, invoice: PageInvoice) -> Response:
    """One invoice: lines, payments, credit notes; finance edits drafts and records payments; founders pay by card."""
    settings = get_settings()
    startup = session.get(Startup, invoice.startup_id)
    site = session.get(Site, invoice.site_id)
    return render(
        request,
        "billing/invoice.html",
        {
            "invoice": invoice,
            "startup": startup,
            "site": site,
            "lines": repo.lines_of(session, invoice.id),
            "payments": repo.payments_of(session, invoice.id),
            "credit_notes": repo.credit_notes_of(session, invoice.id),
            "attempts": repo.attempts_of(session, invoice.id),
            "is_finance": user.has_role(Role.finance),
            "card_enabled": stripe_client.enabled(),
            "stripe_js_url": settings.stripe_js_url,
            "stripe_publishable_key": settings.stripe_publishable_key,
            "methods": [
                (m.value, m.label) for m in PaymentMethod if m in (PaymentMethod.bank_transfer, PaymentMethod.manual)
            ],
            "today": f"{service.site_today(site):%Y-%m-%d}" if site else "",
            "credit_balance": repo.credit_balance(session, invoice.startup_id, invoice.currency),
        },
    )


@router.get("/invoices/{invoice_id}/pdf", name="billing.invoice.pdf")
def invoice_pdf(session: SessionDep, user: PageUser, invoice: PageInvoice) -> Response:
    """The invoice as a PDF."""
    name = invoice.number_label or f"draft-{invoice.id}"
    return Response(
        pdf.invoice_pdf(session, invoice),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'},
    )


@router.post("/invoices/{invoice_id}/finalize", response_class=HTMLResponse, name="billing.invoice.finalize")
def finalize(request: Request, session: SessionDep, user: FinancePage, invoice: FinancePageInvoice) -> Response:
    try:
        done = service.finalize_invoice(session, invoice=invoice, actor=user)
    except AppError as exc:
        return _fail(request, exc, f"/invoices/{invoice.id}")
    if done.number_label:
        flash(
            request,
            f"Invoice {done.number_label} finalised; it is on its way to {done.customer_email or 'the startup'}.",
        )
    else:
        flash(request, done.void_reason or "Not issued.", "warning")
    return redirect(request, f"/invoices/{invoice.id}")


@router.post("/invoices/{invoice_id}/void", response_class=HTMLResponse, name="billing.invoice.void")
async def void(request: Request, session: SessionDep, user: FinancePage, invoice: FinancePageInvoice) -> Response:
    values = form_values(await request.form())
    try:
        service.void_invoice(session, invoice=invoice, reason=str(values.get("reason") or "Voided"), actor=user)
    except AppError as exc:
        return _fail(request, exc, f"/invoices/{invoice.id}")
    flash(request, "Invoice voided; its number stays used.")
    return redirect(request, f"/invoices/{invoice.id}")


@router.post("/invoices/{invoice_id}/uncollectible", response_class=HTMLResponse, name="billing.invoice.uncollectible")
def uncollectible(request: Request, session: SessionDep, user: FinancePage, invoice: FinancePageInvoice) -> Response:
    try:
        service.mark_uncollectible(session, invoice=invoice, actor=user)
    except AppError as exc:
        return _fail(request, exc, f"/invoices/{invoice.id}")
    flash(request, "Marked uncollectible.")
    return redirect(request, f"/invoices/{invoice.id}")


@router.post("/invoices/{invoice_id}/lines", response_class=HTMLResponse, name="billing.invoice.lines.add")
async def add_line(request: Request, session: SessionDep, user: FinancePage, invoice: FinancePageInvoice) -> Response:
    values = form_values(await request.form())
    data, errors = parse_form(InvoiceLineForm, values)
    if data is None:
        flash(request, "; ".join(errors.values()) or "Check the line.", "error")
        return redirect(request, f"/invoices/{invoice.id}")
    try:
        service.add_one_off_line(
            session,
            invoice=invoice,
            description=data.description,
            amount_minor=to_minor(data.amount, invoice.currency),
            actor=user,
        )
    except AppError as exc:
        return _fail(request, exc, f"/invoices/{invoice.id}")
    flash(request, "Line added.")
    return redirect(request, f"/invoices/{invoice.id}")


@router.post(
    "/invoices/{invoice_id}/lines/{line_id}/move", response_class=HTMLResponse, name="billing.invoice.lines.move"
)
def move_line(
    request: Request, session: SessionDep, user: FinancePage, invoice: FinancePageInvoice, line_id: uuid.UUID
) -> Response:
    try:
        service.move_line_to_next_month(session, invoice=invoice, line_id=line_id, actor=user)
    except AppError as exc:
        return _fail(request, exc, f"/invoices/{invoice.id}")
    flash(request, "Line moved to next month's run.")
    return redirect(request, f"/invoices/{invoice.id}")


@router.post("/invoices/{invoice_id}/note", response_class=HTMLResponse, name="billing.invoice.note")
async def set_note(request: Request, session: SessionDep, user: FinancePage, invoice: FinancePageInvoice) -> Response:
    values = form_values(await request.form())
    try:
        service.set_note(session, invoice=invoice, note=str(values.get("note") or ""), actor=user)
    except AppError as exc:
        return _fail(request, exc, f"/invoices/{invoice.id}")
    flash(request, "Note saved.")
    return redirect(request, f"/invoices/{invoice.id}")


@router.post("/invoices/{invoice_id}/payments", response_class=HTMLResponse, name="billing.invoice.payments")
async def record_payment(
    request: Request, session: SessionDep, user: FinancePage, invoice: FinancePageInvoice
) -> Response:
    values = form_values(await request.form())
    data, errors = parse_form(PaymentForm, values)
    if data is None:
        flash(request, "; ".join(errors.values()) or "Check the payment.", "error")
        return redirect(request, f"/invoices/{invoice.id}")
    try:
        service.record_payment(
            session,
            invoice=invoice,
            amount_minor=to_minor(data.amount, invoice.currency),
            method=data.method,
            received_date=data.received_date,
            reference=data.reference,
            actor=user,
        )
    except AppError as exc:
        return _fail(request, exc, f"/invoices/{invoice.id}")
    flash(request, "Payment recorded.")
    return redirect(request, f"/invoices/{invoice.id}")


@router.post("/invoices/{invoice_id}/credit-notes", response_class=HTMLResponse, name="billing.invoice.credit")
async def credit(request: Request, session: SessionDep, user: FinancePage, invoice: FinancePageInvoice) -> Response:
    values = form_values(await request.form())
    amounts: dict[uuid.UUID, int] | None = None
    line_id, amount = values.get("line_id"), values.get("amount")
    try:
        if line_id and amount:
            amounts = {uuid.UUID(str(line_id)): to_minor(Decimal(str(amount)), invoice.currency)}
        service.create_credit_note(
            session, invoice=invoice, reason=str(values.get("reason") or ""), amounts=amounts, actor=user
        )
    except (ValueError, InvalidOperation):
        flash(request, "Enter an amount such as 12.50.", "error")
        return redirect(request, f"/invoices/{invoice.id}")
    except AppError as exc:
        return _fail(request, exc, f"/invoices/{invoice.id}")
    flash(request, "Credit note issued.")
    return redirect(request, f"/invoices/{invoice.id}")


@router.post("/invoices/{invoice_id}/pay", response_class=HTMLResponse, name="billing.invoice.pay")
async def pay(request: Request, session: SessionDep, user: PageUser, invoice: PageInvoice) -> Response:
    """The card form posts the PaymentMethod Stripe.js made; the server creates and confirms the PaymentIntent."""
    values = form_values(await request.form())
    method_id = str(values.get("payment_method_id") or "") or None
    try:
        # In the thread pool: the call to Stripe must not hold up the event loop (and the webhook it triggers).
        attempt = await run_in_threadpool(
            service.pay_by_card, session, invoice=invoice, payment_method_id=method_id, actor=user
        )
    except AppError as exc:
        return _fail(request, exc, f"/invoices/{invoice.id}")
    if attempt.last_error:
        flash(request, f"The card payment did not go through: {attempt.last_error}", "error")
    else:
        flash(request, "Thank you. Your payment is being confirmed; the invoice shows paid in a moment.")
    return redirect(request, f"/invoices/{invoice.id}")
