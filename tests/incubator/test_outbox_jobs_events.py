"""The e-mail outbox, background jobs and domain events, on the rolled-back test session."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from incubator import events, jobs
from incubator.audit import record
from incubator.config import get_settings
from incubator.db import utcnow
from incubator.email import queue_email, send_due_emails
from incubator.jobs import Progress, enqueue, register_job, run_due_jobs
from incubator.models import AuditEvent, EmailStatus, Job, JobStatus, OutboxEmail


def _queue(session: Session, to: str = "someone@example.org") -> OutboxEmail:
    mail = queue_email(
        session,
        to=to,
        subject="Welcome",
        template="invitation",
        context={"name": "Sam", "inviter": "Ada", "roles": "Mentor", "link": "http://testserver/x", "days": 7},
    )
    session.commit()
    return mail


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_console_backend_sends_and_marks_sent(session: Session) -> None:
    mail = _queue(session)
    assert "Hello Sam," in mail.body_text
    assert send_due_emails(session=session) == 1
    session.refresh(mail)
    assert mail.status == EmailStatus.sent
    assert mail.sent_at is not None
    assert mail.attempts == 1
    assert send_due_emails(session=session) == 0


def test_broken_smtp_retries_with_back_off_then_fails(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = get_settings()
    monkeypatch.setattr(settings, "email_backend", "smtp")
    monkeypatch.setattr(settings, "smtp_host", "127.0.0.1")
    monkeypatch.setattr(settings, "smtp_port", _closed_port())
    monkeypatch.setattr(settings, "email_max_attempts", 3)
    mail = _queue(session)
    delays = []
    for attempt in (1, 2):
        before = utcnow()
        assert send_due_emails(session=session) == 0
        session.refresh(mail)
        assert mail.status == EmailStatus.pending
        assert mail.attempts == attempt
        assert mail.last_error and "ConnectionRefusedError" in mail.last_error
        delays.append(mail.next_attempt_at - before)
        # Not due yet: nothing is tried until the back-off has passed.
        assert send_due_emails(session=session) == 0
        session.refresh(mail)
        assert mail.attempts == attempt
        mail.next_attempt_at = utcnow() - timedelta(seconds=1)
        session.add(mail)
        session.commit()
    assert timedelta(seconds=50) < delays[0] < timedelta(seconds=70)
    assert timedelta(seconds=110) < delays[1] < timedelta(seconds=130)
    assert send_due_emails(session=session) == 0
    session.refresh(mail)
    assert mail.status == EmailStatus.failed
    assert mail.attempts == 3
    assert send_due_emails(session=session) == 0
    session.refresh(mail)
    assert mail.attempts == 3


@pytest.fixture
def job_calls() -> Iterator[list[dict[str, Any]]]:
    calls: list[dict[str, Any]] = []

    def ok(session: Session, payload: dict[str, Any], progress: Progress) -> None:
        calls.append(payload)
        progress.update(1, 1)

    def broken(session: Session, payload: dict[str, Any], progress: Progress) -> None:
        calls.append(payload)
        record(session, actor=None, action="test.partial", object_type="job", object_id="x")
        raise RuntimeError("the partner API is down")

    register_job("tests.ok", ok)
    register_job("tests.broken", broken)
    yield calls
    jobs._handlers.pop("tests.ok", None)
    jobs._handlers.pop("tests.broken", None)


def test_enqueue_dedupes_and_a_job_runs_once(session: Session, job_calls: list[dict[str, Any]]) -> None:
    first = enqueue(session, "tests.ok", {"n": 1}, dedupe_key="tests-ok-1")
    second = enqueue(session, "tests.ok", {"n": 2}, dedupe_key="tests-ok-1")
    session.commit()
    assert first.id == second.id
    assert len(session.exec(select(Job).where(Job.name == "tests.ok")).all()) == 1
    with pytest.raises(ValueError, match="unknown job"):
        enqueue(session, "tests.not-registered")
    assert run_due_jobs(session=session) == 1
    assert run_due_jobs(session=session) == 0
    assert job_calls == [{"n": 1}]
    session.refresh(first)
    assert first.status == JobStatus.done
    assert first.attempts == 1
    assert (first.progress, first.progress_total) == (1, 1)
    assert first.finished_at is not None


def test_a_failing_job_is_retried_then_failed(session: Session, job_calls: list[dict[str, Any]]) -> None:
    job = enqueue(session, "tests.broken", {"n": 1})
    job.max_attempts = 2
    session.add(job)
    session.commit()
    assert run_due_jobs(session=session) == 1
    session.refresh(job)
    assert job.status == JobStatus.pending
    assert job.attempts == 1
    assert job.last_error and "the partner API is down" in job.last_error
    assert job.run_after > utcnow()
    # What the failed run wrote is rolled back with it.
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "test.partial")).first() is None
    assert run_due_jobs(session=session) == 0
    job.run_after = utcnow() - timedelta(seconds=1)
    session.add(job)
    session.commit()
    assert run_due_jobs(session=session) == 1
    session.refresh(job)
    assert job.status == JobStatus.failed
    assert job.attempts == 2
    assert job.finished_at is not None
    assert run_due_jobs(session=session) == 0
    assert len(job_calls) == 2


@dataclass(frozen=True, kw_only=True)
class ProbeHappened(events.DomainEvent):
    label: str


@pytest.fixture
def probe_handler() -> Iterator[list[Session]]:
    seen: list[Session] = []

    def handler(session: Session, event: ProbeHappened) -> None:
        seen.append(session)
        record(session, actor=None, action="test.handled", object_type="probe", object_id=event.label)

    events.subscribe(ProbeHappened, handler)
    events.subscribe(ProbeHappened, handler)  # subscribing twice registers once
    yield seen
    events._handlers.pop(ProbeHappened, None)


def test_event_handlers_run_in_the_publishers_transaction(session: Session, probe_handler: list[Session]) -> None:
    def handled(label: str) -> bool:
        stmt = select(AuditEvent).where(AuditEvent.action == "test.handled", AuditEvent.object_id == label)
        return session.exec(stmt).first() is not None

    savepoint = session.begin_nested()
    record(session, actor=None, action="test.published", object_type="probe", object_id="rolled-back")
    events.publish(session, ProbeHappened(label="rolled-back"))
    assert probe_handler == [session]
    assert handled("rolled-back")
    savepoint.rollback()
    # The publisher's change and the handler's change went together.
    assert not handled("rolled-back")
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "test.published")).first() is None

    events.publish(session, ProbeHappened(label="kept"))
    session.commit()
    assert handled("kept")
    assert len(probe_handler) == 2
