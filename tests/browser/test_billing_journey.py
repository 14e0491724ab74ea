"""Browser journey: finance runs billing, reviews a draft, finalises it and downloads the PDF; the founder sees the
invoice and pays it by card (Stripe.js from localstripe); Stripe's webhook reaches the app and marks it paid.

The shared `live_server` runs without Stripe settings (card payment not offered), so this module starts its own live
server the same way (`tests.support.live`: real CLI to migrate and load the demo data, uvicorn in a subprocess) with
`INCUBATOR_STRIPE_*` pointing at the session's localstripe.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.support.live import ROOT, LiveServer, _stop, _wait_ready, free_port, live_environment, run_cli
from tests.support.smtp import SmtpServer
from tests.support.stripe_server import StripeServer

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
WEBHOOK_SECRET = "whsec_browser_journey"


@pytest.fixture(scope="module")
def stripe_live_server(
    smtp_server: SmtpServer, _stripe_process: StripeServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    workdir = tmp_path_factory.mktemp("billing-live")
    port = free_port()
    env = live_environment(port=port, workdir=workdir, smtp_host=smtp_server.host, smtp_port=smtp_server.port)
    env.update(
        {
            "INCUBATOR_STRIPE_SECRET_KEY": "sk_test_browser_journey",
            "INCUBATOR_STRIPE_PUBLISHABLE_KEY": "pk_test_browser_journey",
            "INCUBATOR_STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "INCUBATOR_STRIPE_API_BASE": _stripe_process.url,
            "INCUBATOR_STRIPE_JS_URL": f"{_stripe_process.url}/js.stripe.com/v3/",
        }
    )
    run_cli(env, "db", "upgrade")
    run_cli(env, "demo", "load")
    log_path = workdir / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "main:app", "--host", "127.0.0.1", "--port", str(port)],
            cwd=str(ROOT),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    server = LiveServer(
        url=url,
        port=port,
        database_url=env["INCUBATOR_DATABASE_URL"],
        database_path=workdir / "live.db",
        env=env,
        log_path=log_path,
        process=process,
    )
    try:
        _wait_ready(url, process, log_path)
        yield server
    finally:
        _stop(process)


def test_finance_bills_and_the_founder_pays_by_card(
    browser,  # type: ignore[no-untyped-def]
    stripe_live_server: LiveServer,
    stripe_server: StripeServer,
) -> None:
    from playwright.sync_api import expect

    from tests.support.browser import login, logout

    stripe_server.register_webhook("journey", f"{stripe_live_server.url}/api/v1/webhooks/stripe", WEBHOOK_SECRET)
    context = browser.new_context(base_url=stripe_live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        this_month = datetime.now(UTC).strftime("%Y-%m")
        # Finance runs this month's billing for the Shenzhen site (the demo founder's startup rents there).
        login(page, "finance@demo.example.org")
        page.goto("/billing")
        # The demo's Shenzhen site (its code depends on which demo made it: facilities "SZX", billing alone "SZ").
        label = next(t for t in page.locator("#f-site option").all_inner_texts() if t.startswith("Shenzhen"))
        code = re.search(r"\((\w+), CNY\)", label).group(1)  # type: ignore[union-attr]
        page.locator("#f-site").select_option(label=label)
        page.get_by_role("button", name="Show").click()
        run_form = page.locator("#run-form")
        run_form.get_by_label("Month (YYYY-MM)").fill(this_month)
        run_form.get_by_role("button", name=re.compile(rf"^Run billing for {code}\b")).click()
        expect(page.get_by_text(re.compile(rf"Billing run for {code} .* queued"))).to_be_visible()
        stripe_live_server.run_jobs()
        page.locator("#f-status").select_option("draft")
        page.get_by_role("button", name="Show").click()
        row = page.locator("tr", has_text="Fermentis Labs").filter(has_text=this_month)
        row.get_by_role("link", name="Draft").click()
        # Review the draft: its lines are this month's charges, discount then tax.
        expect(page.get_by_role("heading", level=1)).to_contain_text("(draft)")
        expect(page.locator("#invoice-lines tbody tr").first).to_be_visible()
        page.locator("#finalize-form").get_by_role("button", name="Finalise invoice").click()
        expect(page.get_by_text(re.compile(rf"Invoice {code}-\d{{6}} finalised"))).to_be_visible()
        number = page.get_by_role("heading", level=1).inner_text().split()[1]
        assert re.fullmatch(rf"{code}-\d{{6}}", number)
        with page.expect_download() as download_info:
            page.locator("#download-pdf").click()
        pdf_path = download_info.value.path()
        assert pdf_path is not None and Path(pdf_path).read_bytes()[:5] == b"%PDF-"
        invoice_url = page.url
        logout(page)

        # The founder sees the invoice and pays it by card through Stripe.js (localstripe's copy).
        login(page, "founder@demo.example.org")
        page.goto("/invoices")
        page.get_by_role("link", name=number).click()
        expect(page.locator("#pay-by-card")).to_be_visible()
        card = page.locator("#card-element")
        card.get_by_placeholder("number").fill("4242424242424242")
        card.get_by_placeholder("exp_month").fill("12")
        card.get_by_placeholder("exp_year").fill("30")
        card.get_by_placeholder("cvc").fill("123")
        card.get_by_placeholder("postal_code").fill("518000")
        page.locator("#card-form").get_by_role("button", name=re.compile(r"^Pay ")).click()
        expect(page.get_by_text(re.compile(r"Your payment is being confirmed"))).to_be_visible()
        assert page.url == invoice_url

        # Stripe's webhook arrives at the app, is verified and marks the invoice paid.
        deadline = time.monotonic() + 20
        while True:
            page.reload()
            if page.locator("h1 .badge-paid").count():
                break
            assert time.monotonic() < deadline, "the invoice never turned paid"
            time.sleep(0.5)
        expect(page.locator("h1")).to_contain_text("Paid")
        expect(page.locator("#pay-by-card")).to_have_count(0)
        payments = page.locator("h2", has_text="Payments")
        expect(payments).to_be_visible()
        # Only one payment was recorded.
        assert len(re.findall(r"Card ·", page.content())) == 1
    finally:
        context.close()
