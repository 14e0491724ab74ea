"""Invoices through the API and pages: drafts, finalising, immutability, payments, closed periods, PDFs, e-mail."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pypdf
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from billing import pdf, service
from billing import repository as repo
from billing.models import CreditBalanceEntry, Invoice, InvoiceStatus, PaymentMethod
from billing.runs import run_period
from facilities.models import Site
from incubator.config import get_settings
from incubator.jobs import run_due_jobs
from incubator.models import OutboxEmail, Role
from startups.models import Startup
from tests.billing.builders import make_charge, make_site
from tests.support.backends import in_ci
from tests.support.factories import bearer, make_startup, make_user, post_form, sign_in

NOV = date(2026, 11, 1)


def _draft(session: Session, *, amount: int = 10000, name: str = "Acme Bio") -> tuple[Site, Startup, Invoice]:
    founder = make_user(session, roles=[Role.founder])
    startup = make_startup(session, name=name, founder=founder)
    startup.billing_email = "ap@acme.example"
    startup.billing_address = "1 Acme Way"
    session.add(startup)
    session.commit()
    site = make_site(session)
    make_charge(session, site=site, startup=startup, amount_minor=amount, service_date=date(2026, 11, 4))
    run_period(site_id=site.id, period_start=NOV)
    session.expire_all()
    invoice = repo.invoice_for(session, startup_id=startup.id, site_id=site.id, period_start=NOV)
    assert invoice is not None
    return site, startup, invoice


def _founder_of(session: Session, startup: Startup):  # type: ignore[no-untyped-def]
    from startups.models import StartupMember

    member = session.exec(select(StartupMember).where(StartupMember.startup_id == startup.id)).first()
    assert member is not None
    return session.get_one(__import__("incubator.models", fromlist=["User"]).User, member.user_id)


def test_finance_finalises_a_draft_and_then_it_cannot_change(client: TestClient, session: Session) -> None:
    site, startup, invoice = _draft(session)
    finance = bearer(session, make_user(session, roles=[Role.finance]))
    founder = bearer(session, _founder_of(session, startup))
    # A founder never sees a draft.
    assert client.get(f"/api/v1/invoices/{invoice.id}", headers=founder).status_code == 404
    added = client.post(
        f"/api/v1/invoices/{invoice.id}/lines", json={"description": "Key card", "amount_minor": 500}, headers=finance
    )
    assert added.status_code == 201 and added.json()["tax_minor"] == 100
    done = client.post(f"/api/v1/invoices/{invoice.id}/finalize", headers=finance)
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["status"] == "open" and body["number_label"] == f"{site.code}-000001"
    assert body["total_minor"] == 12600 and body["customer_name"] == "Acme Bio"
    # Finalising twice, editing, adding lines to a finalised invoice: 409 with a sentence, nothing changes.
    again = client.post(f"/api/v1/invoices/{invoice.id}/finalize", headers=finance)
    assert again.status_code == 409 and "already finalised" in again.json()["detail"]
    edit = client.patch(f"/api/v1/invoices/{invoice.id}", json={"note": "changed"}, headers=finance)
    assert edit.status_code == 409 and "never changes" in edit.json()["detail"]
    assert (
        client.post(
            f"/api/v1/invoices/{invoice.id}/lines", json={"description": "x", "amount_minor": 1}, headers=finance
        ).status_code
        == 409
    )
    # The snapshot does not follow later changes to the startup.
    startup.billing_address = "Moved away"
    session.add(startup)
    session.commit()
    seen = client.get(f"/api/v1/invoices/{invoice.id}", headers=founder)
    assert seen.status_code == 200 and seen.json()["customer_address"] == "1 Acme Way"
    assert len(seen.json()["lines"]) == 2
    # Finalising queued the e-mail with the PDF attached.
    run_due_jobs(session=session)
    mail = session.exec(select(OutboxEmail).where(OutboxEmail.kind == "billing_invoice")).one()
    assert mail.to_address == "ap@acme.example"
    assert mail.attachments and mail.attachments[0]["filename"] == f"{site.code}-000001.pdf"
    from incubator.storage import get_storage

    assert get_storage().read(mail.attachments[0]["storage_key"]).startswith(b"%PDF-")


def test_partial_payment_then_overpayment_becomes_credit_used_on_the_next_invoice(
    client: TestClient, session: Session
) -> None:
    site, startup, invoice = _draft(session)
    invoice = service.finalize_invoice(session, invoice=invoice, actor=None, today=date(2026, 12, 1))
    session.commit()
    finance = bearer(session, make_user(session, roles=[Role.finance]))
    part = client.post(
        "/api/v1/payments",
        json={
            "invoice_id": str(invoice.id),
            "amount_minor": 5000,
            "method": "bank_transfer",
            "received_date": "2026-12-03",
            "reference": "BACS 1",
        },
        headers=finance,
    )
    assert part.status_code == 201, part.text
    session.refresh(invoice)
    assert invoice.status == InvoiceStatus.open and invoice.amount_due_minor == 7000
    over = client.post(
        "/api/v1/payments",
        json={
            "invoice_id": str(invoice.id),
            "amount_minor": 9000,
            "method": "bank_transfer",
            "received_date": "2026-12-04",
        },
        headers=finance,
    )
    assert over.status_code == 201 and over.json()["applied_minor"] == 7000
    session.refresh(invoice)
    assert invoice.status == InvoiceStatus.paid
    assert repo.credit_balance(session, startup.id, site.currency) == 2000
    # Paying a paid invoice is refused.
    assert (
        client.post(
            "/api/v1/payments",
            json={"invoice_id": str(invoice.id), "amount_minor": 1, "received_date": "2026-12-04"},
            headers=finance,
        ).status_code
        == 409
    )
    # December's invoice uses the credit balance when finalised.
    make_charge(session, site=site, startup=startup, amount_minor=1000, service_date=date(2026, 12, 2))
    run_period(site_id=site.id, period_start=date(2026, 12, 1))
    session.expire_all()
    december = repo.invoice_for(session, startup_id=startup.id, site_id=site.id, period_start=date(2026, 12, 1))
    assert december is not None
    december = service.finalize_invoice(session, invoice=december, actor=None, today=date(2027, 1, 1))
    assert december.total_minor == 1200 and december.paid_minor == 1200 and december.status == InvoiceStatus.paid
    assert repo.credit_balance(session, startup.id, site.currency) == 800
    entries = session.exec(select(CreditBalanceEntry).where(CreditBalanceEntry.startup_id == startup.id)).all()
    assert sorted(e.amount_minor for e in entries) == [-1200, 2000]


def test_void_invoices_cannot_be_paid_and_closed_periods_refuse_payments(client: TestClient, session: Session) -> None:
    site, _startup, invoice = _draft(session)
    invoice = service.finalize_invoice(session, invoice=invoice, actor=None, today=date(2026, 12, 1))
    session.commit()
    finance_user = make_user(session, roles=[Role.finance])
    finance = bearer(session, finance_user)
    closed = client.post("/api/v1/closed-periods", json={"site_id": str(site.id), "period": "2026-10"}, headers=finance)
    assert closed.status_code == 204
    late = client.post(
        "/api/v1/payments",
        json={"invoice_id": str(invoice.id), "amount_minor": 100, "received_date": "2026-10-30"},
        headers=finance,
    )
    assert late.status_code == 409 and "closed" in late.json()["detail"]
    assert service.period_is_closed(session, site_id=site.id, on=date(2026, 10, 15))
    # A run for a closed month is refused.
    run = client.post("/api/v1/billing-runs", json={"site_id": str(site.id), "period": "2026-10"}, headers=finance)
    assert run.status_code == 409
    voided = client.post(f"/api/v1/invoices/{invoice.id}/void", json={"reason": "Wrong startup"}, headers=finance)
    assert voided.status_code == 200 and voided.json()["status"] == "void"
    assert voided.json()["number_label"] == f"{site.code}-000001"  # the number stays used
    pay = client.post(
        "/api/v1/payments",
        json={"invoice_id": str(invoice.id), "amount_minor": 100, "received_date": "2026-12-05"},
        headers=finance,
    )
    assert pay.status_code == 409 and "void" in pay.json()["detail"]
    assert client.post(f"/api/v1/invoices/{invoice.id}/pay", json={}, headers=finance).status_code == 409
    assert session.exec(select(Invoice).where(Invoice.id == invoice.id)).one().paid_minor == 0


def test_zero_amount_drafts_are_not_numbered_unless_the_setting_says_so(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    _site, _startup, invoice = _draft(session, amount=0)
    done = service.finalize_invoice(session, invoice=invoice, actor=None, today=date(2026, 12, 1))
    assert done.status == InvoiceStatus.void and done.number is None
    monkeypatch.setattr(get_settings(), "billing_issue_zero_invoices", True)
    _site2, _s2, other = _draft(session, amount=0, name="Zero Two")
    issued = service.finalize_invoice(session, invoice=other, actor=None, today=date(2026, 12, 1))
    assert issued.status == InvoiceStatus.paid and issued.number == 1


def test_webhook_is_disabled_without_a_secret_and_refuses_bad_signatures(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    off = client.post("/api/v1/webhooks/stripe", content=b"{}")
    assert off.status_code == 404 and "not configured" in off.json()["detail"]
    monkeypatch.setattr(get_settings(), "stripe_webhook_secret", "whsec_x")
    bad = client.post("/api/v1/webhooks/stripe", content=b'{"id": "evt_1"}', headers={"Stripe-Signature": "t=1,v1=00"})
    assert bad.status_code == 400


def test_card_payment_is_not_offered_without_stripe_settings(client: TestClient, session: Session) -> None:
    _site, startup, invoice = _draft(session)
    service.finalize_invoice(session, invoice=invoice, actor=None, today=date(2026, 12, 1))
    session.commit()
    founder = _founder_of(session, startup)
    sign_in(client, session, founder)
    dashboard = client.get("/")
    assert "Invoices to pay" in dashboard.text and f"/invoices/{invoice.id}" in dashboard.text
    page = client.get(f"/invoices/{invoice.id}")
    assert page.status_code == 200
    assert "Card payment is not offered" in page.text and "card-form" not in page.text
    api = client.post(f"/api/v1/invoices/{invoice.id}/pay", json={}, headers=bearer(session, founder))
    assert api.status_code == 409 and "not set up" in api.json()["detail"]


def test_finance_pages_run_review_finalise_and_download(client: TestClient, session: Session) -> None:
    founder = make_user(session, roles=[Role.founder])
    startup = make_startup(session, name="Page Bio", founder=founder)
    site = make_site(session)
    make_charge(session, site=site, startup=startup, amount_minor=4200, service_date=date(2026, 11, 9))
    sign_in(client, session, make_user(session, roles=[Role.finance]))
    assert "Drafts to review" in client.get("/").text
    home = client.get(f"/billing?site_id={site.id}")
    assert home.status_code == 200 and "Run billing" in home.text and "<svg" in home.text
    preview = client.get(f"/billing/preview?site_id={site.id}&startup_id={startup.id}&period=2026-11")
    assert preview.status_code == 200 and "£50.40" in preview.text
    queued = post_form(client, "/billing/runs", {"site_id": str(site.id), "period": "2026-11"})
    assert queued.status_code == 303
    run_due_jobs(session=session)
    session.expire_all()
    invoice = repo.invoice_for(session, startup_id=startup.id, site_id=site.id, period_start=NOV)
    assert invoice is not None and invoice.total_minor == 5040
    detail = client.get(f"/invoices/{invoice.id}")
    assert detail.status_code == 200 and "Finalise invoice" in detail.text
    assert post_form(client, f"/invoices/{invoice.id}/finalize").status_code == 303
    session.refresh(invoice)
    assert invoice.number_label == f"{site.code}-000001"
    got = client.get(f"/invoices/{invoice.id}/pdf")
    assert got.status_code == 200 and got.content.startswith(b"%PDF-")
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(got.content)).pages)
    assert f"{site.code}-000001" in text and "Page Bio" in text and "Incubator Labs Ltd" in text
    # Export: once, then refused without the override, then allowed with it.
    first = client.get(f"/billing/exports?site_id={site.id}&period=2026-{date.today():%m}")
    assert first.status_code == 200
    csv_text = first.text
    assert "control_total" in csv_text
    issued_month = invoice.issue_date
    assert issued_month is not None
    exp = client.get(f"/billing/exports?site_id={site.id}&period={issued_month:%Y-%m}")
    assert exp.status_code in (200, 303)
    again = client.get(f"/billing/exports?site_id={site.id}&period={issued_month:%Y-%m}")
    assert again.status_code == 303  # refused, with a message
    forced = client.get(f"/billing/exports?site_id={site.id}&period={issued_month:%Y-%m}&override=true")
    assert forced.status_code == 200 and f"{site.code}-000001" in forced.text


def test_a_chinese_customer_comes_out_right_in_the_pdf(session: Session) -> None:
    if not pdf.cjk_font_available():
        if in_ci():
            pytest.fail("CI installs fonts-noto-cjk; no CJK font was found")
        pytest.skip("No CJK font installed (Debian: apt-get install fonts-noto-cjk)")
    founder = make_user(session, roles=[Role.founder])
    startup = make_startup(session, name="深圳合成生物", founder=founder)
    startup.legal_name = "深圳合成生物科技有限公司"
    startup.billing_address = "广东省深圳市南山区科技园"
    session.add(startup)
    session.commit()
    site = make_site(session, currency="CNY", timezone="Asia/Shanghai")
    make_charge(
        session,
        site=site,
        startup=startup,
        amount_minor=88800,
        service_date=date(2026, 11, 2),
        description="发酵罐 300 L 使用",
    )
    run_period(site_id=site.id, period_start=NOV)
    session.expire_all()
    invoice = repo.invoice_for(session, startup_id=startup.id, site_id=site.id, period_start=NOV)
    assert invoice is not None
    invoice = service.finalize_invoice(session, invoice=invoice, actor=None, today=date(2026, 12, 1))
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.invoice_pdf(session, invoice))).pages)
    assert "深圳合成生物科技有限公司" in text
    assert "广东省深圳市南山区科技园" in text
    assert "发酵罐" in text


FALLBACK_SCRIPT = """
import io, sys, types
from datetime import date
from decimal import Decimal
import pypdf
from billing import pdf
assert not pdf.cjk_font_available(), "fontconfig still sees a CJK font"
line = types.SimpleNamespace(description="发酵罐 300 L", service_date=date(2026, 11, 2), quantity=Decimal(1),
    amount_minor=88800, discount_minor=0, net_minor=88800, tax_minor=0, tax_name="", tax_rate=Decimal(0),
    total_minor=88800)
