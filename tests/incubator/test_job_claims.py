"""Two workers claiming jobs at once never claim the same one (FOR UPDATE SKIP LOCKED on PostgreSQL, the
serialised write transaction on SQLite). Real commits, so it builds a database of its own."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from incubator import jobs
from incubator.db import create_db_engine
from incubator.jobs import Progress, claim_next, enqueue, register_job
from incubator.migrations import upgrade
from tests.support.backends import database_url

JOBS = 30


@pytest.fixture
def own_engine(backend: str, worker_id_str: str, tmp_dir: Path) -> Iterator[Engine]:
    url = database_url(backend, worker_id_str, tmp_dir, purpose="jobclaims")
    upgrade(url)
    engine = create_db_engine(url)
    yield engine
    engine.dispose()


def _noop(session: Session, payload: dict[str, Any], progress: Progress) -> None:
    return None


def test_two_claimers_never_claim_the_same_job(own_engine: Engine, backend: str) -> None:
    register_job("tests.claim", _noop)
    try:
        with Session(own_engine) as session:
            for n in range(JOBS):
                enqueue(session, "tests.claim", {"n": n})
            session.commit()
        claimed: dict[str, list[uuid.UUID]] = {"a": [], "b": []}
        errors: list[BaseException] = []
        start = threading.Barrier(2)

        def claimer(owner: str) -> None:
            try:
                start.wait(timeout=10)
                while True:
                    with Session(own_engine) as session:
                        job = claim_next(session, owner=owner)
                        if job is None:
                            return
                        claimed[owner].append(job.id)
                        time.sleep(0.005)  # hold the row lock while the other claimer looks for work
                        session.commit()
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=claimer, args=(owner,)) for owner in claimed]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not errors, errors
        both = claimed["a"] + claimed["b"]
        assert len(both) == JOBS, f"{len(both)} claims for {JOBS} jobs: a job was claimed twice or not at all"
        assert len(set(both)) == JOBS
        assert set(claimed["a"]).isdisjoint(claimed["b"])
        if backend == "postgresql":
            # Both workers did work, so they really ran side by side (SQLite lets one writer in at a time).
            assert claimed["a"] and claimed["b"], {k: len(v) for k, v in claimed.items()}
    finally:
        jobs._handlers.pop("tests.claim", None)


def _reads_then_reports(session: Session, payload: dict[str, Any], progress: Progress) -> None:
    session.get(jobs.Job, uuid.UUID(payload["probe"]))  # the job's transaction is under way (SQLite: write lock held)
    progress.update(3, 4)


def test_a_job_reports_progress_while_its_transaction_is_open(own_engine: Engine) -> None:
    from incubator import db as kernel_db

    register_job("tests.progress", _reads_then_reports)
    kernel_db.use_session_factory(lambda: Session(own_engine, expire_on_commit=False))
    try:
        with Session(own_engine) as s:
            job = enqueue(s, "tests.progress", {"probe": str(uuid.uuid4())})
            s.commit()
            job_id = job.id
        started = time.monotonic()
        assert jobs.run_due_jobs(owner="progress-test") == 1
        assert time.monotonic() - started < 5, "reporting progress must not wait for the job's own lock"
        with Session(own_engine) as s:
            done = s.get(jobs.Job, job_id)
            assert done is not None
            assert (done.status, done.progress, done.progress_total) == (jobs.JobStatus.done, 3, 4)
    finally:
        kernel_db.use_session_factory(None)
