"""Background jobs stored in the database and run by `incubator worker`.

Packages register handlers by name (`register_job`) and periodic tasks (`register_periodic`); the composition root
imports the packages so their registrations exist before a worker starts. A job is claimed in its own short
transaction (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the serialised write on SQLite), so two workers never run the
same job, and a worker that dies leaves a lease that expires and lets another worker retry it.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from incubator.db import is_postgres, unit_of_work, utcnow
from incubator.email import send_due_emails
from incubator.models import Job, JobStatus

log = logging.getLogger("incubator.jobs")
LEASE = timedelta(minutes=15)


class Progress:
    """Handed to a job so it can report how far it got (shown on pages and by the CLI's progress bar)."""

    def __init__(self, job_id: uuid.UUID | None, session: Session | None = None, *, job_session: Session | None = None):
        self.job_id = job_id
        self._session = session
        self._job_session = job_session
        self.done = 0
        self.total = 0

    def update(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        if self.job_id is None:
            return
        values = {"progress": done, "progress_total": total}
        if self._job_session is not None and _holds_sqlite_lock(self._job_session):
            # On SQLite a job whose own transaction has begun holds the database's write lock, so a second
            # transaction from this thread would wait for itself: progress goes into the job's transaction instead
            # (seen when it commits). Jobs that work in transactions of their own still report as they go.
            self._job_session.execute(sa.update(Job).where(col(Job.id) == self.job_id).values(**values))
            return
        # Elsewhere progress is written in its own transaction so a page can see it while the job runs.
        with unit_of_work(self._session) as s:
            s.execute(sa.update(Job).where(col(Job.id) == self.job_id).values(**values))


def _holds_sqlite_lock(session: Session) -> bool:
    if session.get_bind().dialect.name != "sqlite":
        return False
    transaction = session.get_transaction()
    # A session's transaction holds a connection (and so, on SQLite, the write lock) once it has run a statement.
    return transaction is not None and bool(getattr(transaction, "_connections", None))


JobHandler = Callable[[Session, dict[str, Any], Progress], None]


@dataclass(frozen=True)
class PeriodicTask:
    name: str
    every_seconds: float
    run: Callable[[], Any]


_handlers: dict[str, JobHandler] = {}
_periodic: dict[str, PeriodicTask] = {}


def register_job(name: str, handler: JobHandler) -> None:
    _handlers[name] = handler


def register_periodic(name: str, every_seconds: float, run: Callable[[], Any]) -> None:
    _periodic[name] = PeriodicTask(name, every_seconds, run)


def registered_jobs() -> dict[str, JobHandler]:
    return dict(_handlers)


def enqueue(
    session: Session,
    name: str,
    payload: dict[str, Any] | None = None,
    *,
    dedupe_key: str | None = None,
    run_after_seconds: float = 0,
) -> Job:
    """Queue a job in the caller's transaction. With a `dedupe_key`, an existing job with that key is returned."""
    if name not in _handlers:
        raise ValueError(f"unknown job {name!r}")
    if dedupe_key:
        existing = session.exec(select(Job).where(Job.dedupe_key == dedupe_key)).first()
        if existing is not None:
            return existing
    job = Job(
        name=name,
        payload=payload or {},
        dedupe_key=dedupe_key,
        run_after=utcnow() + timedelta(seconds=run_after_seconds),
    )
    try:
        with session.begin_nested():
            session.add(job)
            session.flush()
    except IntegrityError:
        existing = session.exec(select(Job).where(Job.dedupe_key == dedupe_key)).first()
        if existing is None:
            raise
        return existing
    return job


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claim_next(session: Session, *, owner: str) -> Job | None:
    now = utcnow()
    due = sa.or_(
        sa.and_(col(Job.status) == JobStatus.pending, col(Job.run_after) <= now),
        sa.and_(col(Job.status) == JobStatus.running, col(Job.locked_at) < now - LEASE),
    )
    stmt = select(Job).where(due).order_by(col(Job.run_after)).limit(1)
    if is_postgres(session):
        stmt = stmt.with_for_update(skip_locked=True)
    job = session.exec(stmt).first()
    if job is None:
        return None
    job.status = JobStatus.running
    job.locked_by = owner
    job.locked_at = now
    job.attempts += 1
    session.add(job)
    session.flush()
    return job


def run_job(job_id: uuid.UUID, *, session: Session | None = None) -> bool:
    """Run one claimed job in its own transaction. Returns whether it succeeded."""
    with unit_of_work(session) as s:
        job = s.get(Job, job_id)
        if job is None:
            return False
        name, payload = job.name, dict(job.payload)
    handler = _handlers.get(name)
    error: str | None = None
    if handler is None:
        error = f"no handler registered for job {name!r}"
    else:
        try:
            with unit_of_work(session) as s:
                handler(s, payload, Progress(job_id, session, job_session=s))
        except Exception:
            error = traceback.format_exc()[-2000:]
            log.exception("job %s (%s) failed", job_id, name)
    with unit_of_work(session) as s:
        job = s.get(Job, job_id)
        if job is None:
            return False
        if error is None:
            job.status = JobStatus.done
            job.finished_at = utcnow()
            job.last_error = None
        else:
            job.last_error = error
            if job.attempts >= job.max_attempts or handler is None:
                job.status = JobStatus.failed
                job.finished_at = utcnow()
            else:
                job.status = JobStatus.pending
                job.run_after = utcnow() + timedelta(seconds=30 * 2 ** (job.attempts - 1))
        job.locked_by = None
        s.add(job)
    return error is None


def run_due_jobs(*, limit: int = 100, session: Session | None = None, owner: str | None = None) -> int:
    """Claim and run due jobs one at a time until none is due (or `limit` ran). Returns how many ran."""
    owner = owner or worker_id()
    ran = 0
    while ran < limit:
        with unit_of_work(session) as s:
            job = claim_next(s, owner=owner)
            job_id = job.id if job else None
        if job_id is None:
            break
        run_job(job_id, session=session)
        ran += 1
    return ran


def run_once(*, session: Session | None = None) -> dict[str, int]:
    """One pass of everything a worker does: periodic tasks, then e-mail, then due jobs."""
    for task in _periodic.values():
        try:
            task.run()
        except Exception:
            log.exception("periodic task %s failed", task.name)
    sent = send_due_emails(session=session)
    ran = run_due_jobs(session=session)
    return {"emails_sent": sent, "jobs_run": ran}


def worker_loop(*, poll_seconds: float, stop_after: float | None = None) -> None:
    started = time.monotonic()
    last_run: dict[str, float] = {}
    owner = worker_id()
    log.info("worker %s started", owner)
    while stop_after is None or time.monotonic() - started < stop_after:
        now = time.monotonic()
        for task in _periodic.values():
            if now - last_run.get(task.name, 0.0) >= task.every_seconds:
                last_run[task.name] = now
                try:
                    task.run()
                except Exception:
                    log.exception("periodic task %s failed", task.name)
        worked = send_due_emails() + run_due_jobs(owner=owner)
        if not worked:
            time.sleep(poll_seconds)
