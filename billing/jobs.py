"""Background jobs of billing: the monthly run, sending a finalised invoice with its PDF, overdue reminders."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlmodel import Session

from billing import pdf, repository, service
from billing.models import Invoice
from billing.runs import run_period
from facilities.models import Site
from incubator.db import unit_of_work, utcnow
from incubator.email import queue_email
from incubator.jobs import Progress, enqueue, register_job, register_periodic
from incubator.money import format_money
from incubator.storage import get_storage

RUN_JOB = "billing.run"
SEND_JOB = "billing.send_invoice"
REMINDERS_JOB = "billing.reminders"


def enqueue_run(session: Session, *, site_id: uuid.UUID, period_start: date) -> Any:
    """Queue a run of a site's month; a run of the same period already queued or running is reused."""
    key = f"{RUN_JOB}:{site_id}:{period_start:%Y-%m}:{utcnow():%Y%m%d%H%M}"
    return enqueue(session, RUN_JOB, {"site_id": str(site_id), "period": period_start.isoformat()}, dedupe_key=key)


def _run(session: Session, payload: dict[str, Any], progress: Progress) -> None:
    # The run commits per startup in its own sessions; the job's session is left untouched.
    run_period(
        site_id=uuid.UUID(payload["site_id"]),
        period_start=date.fromisoformat(payload["period"]),
        progress=progress.update,
    )


def store_invoice_pdf(session: Session, invoice: Invoice) -> str:
    if invoice.pdf_storage_key:
        return invoice.pdf_storage_key
    key = get_storage().save(pdf.invoice_pdf(session, invoice), suffix=".pdf")
    invoice.pdf_storage_key = key
    session.add(invoice)
    session.flush()
    return key


def _send(session: Session, payload: dict[str, Any], progress: Progress) -> None:
    invoice = session.get(Invoice, uuid.UUID(payload["invoice_id"]), populate_existing=True)
    if invoice is None or invoice.number_label is None or not invoice.customer_email:
        return
    site = session.get(Site, invoice.site_id)
    assert site is not None
    key = store_invoice_pdf(session, invoice)
    queue_email(
        session,
        to=invoice.customer_email,
        subject=f"Invoice {invoice.number_label} from {site.legal_name or site.name}",
        template="billing_invoice",
        context={
            "customer_name": invoice.customer_name,
            "invoice_label": invoice.number_label,
            "site_name": site.legal_name or site.name,
            "period": service.month_label(invoice.period_start),
            "total": format_money(invoice.total_minor, invoice.currency),
            "due_date": invoice.due_date.isoformat() if invoice.due_date else "",
            "invoice_url": f"/invoices/{invoice.id}",
        },
        kind="billing_invoice",
        attachments=[
            {"filename": f"{invoice.number_label}.pdf", "content_type": "application/pdf", "storage_key": key}
        ],
    )


def _reminders(session: Session, payload: dict[str, Any], progress: Progress) -> None:
    service.send_overdue_reminders(session)


def _queue_reminders() -> None:
    with unit_of_work() as session:
        enqueue(session, REMINDERS_JOB, {}, dedupe_key=f"{REMINDERS_JOB}:{utcnow():%Y-%m-%d}")


def _wire_booking_guard() -> None:
    """Facilities asks registered guards before each new booking; billing's says no to a startup overdue by more than
    `INCUBATOR_BILLING_BLOCK_BOOKINGS_OVERDUE_DAYS`. Facilities also asks which charges are invoiced already, so it
    never voids or re-prices those."""
    import facilities.service

    facilities.service.register_booking_guard(service.booking_guard)
    facilities.service.register_invoiced_check(repository.invoiced_charge_ids)


def setup() -> None:
    _wire_booking_guard()
    register_job(RUN_JOB, _run)
    register_job(SEND_JOB, _send)
    register_job(REMINDERS_JOB, _reminders)
    register_periodic(REMINDERS_JOB, 3600, _queue_reminders)
