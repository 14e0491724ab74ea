"""Stripe events handled exactly once and in any order; overdue reminders; the booking stop for late payers."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, select

from billing import repository as repo
from billing import service
from billing.models import AttemptStatus, Invoice, InvoiceStatus, Payment, PaymentAttempt, StripeEvent
from billing.runs import run_period
from incubator.config import get_settings
from incubator.models import OutboxEmail
from tests.billing.builders import make_charge, make_site
from tests.support.factories import make_startup

NOV = date(2026, 11, 1)


def _open_invoice(session: Session, amount: int = 10000) -> Invoice:
    startup = make_startup(session)
    startup.billing_email = "pay@late.example"
    session.add(startup)
    session.commit()
    site = make_site(session)
    make_charge(session, site=site, startup=startup, amount_minor=amount, service_date=date(2026, 11, 2))
    run_period(site_id=site.id, period_start=NOV)
    session.expire_all()
    invoice = repo.invoice_for(session, startup_id=startup.id, site_id=site.id, period_start=NOV)
    assert invoice is not None
    return service.finalize_invoice(session, invoice=invoice, actor=None, today=date(2026, 12, 1), send_email=False)


def _attempt(session: Session, invoice: Invoice, intent: str) -> PaymentAttempt:
    attempt = PaymentAttempt(
        invoice_id=invoice.id,
        attempt_no=1,
        idempotency_key=f"invoice-{invoice.id}-attempt-1",
        amount_minor=invoice.amount_due_minor,
        currency=invoice.currency,
        stripe_payment_intent_id=intent,
    )
    session.add(attempt)
    session.flush()
    return attempt


def _events(intent: str, amount: int) -> dict[str, dict[str, object]]:
    return {
        "failed": {
            "id": f"evt_fail_{intent}",
            "type": "payment_intent.payment_failed",
            "data": {"object": {"id": intent, "last_payment_error": {"message": "Your card was declined."}}},
        },
        "succeeded": {
            "id": f"evt_ok_{intent}",
            "type": "payment_intent.succeeded",
            "data": {"object": {"id": intent, "amount": amount, "amount_received": amount}},
        },
        "refunded": {
            "id": f"evt_ref_{intent}",
            "type": "charge.refunded",
            "data": {"object": {"id": f"ch_{intent}", "payment_intent": intent, "amount_refunded": 2000}},
        },
    }


@pytest.mark.parametrize("order", list(itertools.permutations(["failed", "succeeded", "refunded"])))
def test_events_in_any_order_and_replayed_end_in_the_same_state(session: Session, order: tuple[str, ...]) -> None:
    invoice = _open_invoice(session)
    intent = f"pi_{'_'.join(order)}"
    _attempt(session, invoice, intent)
    events = _events(intent, invoice.total_minor)
    for name in [*order, *order]:  # every event delivered twice
        service.handle_stripe_event(session, event=events[name])
    session.flush()
    session.refresh(invoice)
    payments = session.exec(select(Payment).where(Payment.invoice_id == invoice.id)).all()
    assert len(payments) == 1
    assert payments[0].amount_minor == 12000 and payments[0].refunded_minor == 2000
    assert invoice.paid_minor == 10000 and invoice.amount_due_minor == 2000
    assert invoice.status == InvoiceStatus.open  # the refund re-opened 20.00
    attempt = session.exec(select(PaymentAttempt).where(PaymentAttempt.invoice_id == invoice.id)).one()
    assert attempt.status == AttemptStatus.succeeded
    assert (
        len(session.exec(select(StripeEvent).where(StripeEvent.event_id.in_([e["id"] for e in events.values()]))).all())
        == 3
    )  # type: ignore[attr-defined]


def test_an_event_about_a_payment_intent_we_never_made_is_stored_and_changes_nothing(session: Session) -> None:
    invoice = _open_invoice(session)
    row, new = service.handle_stripe_event(session, event=_events("pi_stranger", 12000)["succeeded"])
    assert new and "Unknown PaymentIntent" in row.outcome
    session.refresh(invoice)
    assert invoice.status == InvoiceStatus.open and invoice.paid_minor == 0


def test_overdue_reminders_follow_the_configured_days_once_each(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "billing_reminder_days", "7,14")
    invoice = _open_invoice(session)
    assert invoice.due_date is not None
    due = datetime.combine(invoice.due_date, datetime.min.time(), tzinfo=UTC) + timedelta(hours=12)

    def reminders() -> int:
        return len(session.exec(select(OutboxEmail).where(OutboxEmail.kind == "billing_reminder")).all())

    assert service.send_overdue_reminders(session, now=due + timedelta(days=3)) == 0
    assert service.send_overdue_reminders(session, now=due + timedelta(days=8)) == 1
    assert service.send_overdue_reminders(session, now=due + timedelta(days=9)) == 0  # not twice for one step
    assert service.send_overdue_reminders(session, now=due + timedelta(days=15)) == 1
    assert service.send_overdue_reminders(session, now=due + timedelta(days=40)) == 0  # the schedule is done
    assert reminders() == 2
    mail = session.exec(select(OutboxEmail).where(OutboxEmail.kind == "billing_reminder")).first()
    assert mail is not None and invoice.number_label in mail.subject and mail.to_address == "pay@late.example"


def test_startups_overdue_beyond_the_setting_may_not_book(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    invoice = _open_invoice(session)
    assert invoice.due_date is not None
    later = invoice.due_date + timedelta(days=20)
    assert service.bookings_blocked_reason(session, startup_id=invoice.startup_id, today=later) is None  # off
    monkeypatch.setattr(get_settings(), "billing_block_bookings_overdue_days", 30)
    assert service.bookings_blocked_reason(session, startup_id=invoice.startup_id, today=later) is None
    reason = service.bookings_blocked_reason(
        session, startup_id=invoice.startup_id, today=invoice.due_date + timedelta(days=31)
    )
    assert reason is not None and "31 days overdue" in reason
    service.record_payment(
        session,
        invoice=invoice,
        amount_minor=invoice.amount_due_minor,
        method=service.PaymentMethod.bank_transfer,
        received_date=date(2026, 12, 20),
        actor=None,
    )
    assert (
        service.bookings_blocked_reason(
            session, startup_id=invoice.startup_id, today=invoice.due_date + timedelta(days=31)
        )
        is None
    )
