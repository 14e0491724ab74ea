"""The monthly billing run. Unlike a service it owns its transactions, like a job: one per startup, so a crash
half-way keeps every startup finished before it, and a re-run fills in only what is missing.

Why it is safe to run twice, to crash, or to run in two workers at once:
- one invoice per (startup, site, period) and one line per charge are unique constraints, so no interleaving can
  write a duplicate; a losing insert is caught and the winner's row is used;
- on PostgreSQL the draft invoice row is locked (`FOR UPDATE`) while its lines are added, so a second run waits,
  then sees the first run's lines and adds nothing; SQLite serialises write transactions (BEGIN IMMEDIATE);
- the charges to bill are every un-invoiced, non-void charge of the site dated before the period ends (unless
  finance moved it to a later month), so nothing committed is billed again and nothing is skipped.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import date

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, select

from billing import repository as repo
from billing.errors import PeriodClosed
from billing.models import BillingRun, RunStatus
from billing.service import TaxSchedule, bill_startup, ensure_period_open, period_bounds
from facilities.models import Site
from incubator.db import unit_of_work, utcnow
from incubator.errors import NotFound

ProgressFn = Callable[[int, int], None]


class InjectedFailure(RuntimeError):
    """Raised by a run told to fail half-way (`fail_after`), for the crash test."""


def _start(site_id: uuid.UUID, period_start: date) -> tuple[uuid.UUID, Site]:
    with unit_of_work() as s:
        site = s.get(Site, site_id)
        if site is None:
            raise NotFound("No site with that id.")
        ensure_period_open(s, site_id=site_id, on=period_start, what="an invoice")
        s.expunge(site)
    for _ in range(2):
        try:
            with unit_of_work() as s:
                run = repo.run_for(s, site_id, period_start)
                if run is None:
                    run = BillingRun(site_id=site_id, period_start=period_start)
                run.status = RunStatus.running
                run.runs += 1
                run.last_error = None
                run.started_at = utcnow()
                run.finished_at = None
                s.add(run)
                s.flush()
                return run.id, site
        except IntegrityError:
            continue  # the other worker created the run row first: use it
    raise RuntimeError("could not create the billing run row")


def run_period(
    *,
    site_id: uuid.UUID,
    period_start: date,
    progress: ProgressFn | None = None,
    fail_after: int | None = None,
) -> uuid.UUID:
    """Bill a site's month: one draft invoice per startup with charges, one transaction per startup."""
    start, end = period_bounds(period_start)
    run_id, site = _start(site_id, start)
    try:
        with unit_of_work() as s:
            charges = repo.billable_charges(
                s, site_id=site.id, currency=site.currency, period_start=start, period_end=end
            )
            schedule = TaxSchedule(repo.tax_rates(s, site.id))
        by_startup: dict[uuid.UUID, list[repo.BillableCharge]] = defaultdict(list)
        for charge in charges:
            by_startup[charge.startup_id].append(charge)
        startups = sorted(by_startup)
        total = len(startups)
        created = lines = 0
        if progress:
            progress(0, total)
        for index, startup_id in enumerate(startups, start=1):
            if fail_after is not None and index > fail_after:
                raise InjectedFailure(f"injected failure after {fail_after} startups")
            result = None
            for attempt in range(3):
                try:
                    with unit_of_work() as s:
                        result = bill_startup(
                            s,
                            site=site,
                            startup_id=startup_id,
                            period_start=start,
                            charges=by_startup[startup_id],
                            schedule=schedule,
                            run_id=run_id,
                        )
                    break
                except (IntegrityError, OperationalError):
                    # A concurrent run billed one of these charges first (unique charge_id), or a serialisation
                    # hiccup: retry this startup; the retry re-reads what is already invoiced.
                    if attempt == 2:
                        raise
            if result is not None:
                created += int(result.created)
                lines += result.lines_added
            if progress and (index % 50 == 0 or index == total):
                progress(index, total)
            if index % 200 == 0:
                _update(run_id, startups_total=total, startups_done=index)
        _update(
            run_id,
            status=RunStatus.done,
            startups_total=total,
            startups_done=total,
            invoices_created=BillingRun.invoices_created + created,
            lines_created=BillingRun.lines_created + lines,
            finished_at=utcnow(),
        )
    except PeriodClosed:
        raise
    except BaseException as exc:
        _update(run_id, status=RunStatus.failed, last_error=str(exc)[:2000], finished_at=utcnow())
        raise
    return run_id


def _update(run_id: uuid.UUID, **values: object) -> None:
    with unit_of_work() as s:
        s.execute(sa.update(BillingRun).where(col(BillingRun.id) == run_id).values(**values))


def run_period_by_code(
    *, site_code: str, period_start: date, progress: ProgressFn | None = None, fail_after: int | None = None
) -> uuid.UUID:
    with unit_of_work() as s:
        site = repo.site_by_code(s, site_code)
        if site is None:
            raise NotFound(f"No site with code {site_code!r}.")
        site_id = site.id
    return run_period(site_id=site_id, period_start=period_start, progress=progress, fail_after=fail_after)


def run_row(session: Session, run_id: uuid.UUID) -> BillingRun | None:
    return session.exec(select(BillingRun).where(BillingRun.id == run_id)).first()
