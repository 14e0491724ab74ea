"""The charge step from the command line and as a background job: same result, still idempotent."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select
from typer.testing import CliRunner

from cli import app as cli_app
from facilities.jobs import GENERATE_CHARGES
from facilities.models import Charge, ChargeCategory
from incubator.jobs import enqueue, run_due_jobs
from incubator.models import Role
from tests.facilities.builders import make_membership, make_plan, make_site
from tests.support.factories import make_startup, make_user


def _membership_charges(session: Session, site_id: object) -> list[Charge]:
    return list(
        session.exec(
            select(Charge).where(Charge.site_id == site_id, Charge.category == ChargeCategory.membership)
        ).all()
    )


def test_cli_creates_the_months_charges_once(session: Session) -> None:
    site = make_site(session, code="CLI1")
    make_membership(session, startup=make_startup(session), plan=make_plan(session, site=site), start=date(2026, 11, 1))
    runner = CliRunner()
    first = runner.invoke(cli_app, ["facilities", "charges", "--site", "CLI1", "--period", "2026-11"])
    assert first.exit_code == 0, first.output
    assert "1 new charge(s), 0 already there" in first.output
    second = runner.invoke(cli_app, ["facilities", "charges", "--site", "CLI1", "--period", "2026-11"])
    assert "0 new charge(s), 1 already there" in second.output
    assert len(_membership_charges(session, site.id)) == 1
    bad = runner.invoke(cli_app, ["facilities", "charges", "--site", "CLI1", "--period", "Nov"])
    assert bad.exit_code == 1
    assert "YYYY-MM" in bad.output


def test_job_creates_the_months_charges_for_every_site(session: Session) -> None:
    site = make_site(session, code="JOB1")
    make_user(session, roles=[Role.finance])
    make_membership(
        session, startup=make_startup(session), plan=make_plan(session, site=site), start=date(2026, 10, 15)
    )
    enqueue(session, GENERATE_CHARGES, {"period": "2026-10"}, dedupe_key="charges-2026-10")
    session.commit()
    assert run_due_jobs(session=session) == 1
    charges = _membership_charges(session, site.id)
    assert [(c.period_start, c.period_end, c.amount_minor) for c in charges] == [
        (date(2026, 10, 15), date(2026, 11, 1), 54839)  # 17 of 31 days of 1,000.00
    ]
