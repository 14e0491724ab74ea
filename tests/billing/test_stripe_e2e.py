"""End to end against localstripe: a founder pays a finalised invoice by card, Stripe's webhook reaches the running
app, is verified, and marks the invoice paid once; a replay changes nothing; a forged event is refused."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from sqlmodel import Session, select

from billing import repository as repo
from billing import service, stripe_client
from billing.models import Invoice, InvoiceStatus, Payment, PaymentAttempt, StripeEvent
from billing.runs import run_period
from incubator import db as kernel_db
from incubator import service as accounts
from incubator.config import get_settings
from incubator.db import unit_of_work
from incubator.migrations import upgrade
from incubator.models import Role
from main import app
from tests.billing.builders import make_charge, make_site
from tests.support import backends
from tests.support.factories import make_startup, make_user
from tests.support.stripe_server import StripeServer, free_port

SECRET = "whsec_test_incubator"


@dataclass
class LiveApp:
    url: str
    engine: sa.engine.Engine


@pytest.fixture
def live_billing_app(
    backend: str, worker_id_str: str, tmp_dir: Path, stripe_server: StripeServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LiveApp]:
    """The app served by uvicorn on a loopback port, against a fresh database whose commits are real."""
    url = backends.database_url(backend, worker_id_str, tmp_dir, purpose="billing_stripe")
    upgrade(url)
    engine = kernel_db.create_db_engine(url)
    kernel_db.use_session_factory(lambda: Session(engine, expire_on_commit=False))
    settings = get_settings()
    monkeypatch.setattr(settings, "stripe_secret_key", "sk_test_incubator")
    monkeypatch.setattr(settings, "stripe_publishable_key", "pk_test_incubator")
    monkeypatch.setattr(settings, "stripe_webhook_secret", SECRET)
    monkeypatch.setattr(settings, "stripe_api_base", stripe_server.url)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    stripe_server.register_webhook("incubator", f"http://127.0.0.1:{port}/api/v1/webhooks/stripe", SECRET)
    try:
        yield LiveApp(url=f"http://127.0.0.1:{port}", engine=engine)
    finally:
        server.should_exit = True
        thread.join(10)
        kernel_db.use_session_factory(None)
        engine.dispose()


def _signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    stamp = int(time.time())
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={stamp},v1={mac}", "Content-Type": "application/json"}


def _wait_for(check, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.2)


def test_founder_pays_by_card_and_the_verified_webhook_marks_the_invoice_paid_once(live_billing_app: LiveApp) -> None:
    engine = live_billing_app.engine
    with Session(engine, expire_on_commit=False) as s:
        founder = make_user(s, roles=[Role.founder])
        startup = make_startup(s, name="Card Payer Bio", founder=founder)
        startup.billing_email = "accounts@cardpayer.example"
        s.add(startup)
        s.commit()
        site = make_site(s)
        make_charge(s, site=site, startup=startup, amount_minor=10000, service_date=date(2026, 11, 5))
        token, _ = accounts.issue_api_token(s, user=founder)
        s.commit()
    run_period(site_id=site.id, period_start=date(2026, 11, 1))
    with unit_of_work() as s:
        draft = repo.invoice_for(s, startup_id=startup.id, site_id=site.id, period_start=date(2026, 11, 1))
        assert draft is not None
        invoice = service.finalize_invoice(s, invoice=draft, actor=None)
        invoice_id, total = invoice.id, invoice.total_minor
    assert total == 12000

    sent: list[Mapping[str, str]] = []

    def listen(method: str, url: str, headers: Mapping[str, str]) -> None:
        if "/v1/payment_intents" in url and method == "post":
            sent.append(headers)

    stripe_client.add_request_listener(listen)
    try:
        # Stripe.js makes the PaymentMethod in the browser; here the test does it with the test card.
        pm = stripe_client.create_payment_method_from_card("4242424242424242", 12, 2030, "123")
        api = httpx.Client(base_url=live_billing_app.url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        answer = api.post(f"/api/v1/invoices/{invoice_id}/pay", json={"payment_method_id": pm})
        assert answer.status_code == 200, answer.text
        assert answer.json()["idempotency_key"] == f"invoice-{invoice_id}-attempt-1"
    finally:
        stripe_client.remove_request_listener(listen)
    # The deterministic key went out with the request (localstripe itself ignores it).
    assert [h.get("Idempotency-Key") for h in sent] == [f"invoice-{invoice_id}-attempt-1"]

    def paid() -> bool:
        with Session(engine) as s:
            inv = s.get(Invoice, invoice_id)
            return inv is not None and inv.status == InvoiceStatus.paid

    _wait_for(paid)
    with Session(engine) as s:
        payments = s.exec(select(Payment).where(Payment.invoice_id == invoice_id)).all()
        assert len(payments) == 1 and payments[0].amount_minor == 12000
        attempt = s.exec(select(PaymentAttempt).where(PaymentAttempt.invoice_id == invoice_id)).one()
        succeeded = s.exec(select(StripeEvent).where(StripeEvent.type == "payment_intent.succeeded")).one()
        payload = succeeded.payload
        assert payload["data"]["object"]["id"] == attempt.stripe_payment_intent_id

    web = httpx.Client(base_url=live_billing_app.url, timeout=30)
    # The same event delivered again: accepted, recognised, nothing changes.
    body = json.dumps(payload).encode()
    replay = web.post("/api/v1/webhooks/stripe", content=body, headers=_signed(body))
    assert replay.status_code == 200 and replay.json()["duplicate"] is True
    # A forged event (wrong secret) and an unsigned one are refused with 400 and not stored.
    forged_event = {**payload, "id": "evt_forged_1"}
    forged = json.dumps(forged_event).encode()
    assert (
        web.post("/api/v1/webhooks/stripe", content=forged, headers=_signed(forged, "whsec_wrong")).status_code == 400
    )
    assert web.post("/api/v1/webhooks/stripe", content=forged).status_code == 400
    # A verified event about a PaymentIntent we never made: stored, answered 200, nothing changes.
    stranger = {**payload, "id": "evt_stranger_1"}
    stranger["data"] = {"object": {**payload["data"]["object"], "id": "pi_not_ours"}}
    stranger_body = json.dumps(stranger).encode()
    unknown = web.post("/api/v1/webhooks/stripe", content=stranger_body, headers=_signed(stranger_body))
    assert unknown.status_code == 200 and "Unknown PaymentIntent" in unknown.json()["outcome"]
    with Session(engine) as s:
        assert len(s.exec(select(Payment)).all()) == 1
        assert s.exec(select(StripeEvent).where(StripeEvent.event_id == "evt_forged_1")).first() is None
        assert s.exec(select(StripeEvent).where(StripeEvent.event_id == "evt_stranger_1")).first() is not None
        inv = s.get(Invoice, invoice_id)
        assert inv is not None and inv.status == InvoiceStatus.paid and inv.paid_minor == 12000
    # Paying a paid invoice again is refused.
    again = api.post(f"/api/v1/invoices/{invoice_id}/pay", json={"payment_method_id": pm})
    assert again.status_code == 409
