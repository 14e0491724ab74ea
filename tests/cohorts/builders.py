"""Builders for admissions tests, keyword-only, built through the service layer."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlmodel import Session

from cohorts import service
from cohorts.models import Application, Cohort, QuestionKind, ReviewAssignment
from cohorts.repository import FormRepository, ReviewRepository
from cohorts.schemas import CohortCreate, CriterionCreate, ProgrammeCreate, QuestionCreate, ReviewCreate
from incubator.models import Role, User
from startups.models import Sector, Startup
from tests.support.factories import make_startup, make_user

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


def make_pm(session: Session) -> User:
    return make_user(session, roles=[Role.program_manager])


def make_cohort(
    session: Session,
    *,
    pm: User,
    opens: datetime | None = None,
    closes: datetime | None = None,
    timezone: str = "UTC",
    capacity: int = 5,
    blind: bool = False,
    scores_after_submit: bool = True,
    reviewers_per_application: int = 2,
    questions: list[QuestionCreate] | None = None,
    weights: tuple[int, ...] = (2, 1),
    open_now: bool = True,
) -> Cohort:
    """An open cohort with a form and a rubric. `opens`/`closes` are local wall-clock times in `timezone`."""
    programme = service.create_programme(
        session, data=ProgrammeCreate(name=f"Programme {uuid.uuid4().hex[:8]}"), actor=pm
    )
    cohort = service.create_cohort(
        session,
        data=CohortCreate(
            programme_id=programme.id,
            name="Spring 2027",
            timezone=timezone,
            applications_open=opens or datetime(2027, 2, 1, 9, 0),
            applications_close=closes or datetime(2027, 3, 31, 17, 0),
            start_date=date(2027, 5, 1),
            capacity=capacity,
            blind_review=blind,
            scores_visible_after_submit=scores_after_submit,
            reviewers_per_application=reviewers_per_application,
        ),
        actor=pm,
    )
    for q in questions or [
        QuestionCreate(prompt="Pitch", kind=QuestionKind.short_text),
        QuestionCreate(prompt="Founders' backgrounds", kind=QuestionKind.long_text, identifying=True, required=False),
        QuestionCreate(prompt="Deck", kind=QuestionKind.pdf, required=False),
    ]:
        service.add_question(session, cohort=cohort, data=q, actor=pm)
    for i, w in enumerate(weights):
        service.add_criterion(
            session, cohort=cohort, data=CriterionCreate(name=f"Criterion {i + 1}", weight=w), actor=pm
        )
    if open_now:
        service.open_cohort(session, cohort=cohort, actor=pm)
    session.commit()
    return cohort


def make_founder_startup(session: Session, *, sector: Sector = Sector.biomanufacturing) -> tuple[User, Startup]:
    founder = make_user(session, roles=[Role.founder])
    return founder, make_startup(session, founder=founder, sector=sector)


def submitted_application(
    session: Session, *, cohort: Cohort, sector: Sector = Sector.biomanufacturing, now: datetime = NOW
) -> tuple[Application, User, Startup]:
    founder, startup = make_founder_startup(session, sector=sector)
    app = service.start_application(session, cohort=cohort, startup=startup, actor=founder, now=now)
    first = FormRepository(session).questions(cohort.id)[0]
    service.save_answers(session, application=app, answers={first.id: "We ferment proteins."}, actor=founder)
    service.submit_application(session, application=app, actor=founder, now=now)
    session.commit()
    return app, founder, startup


def add_reviewers(
    session: Session, *, cohort: Cohort, pm: User, count: int, capacity: int = 10, tags: list[str] | None = None
) -> list[User]:
    users = []
    for _ in range(count):
        user = make_user(session, roles=[Role.mentor])
        service.add_reviewer(session, cohort=cohort, email=user.email, capacity=capacity, tags=tags or [], actor=pm)
        users.append(user)
    session.commit()
    return users


def review(
    session: Session, *, assignment: ReviewAssignment, reviewer: User, scores: list[int], declare: bool = True
) -> None:
    criteria = FormRepository(session).criteria(ReviewRepository(session).assignment_for_cohort(assignment))
    if declare:
        service.declare_no_conflict(session, assignment=assignment, actor=reviewer)
    service.submit_review(
        session,
        assignment=assignment,
        data=ReviewCreate(scores={c.id: s for c, s in zip(criteria, scores, strict=True)}, recommendation="accept"),
        actor=reviewer,
    )
    session.commit()


def assignment_of(session: Session, app: Application, reviewer: User) -> ReviewAssignment:
    a = ReviewRepository(session).assignment_of(app.id, reviewer.id)
    assert a is not None
    return a
