"""Billing runs are idempotent and crash-safe; numbers are gapless; two concurrent runs make one set."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from billing import repository as repo
from billing import service
from billing.models import BillingRun, Invoice, InvoiceLine, InvoiceStatus, RunStatus
from billing.runs import InjectedFailure, run_period
from facilities.models import Site
from incubator import db as kernel_db
from incubator.db import unit_of_work
from incubator.migrations import upgrade
from startups.models import Startup
from tests.billing.builders import make_charge, make_site
from tests.support import backends
from tests.support.factories import make_startup

NOV = date(2026, 11, 1)


def _seed(session: Session, site: Site, startups: list[Startup]) -> None:
    for i, startup in enumerate(startups):
        for j in range(3):
            make_charge(
                session,
                site=site,
                startup=startup,
                amount_minor=1000 * (i + 1) + 7 * j,
                service_date=date(2026, 11, 1 + j * 5),
                description=f"charge {j}",
                discount_rate=Decimal("0.10") if j == 1 else Decimal(0),
                commit=False,
            )
    session.commit()


def _snapshot(session: Session, site: Site) -> set[tuple[object, ...]]:
    """Invoices and lines in a form that does not depend on ids or on the site."""
    session.expire_all()
    out = set()
    for inv in session.exec(select(Invoice).where(Invoice.site_id == site.id)):
        lines = tuple(
            sorted(
                (line.description, line.amount_minor, line.discount_minor, line.tax_minor, line.total_minor)
                for line in repo.lines_of(session, inv.id)
            )
        )
        out.add((inv.startup_id, inv.period_start, inv.total_minor, lines))
    return out


def test_a_run_that_crashes_half_way_and_is_run_again_equals_a_clean_run(session: Session) -> None:
    startups = [make_startup(session, name=f"Crash {i}") for i in range(5)]
    clean_site, crash_site = make_site(session), make_site(session)
    _seed(session, clean_site, startups)
    _seed(session, crash_site, startups)

    run_period(site_id=clean_site.id, period_start=NOV)
    with pytest.raises(InjectedFailure):
        run_period(site_id=crash_site.id, period_start=NOV, fail_after=2)
    session.expire_all()
    half = session.exec(select(Invoice).where(Invoice.site_id == crash_site.id)).all()
    assert len(half) == 2  # the two startups finished before the crash are committed
    failed = repo.run_for(session, crash_site.id, NOV)
    assert failed is not None and failed.status == RunStatus.failed

    run_period(site_id=crash_site.id, period_start=NOV)
    run_period(site_id=crash_site.id, period_start=NOV)  # and once more: nothing changes
    assert _snapshot(session, crash_site) == _snapshot(session, clean_site)
    assert len(_snapshot(session, crash_site)) == 5
    lines = session.exec(
        select(sa.func.count()).select_from(InvoiceLine).join(Invoice).where(Invoice.site_id == crash_site.id)
    ).one()
    assert lines == 15
    run = repo.run_for(session, crash_site.id, NOV)
    assert run is not None and run.status == RunStatus.done and run.runs == 3

    # Finalise every draft, one transaction each, with one that fails after taking its number: it gives the
    # number back, so the series has no gap and no duplicate.
    drafts = session.exec(
        select(Invoice).where(Invoice.site_id == crash_site.id).order_by(Invoice.startup_id)  # type: ignore[arg-type]
    ).all()
    for index, draft in enumerate(drafts):
        if index == 2:
            with pytest.raises(RuntimeError), unit_of_work() as s:
                service.finalize_invoice(s, invoice=s.get_one(Invoice, draft.id), actor=None, today=date(2026, 12, 1))
                raise RuntimeError("crash after the number was taken")
        with unit_of_work() as s:
            service.finalize_invoice(s, invoice=s.get_one(Invoice, draft.id), actor=None, today=date(2026, 12, 1))
    session.expire_all()
    numbers = sorted(
        n for n in session.exec(select(Invoice.number).where(Invoice.site_id == crash_site.id)) if n is not None
    )
    assert numbers == [1, 2, 3, 4, 5]
    reports = {r.series: r for r in service.verify_chains(session)}
    assert reports[service.invoice_series_key(crash_site)].problems == []
    assert reports[service.invoice_series_key(crash_site)].documents == 5


def test_a_charge_moved_to_next_month_is_billed_next_month_only(session: Session) -> None:
    site = make_site(session)
    startup = make_startup(session)
    moved = make_charge(session, site=site, startup=startup, amount_minor=500, service_date=date(2026, 11, 3))
    make_charge(session, site=site, startup=startup, amount_minor=700, service_date=date(2026, 11, 4))
    run_period(site_id=site.id, period_start=NOV)
    session.expire_all()
    draft = repo.invoice_for(session, startup_id=startup.id, site_id=site.id, period_start=NOV)
    assert draft is not None
    line = next(x for x in repo.lines_of(session, draft.id) if x.charge_id == moved.id)
    service.move_line_to_next_month(session, invoice=draft, line_id=line.id, actor=None)
    session.commit()
    run_period(site_id=site.id, period_start=NOV)  # re-running November does not take it back
    session.expire_all()
    assert [x.amount_minor for x in repo.lines_of(session, draft.id)] == [700]
    run_period(site_id=site.id, period_start=date(2026, 12, 1))
    session.expire_all()
    december = repo.invoice_for(session, startup_id=startup.id, site_id=site.id, period_start=date(2026, 12, 1))
    assert december is not None
    assert [x.charge_id for x in repo.lines_of(session, december.id)] == [moved.id]


@pytest.fixture
def race_db(backend: str, worker_id_str: str, tmp_dir: Path) -> Iterator[sa.engine.Engine]:
    url = backends.database_url(backend, worker_id_str, tmp_dir, purpose="billing_race")
    upgrade(url)
    engine = kernel_db.create_db_engine(url)
    kernel_db.use_session_factory(lambda: Session(engine, expire_on_commit=False))
    try:
        yield engine
    finally:
        kernel_db.use_session_factory(None)
        engine.dispose()


def test_two_runs_of_one_period_at_the_same_time_make_one_set_of_invoices(race_db: sa.engine.Engine) -> None:
    with Session(race_db) as s:
        site = make_site(s)
        startups = [make_startup(s, name=f"Race {i}") for i in range(12)]
        _seed(s, site, startups)
        site_id = site.id
    barrier = threading.Barrier(2)
    meet = threading.Barrier(2)
    met: set[int] = set()
    errors: list[BaseException] = []

    def both_have_read_the_charges() -> None:
        # Only each run's first batch waits: both runs hold the same charges in memory and insert at the same
        # moment (on PostgreSQL one of them hits the unique constraint and retries the batch).
        if threading.get_ident() not in met:
            met.add(threading.get_ident())
            with contextlib.suppress(threading.BrokenBarrierError):
                meet.wait(10)

    def worker() -> None:
        try:
            barrier.wait()
            run_period(site_id=site_id, period_start=NOV, batch_size=5, before_batch=both_have_read_the_charges)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    with Session(race_db) as s:
        invoices = s.exec(select(Invoice).where(Invoice.site_id == site_id)).all()
        assert len(invoices) == 12
        assert all(inv.status == InvoiceStatus.draft for inv in invoices)
        lines = s.exec(select(sa.func.count()).select_from(InvoiceLine)).one()
        assert lines == 36
        assert sum(inv.total_minor for inv in invoices) == sum(
            s.exec(select(sa.func.sum(InvoiceLine.total_minor))).one() or 0 for _ in [0]
        )
        runs = s.exec(select(BillingRun)).all()
        assert len(runs) == 1 and runs[0].runs == 2
        draft_ids = [inv.id for inv in invoices]

    # Four workers finalise the twelve drafts at once: the counter row serialises them, numbers are 1..12.
    finalise_errors: list[BaseException] = []
    start = threading.Barrier(4)

    def finaliser(ids: list[object]) -> None:
        try:
            start.wait()
            for invoice_id in ids:
                with unit_of_work() as s2:
                    service.finalize_invoice(
                        s2,
                        invoice=s2.get_one(Invoice, invoice_id),
                        actor=None,
                        today=date(2026, 12, 1),
                        send_email=False,
                    )
        except BaseException as exc:  # pragma: no cover - reported below
            finalise_errors.append(exc)

    workers = [threading.Thread(target=finaliser, args=(draft_ids[i::4],)) for i in range(4)]
    for t in workers:
        t.start()
    for t in workers:
        t.join(60)
    assert finalise_errors == []
    with Session(race_db) as s:
        numbers = sorted(n for n in s.exec(select(Invoice.number)) if n is not None)
        assert numbers == list(range(1, 13))
        assert all(not r.problems for r in service.verify_chains(s))


def test_verify_chain_finds_a_finalised_invoice_changed_behind_the_services_back(session: Session) -> None:
    site = make_site(session)
    for i in range(3):
        startup = make_startup(session, name=f"Chain {i}")
        make_charge(session, site=site, startup=startup, amount_minor=1000 + i, service_date=date(2026, 11, 2))
    run_period(site_id=site.id, period_start=NOV)
    session.expire_all()
    for inv in session.exec(select(Invoice).where(Invoice.site_id == site.id)).all():
        service.finalize_invoice(session, invoice=inv, actor=None, today=date(2026, 12, 1))
    key = service.invoice_series_key(site)
    assert next(r for r in service.verify_chains(session) if r.series == key).problems == []
    second = session.exec(select(Invoice).where(Invoice.series == key, Invoice.number == 2)).one()
    session.execute(
        sa.update(InvoiceLine).where(InvoiceLine.invoice_id == second.id).values(amount_minor=1)  # type: ignore[arg-type]
    )
    problems = next(r for r in service.verify_chains(session) if r.series == key).problems
    assert problems == [f"{key} #2: content does not match its hash (changed after finalising)"]