inv = types.SimpleNamespace(number_label="SZ-000001", issue_date=date(2026, 12, 1), due_date=date(2026, 12, 31),
    period_start=date(2026, 11, 1), customer_name="深圳合成生物科技有限公司", customer_address="广东省深圳市",
    customer_tax_id="", currency="CNY", subtotal_minor=88800, discount_minor=0, net_minor=88800, tax_minor=0,
    total_minor=88800, note="")
site = types.SimpleNamespace(legal_name="Incubator Labs Ltd", name="Shenzhen", legal_address="Nanshan",
    address="", tax_id="", bank_details="", invoice_footer="")
data = pdf._render("billing/invoice_pdf.html", {"doc_title": "Invoice", "invoice": inv, "lines": [line],
    "site": site, "credit_note": None, "cjk": False})
assert data.startswith(b"%PDF-")
text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)
flat = "".join(text.split())
assert "SZ-000001" in flat and "IncubatorLabsLtd" in flat, text
# Nothing false: the Chinese name is not printed as wrong characters, the PDF says it is not shown.
assert "noCJKfontinstalled" in flat, text
assert "深圳" not in text
print("OK")
"""


def test_the_pdf_still_renders_without_a_cjk_font(tmp_path: Path) -> None:
    """fontconfig is pointed at the DejaVu fonts only (no CJK font): the PDF still renders, with its numbers and
    Latin text intact; the Chinese glyphs fall back to whatever is available and nothing fails."""
    fonts = Path("/usr/share/fonts/truetype/dejavu")
    if not fonts.exists():
        pytest.skip("DejaVu fonts not installed; cannot build a font set without CJK")
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        f'<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig><dir>{fonts}</dir>'
        f"<cachedir>{tmp_path}/cache</cachedir></fontconfig>"
    )
    env = {**os.environ, "FONTCONFIG_FILE": str(conf)}
    done = subprocess.run(
        [sys.executable, "-c", FALLBACK_SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "OK" in done.stdout


def test_credit_notes_through_the_api_with_their_pdf(client: TestClient, session: Session) -> None:
    site, startup, invoice = _draft(session)
    invoice = service.finalize_invoice(session, invoice=invoice, actor=None, send_email=False)
    session.commit()
    line = repo.lines_of(session, invoice.id)[0]
    finance = bearer(session, make_user(session, roles=[Role.finance]))
    too_much = client.post(
        "/api/v1/credit-notes",
        json={
            "invoice_id": str(invoice.id),
            "reason": "x",
            "lines": [{"invoice_line_id": str(line.id), "net_minor": 10001}],
        },
        headers=finance,
    )
    assert too_much.status_code == 409 and "left to credit" in too_much.json()["detail"]
    made = client.post(
        "/api/v1/credit-notes",
        json={
            "invoice_id": str(invoice.id),
            "reason": "Goodwill",
            "lines": [{"invoice_line_id": str(line.id), "net_minor": 2500}],
        },
        headers=finance,
    )
    assert made.status_code == 201 and made.json()["total_minor"] == 3000
    assert made.json()["number_label"] == f"CN-{site.code}-000001"
    founder = bearer(session, _founder_of(session, startup))
    got = client.get(f"/api/v1/credit-notes/{made.json()['id']}.pdf", headers=founder)
    assert got.status_code == 200
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(got.content)).pages)
    assert "Credit note" in text and f"CN-{site.code}-000001" in text and "Goodwill" in text


def test_the_accounting_export_marks_documents_and_needs_an_override_to_repeat(
    client: TestClient, session: Session
) -> None:
    site, _startup, invoice = _draft(session)
    invoice = service.finalize_invoice(session, invoice=invoice, actor=None, today=date(2026, 12, 1), send_email=False)
    service.record_payment(
        session,
        invoice=invoice,
        amount_minor=4000,
        method=PaymentMethod.bank_transfer,
        received_date=date(2026, 12, 5),
        actor=None,
    )
    session.commit()
    finance = bearer(session, make_user(session, roles=[Role.finance]))
    url = f"/api/v1/exports/invoices.csv?site_id={site.id}&period=2026-12"
    first = client.get(url, headers=finance)
    assert first.status_code == 200
    rows = first.text.splitlines()
    assert rows[0].startswith("record,document,date")
    assert any(r.startswith(f"invoice,{site.code}-000001,2026-12-01") and ",120.00," in r for r in rows)
    assert any(r.startswith("control_total,invoices,2026-12") and "1 record(s)" in r and ",120.00," in r for r in rows)
    assert any(r.startswith("control_total,payments,2026-12") and ",40.00," in r for r in rows)
    session.refresh(invoice)
    assert invoice.export_batch_id is not None
    again = client.get(url, headers=finance)
    assert again.status_code == 409 and "override" in again.json()["detail"]
    forced = client.get(url + "&override=true", headers=finance)
    assert forced.status_code == 200 and f"{site.code}-000001" in forced.text
