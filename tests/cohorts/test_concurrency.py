"""Two programme managers releasing at the same moment, and two founders confirming the last place at once: one
wins, the other gets a clear 409, and nothing is sent or enrolled twice. Real commits on a database of its own."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from cohorts import service
from cohorts.models import Cohort, DecisionOutcome, Enrollment
from cohorts.repository import DecisionRepository
from incubator.db import create_db_engine
from incubator.errors import AppError
from incubator.migrations import upgrade
from incubator.models import OutboxEmail, User
from tests.cohorts.builders import make_cohort, make_pm, submitted_application
from tests.support.backends import database_url


@pytest.fixture
def own_engine(backend: str, worker_id_str: str, tmp_dir: Path) -> Iterator[Engine]:
    url = database_url(backend, worker_id_str, tmp_dir, purpose="cohorts_race")
    upgrade(url)
    engine = create_db_engine(url)
    yield engine
    engine.dispose()


def _race(engine: Engine, work: Callable[[Session], Any]) -> list[str]:
    """Run `work` in two threads, each in its own session and transaction, started together."""
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def one() -> None:
        with Session(engine, expire_on_commit=False) as session:
            barrier.wait()
            try:
                work(session)
                session.commit()
                outcomes.append("ok")
            except AppError as exc:
                session.rollback()
                outcomes.append(str(exc.status))

    threads = [threading.Thread(target=one) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return sorted(outcomes)


def _slowly(monkeypatch: pytest.MonkeyPatch, owner: Any, name: str) -> None:
    """Make `owner.name` pause after reading, so both transactions read before either writes (without the lock,
    both would then act on the same state)."""
    original = getattr(owner, name)

    def slow(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        time.sleep(0.5)
        return result

    monkeypatch.setattr(owner, name, slow)


def test_releasing_twice_at_once_sends_each_email_once(own_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    with Session(own_engine, expire_on_commit=False) as session:
        pm = make_pm(session)
        cohort = make_cohort(session, pm=pm)
        app, founder, _ = submitted_application(session, cohort=cohort)
        service.record_decision(session, application=app, outcome=DecisionOutcome.accept, note="", actor=pm)
        session.commit()
        cohort_id, pm_id, email = cohort.id, pm.id, founder.email

    _slowly(monkeypatch, service, "_decision_mails")

    def release(session: Session) -> None:
        service.release_decisions(
            session, cohort=session.get_one(Cohort, cohort_id), actor=session.get_one(User, pm_id)
        )

    assert _race(own_engine, release) == ["409", "ok"]
    with Session(own_engine) as session:
        count = session.exec(select(func.count()).where(OutboxEmail.to_address == email)).one()
        assert count == 1


def test_two_founders_confirming_the_last_place_enrol_only_one(
    own_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Session(own_engine, expire_on_commit=False) as session:
        pm = make_pm(session)
        cohort = make_cohort(session, pm=pm, capacity=2)
        rows = [submitted_application(session, cohort=cohort) for _ in range(2)]
        for app, _, _ in rows:
            service.record_decision(session, application=app, outcome=DecisionOutcome.accept, note="", actor=pm)
        service.release_decisions(session, cohort=cohort, actor=pm)
        cohort.capacity = 1  # a place was given elsewhere meanwhile: one place for two offers
        session.add(cohort)
        session.commit()
        pairs = [(app.id, founder.id) for app, founder, _ in rows]
        cohort_id = cohort.id
    _slowly(monkeypatch, DecisionRepository, "enrolled_count")
    turn = iter(pairs)
    lock = threading.Lock()

    def confirm(session: Session) -> None:
        from cohorts.models import Application

        with lock:
            app_id, founder_id = next(turn)
        service.confirm_place(
            session, application=session.get_one(Application, app_id), actor=session.get_one(User, founder_id)
        )

    assert _race(own_engine, confirm) == ["409", "ok"]
    with Session(own_engine) as session:
        assert session.exec(select(func.count()).where(Enrollment.cohort_id == cohort_id)).one() == 1
