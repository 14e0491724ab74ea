"""`incubator billing run` and `incubator billing verify-chain`."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select
from typer.testing import CliRunner

from billing import service
from billing.models import Invoice
from billing.plugin import PLUGIN
from tests.billing.builders import make_charge, make_site
from tests.support.factories import make_startup


def test_the_cli_runs_a_month_and_verifies_the_chain(session: Session) -> None:
    assert PLUGIN.cli is not None
    runner = CliRunner()
    site = make_site(session)
    for i in range(3):
        make_charge(
            session,
            site=site,
            startup=make_startup(session, name=f"Cli {i}"),
            amount_minor=700,
            service_date=date(2026, 11, 3),
        )
    result = runner.invoke(PLUGIN.cli, ["run", "--site", site.code, "--period", "2026-11"])
    assert result.exit_code == 0, result.output
    assert "complete" in result.output
    session.expire_all()
    drafts = session.exec(select(Invoice).where(Invoice.site_id == site.id)).all()
    assert len(drafts) == 3
    for draft in drafts:
        service.finalize_invoice(session, invoice=draft, actor=None, today=date(2026, 12, 1), send_email=False)
    session.commit()
    checked = runner.invoke(PLUGIN.cli, ["verify-chain"])
    assert checked.exit_code == 0, checked.output
    assert f"INV-{site.code}: 3 document(s), chain intact" in checked.output
    bad = runner.invoke(PLUGIN.cli, ["run", "--site", "NOPE", "--period", "2026-11"])
    assert bad.exit_code == 1 and "No site with code" in bad.output
    bad_month = runner.invoke(PLUGIN.cli, ["run", "--site", site.code, "--period", "November"])
    assert bad_month.exit_code == 1 and "YYYY-MM" in bad_month.output
