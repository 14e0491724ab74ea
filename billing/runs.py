"""The monthly billing run. Unlike a service it owns its transactions, like a job: one per batch of startups
(`BATCH_SIZE`), so a crash half-way keeps every batch finished before it, and a re-run fills in only what is
missing. (One transaction per startup is `batch_size=1`; batches keep the run within 3x a plain bulk insert, see
bench/billing_bench.py, because each commit costs an fsync.)

Why it is safe to run twice, to crash, or to run in two workers at once:
- one invoice per (startup, site, period) and one line per charge are unique constraints, so no interleaving can
  write a duplicate; a losing insert is caught and the winner's row is used;
- on PostgreSQL the draft invoice row is locked (`FOR UPDATE`) while its lines are added, so a second run waits,
  then sees the first run's lines and adds nothing; SQLite serialises write transactions (BEGIN IMMEDIATE);
- the charges to bill are every un-invoiced, non-void charge of the site dated before the period ends (unless
  finance moved it to a later month), so nothing committed is billed again and nothing is skipped.
"""

from __future__ import annotations

import logging
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
from billing.service import TaxSchedule, bill_startups, ensure_period_open, period_bounds
from facilities.models import Site
from incubator.db import unit_of_work, utcnow
from incubator.errors import NotFound

log = logging.getLogger("billing.runs")
ProgressFn = Callable[[int, int], None]
# Startups per transaction: small enough that a crash loses little (the re-run redoes it), large enough that the
# commit (an fsync on PostgreSQL) is not paid per startup.
BATCH_SIZE = 100


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
    batch_size: int = BATCH_SIZE,
    before_batch: Callable[[], None] | None = None,
) -> uuid.UUID:
    """Bill a site's month: one draft invoice per startup with charges, one transaction per batch of startups."""
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
        done = 0
        for offset in range(0, total, batch_size):
            if before_batch is not None:
                before_batch()  # a test hook: lets two runs meet after both have read the charges
            batch = startups[offset : offset + batch_size]
            if fail_after is not None and offset + len(batch) > fail_after:
                # The crash test: commit the batch up to `fail_after` startups, then fail.
                batch = batch[: max(fail_after - offset, 0)]
                if batch:
                    created, lines = _bill_batch(site, start, batch, by_startup, schedule, run_id, created, lines)
                raise InjectedFailure(f"injected failure after {fail_after} startups")
            created, lines = _bill_batch(site, start, batch, by_startup, schedule, run_id, created, lines)
            done += len(batch)
            if progress:
                progress(done, total)
            _update(run_id, startups_total=total, startups_done=done)
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


def _bill_batch(
    site: Site,
    start: date,
    batch: list[uuid.UUID],
    by_startup: dict[uuid.UUID, list[repo.BillableCharge]],
    schedule: TaxSchedule,
    run_id: uuid.UUID,
    created: int,
    lines: int,
) -> tuple[int, int]:
    """One transaction for a batch of startups. A conflict with a concurrent run (a unique constraint, a deadlock
    or serialisation error) rolls the batch back and retries it; the retry re-reads what is already invoiced."""
    for attempt in range(5):
        try:
            with unit_of_work() as s:
                results = bill_startups(
                    s,
                    site=site,
                    period_start=start,
                    charges_by_startup={sid: by_startup[sid] for sid in batch},
                    schedule=schedule,
                    run_id=run_id,
                    recheck=attempt > 0,
                )
            break
        except (IntegrityError, OperationalError) as exc:
            log.info("billing batch collided with a concurrent run (attempt %s), retrying: %s", attempt + 1, exc.orig)
            if attempt == 4:
                raise
    for result in results.values():
        if result is not None:
            created += int(result.created)
            lines += result.lines_added
    return created, lines


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
