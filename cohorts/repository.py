"""Every query of admissions, including who may see which application."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from cohorts.models import (
    Application,
    ApplicationAnswer,
    ApplicationEvent,
    ApplicationStatus,
    AssignmentStatus,
    Cohort,
    CohortReviewer,
    CohortStatus,
    Decision,
    DecisionOutcome,
    DecisionResponse,
    Enrollment,
    EnrollmentStatus,
    FormQuestion,
    Programme,
    Review,
    ReviewAssignment,
    ReviewCriterion,
    ReviewerConflict,
)
from incubator.models import Role, User
from incubator.pagination import Page, PageParams
from incubator.repository import Repository
from startups.models import Startup, StartupMember

ACTIVE_ASSIGNMENT = (AssignmentStatus.assigned, AssignmentStatus.cleared, AssignmentStatus.submitted)
OPEN_ASSIGNMENT = (AssignmentStatus.assigned, AssignmentStatus.cleared)
STAFF = (Role.program_manager,)


class ProgrammeRepository(Repository[Programme]):
    model = Programme
    label = "programme"

    def all(self) -> list[Programme]:
        return list(self.session.exec(select(Programme).order_by(Programme.name)).all())

    def by_name(self, name: str) -> Programme | None:
        return self.session.exec(select(Programme).where(Programme.name == name)).first()


class CohortRepository(Repository[Cohort]):
    model = Cohort
    label = "cohort"

    def search(self, params: PageParams, *, status: CohortStatus | None = None) -> Page[Cohort]:
        stmt = select(Cohort)
        if status:
            stmt = stmt.where(Cohort.status == status)
        return self.paginate(stmt.order_by(col(Cohort.applications_open_at).desc(), col(Cohort.id)), params)

    def with_programmes(self) -> list[tuple[Cohort, Programme]]:
        stmt = (
            select(Cohort, Programme)
            .join(Programme, col(Programme.id) == Cohort.programme_id)
            .order_by(col(Cohort.applications_open_at).desc())
        )
        return [(c, p) for c, p in self.session.exec(stmt).all()]

    def open_for_applications(self, now: datetime) -> list[tuple[Cohort, Programme]]:
        stmt = (
            select(Cohort, Programme)
            .join(Programme, col(Programme.id) == Cohort.programme_id)
            .where(Cohort.status == CohortStatus.open, col(Cohort.applications_close_at) > now)
            .order_by(col(Cohort.applications_close_at))
        )
        return [(c, p) for c, p in self.session.exec(stmt).all()]

    def by_name(self, name: str) -> Cohort | None:
        return self.session.exec(select(Cohort).where(Cohort.name == name)).first()

    def programme(self, cohort: Cohort) -> Programme:
        return self.session.get_one(Programme, cohort.programme_id)


class FormRepository:
    def __init__(self, session: Session):
        self.session = session

    def questions(self, cohort_id: uuid.UUID, *, include_retired: bool = False) -> list[FormQuestion]:
        stmt = select(FormQuestion).where(FormQuestion.cohort_id == cohort_id)
        if not include_retired:
            stmt = stmt.where(col(FormQuestion.retired).is_(False))
        return list(self.session.exec(stmt.order_by(col(FormQuestion.position), col(FormQuestion.id))).all())

    def question(self, question_id: uuid.UUID) -> FormQuestion | None:
        return self.session.get(FormQuestion, question_id)

    def criteria(self, cohort_id: uuid.UUID) -> list[ReviewCriterion]:
        stmt = (
            select(ReviewCriterion)
            .where(ReviewCriterion.cohort_id == cohort_id)
            .order_by(col(ReviewCriterion.position), col(ReviewCriterion.id))
        )
        return list(self.session.exec(stmt).all())

    def has_submissions(self, cohort_id: uuid.UUID) -> bool:
        stmt = select(Application.id).where(
            Application.cohort_id == cohort_id, col(Application.submitted_at).is_not(None)
        )
        return self.session.exec(stmt.limit(1)).first() is not None


class ApplicationRepository(Repository[Application]):
    model = Application
    label = "application"

    def live_for(self, cohort_id: uuid.UUID, startup_id: uuid.UUID) -> Application | None:
        stmt = select(Application).where(
            Application.cohort_id == cohort_id, Application.startup_id == startup_id, col(Application.live).is_(True)
        )
        return self.session.exec(stmt).first()

    def with_startup(self, application_id: uuid.UUID) -> tuple[Application, Startup, Cohort] | None:
        stmt = (
            select(Application, Startup, Cohort)
            .join(Startup, col(Startup.id) == Application.startup_id)
            .join(Cohort, col(Cohort.id) == Application.cohort_id)
            .where(Application.id == application_id)
        )
        row = self.session.exec(stmt).first()
        return (row[0], row[1], row[2]) if row else None

    def for_cohort(
        self, cohort_id: uuid.UUID, params: PageParams, *, status: ApplicationStatus | None = None
    ) -> Page[tuple[Application, Startup]]:
        stmt: Any = (
            select(Application, Startup)
            .join(Startup, col(Startup.id) == Application.startup_id)
            .where(Application.cohort_id == cohort_id)
        )
        if status:
            stmt = stmt.where(Application.status == status)
        stmt = stmt.order_by(Startup.name, col(Application.id))
        total = self.session.exec(select(func.count()).select_from(stmt.order_by(None).subquery())).one()
        rows = self.session.exec(stmt.limit(params.limit).offset(params.offset)).all()
        return Page(items=[(a, s) for a, s in rows], total=int(total), limit=params.limit, offset=params.offset)

    def of_member(self, user_id: uuid.UUID) -> list[tuple[Application, Startup, Cohort]]:
        members = select(StartupMember.startup_id).where(StartupMember.user_id == user_id)
        stmt = (
            select(Application, Startup, Cohort)
            .join(Startup, col(Startup.id) == Application.startup_id)
            .join(Cohort, col(Cohort.id) == Application.cohort_id)
            .where(col(Application.startup_id).in_(members))
            .order_by(col(Application.created_at).desc())
        )
        return [(a, s, c) for a, s, c in self.session.exec(stmt).all()]

    def is_member(self, user_id: uuid.UUID, startup_id: uuid.UUID) -> bool:
        """Whether the user is on the startup's team. Remembered for the session (one request or job): the load
        dependency, the service and the view builder all ask the same question."""
        known: dict[tuple[uuid.UUID, uuid.UUID], bool] = self.session.info.setdefault("cohorts.is_member", {})
        key = (user_id, startup_id)
        if key not in known:
            stmt = select(StartupMember.user_id).where(
                StartupMember.user_id == user_id, StartupMember.startup_id == startup_id
            )
            known[key] = self.session.exec(stmt).first() is not None
        return known[key]

    def founders(self, startup_id: uuid.UUID) -> list[User]:
        stmt = (
            select(User)
            .join(StartupMember, col(StartupMember.user_id) == User.id)
            .where(StartupMember.startup_id == startup_id)
            .order_by(User.full_name)
        )
        return list(self.session.exec(stmt).all())

    def founder_emails(self, startup_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
        if not startup_ids:
            return {}
        stmt = (
            select(StartupMember.startup_id, User.email)
            .join(User, col(User.id) == StartupMember.user_id)
            .where(col(StartupMember.startup_id).in_(startup_ids))
            .order_by(User.email)
        )
        out: dict[uuid.UUID, list[str]] = {}
        for startup_id, email in self.session.exec(stmt).all():
            out.setdefault(startup_id, []).append(email)
        return out

    def answers(self, application_id: uuid.UUID) -> list[ApplicationAnswer]:
        stmt = (
            select(ApplicationAnswer)
            .where(ApplicationAnswer.application_id == application_id)
            .order_by(col(ApplicationAnswer.position))
        )
        return list(self.session.exec(stmt).all())

    def answer(self, answer_id: uuid.UUID) -> ApplicationAnswer | None:
        return self.session.get(ApplicationAnswer, answer_id)

    def history(self, application_id: uuid.UUID) -> list[ApplicationEvent]:
        stmt = (
            select(ApplicationEvent)
            .where(ApplicationEvent.application_id == application_id)
            .order_by(col(ApplicationEvent.at), col(ApplicationEvent.id))
        )
        return list(self.session.exec(stmt).all())

    def submitted_in(self, cohort_id: uuid.UUID) -> list[tuple[Application, Startup]]:
        """Applications in review (submitted, under review or interview), with their startups."""
        stmt = (
            select(Application, Startup)
            .join(Startup, col(Startup.id) == Application.startup_id)
            .where(
                Application.cohort_id == cohort_id,
                col(Application.status).in_(
                    [ApplicationStatus.submitted, ApplicationStatus.under_review, ApplicationStatus.interview]
                ),
            )
            .order_by(col(Application.submitted_at), col(Application.id))
        )
        return [(a, s) for a, s in self.session.exec(stmt).all()]

    def startups_in(self, cohort_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
        """(id, name) of the startups that applied to the cohort, by name."""
        stmt = (
            sa.select(col(Startup.id), col(Startup.name))
            .join(Application, col(Application.startup_id) == Startup.id)
            .where(col(Application.cohort_id) == cohort_id)
            .distinct()
            .order_by(col(Startup.name))
        )
        return [(i, n) for i, n in self.session.execute(stmt)]

    def rankable(self, cohort_id: uuid.UUID) -> list[tuple[uuid.UUID, ApplicationStatus, str, str]]:
        """(application id, status, startup name, sector) of every submitted application that is not withdrawn:
        columns only, one query, for the ranking table."""
        stmt = (
            sa.select(col(Application.id), col(Application.status), col(Startup.name), col(Startup.sector))
            .join(Startup, col(Startup.id) == Application.startup_id)
            .where(
                col(Application.cohort_id) == cohort_id,
                col(Application.status).not_in([ApplicationStatus.draft, ApplicationStatus.withdrawn]),
            )
        )
        return [
            (i, ApplicationStatus(st), n, str(getattr(sec, "value", sec)))
            for i, st, n, sec in self.session.execute(stmt)
        ]

    def status_counts(self, cohort_id: uuid.UUID) -> Counter[str]:
        stmt = (
            select(Application.status, func.count())
            .where(Application.cohort_id == cohort_id)
            .group_by(Application.status)
        )
        return Counter({str(s.value if hasattr(s, "value") else s): int(n) for s, n in self.session.exec(stmt).all()})

    def funnel(self, cohort_id: uuid.UUID) -> dict[str, int]:
        """Submitted, reviewed (at least one review), interviewed, accepted (offer released), enrolled."""
        apps = select(Application.id).where(Application.cohort_id == cohort_id)
        submitted = self.session.exec(
            select(func.count()).where(col(Application.id).in_(apps), col(Application.submitted_at).is_not(None))
        ).one()
        reviewed = self.session.exec(
            select(func.count(func.distinct(Review.application_id))).where(col(Review.application_id).in_(apps))
        ).one()
        interviewed = self.session.exec(
            select(func.count()).where(col(Application.id).in_(apps), col(Application.interview_at).is_not(None))
        ).one()
        accepted = self.session.exec(
            select(func.count()).where(
                col(Decision.application_id).in_(apps),
                Decision.outcome == DecisionOutcome.accept,
                col(Decision.released_at).is_not(None),
            )
        ).one()
        enrolled = self.session.exec(
            select(func.count()).where(Enrollment.cohort_id == cohort_id, Enrollment.status == EnrollmentStatus.active)
        ).one()
        return {
            "Submitted": int(submitted),
            "Reviewed": int(reviewed),
            "Interviewed": int(interviewed),
            "Accepted": int(accepted),
            "Enrolled": int(enrolled),
        }


class ReviewRepository:
    def __init__(self, session: Session):
        self.session = session

    def reviewers(self, cohort_id: uuid.UUID) -> list[tuple[CohortReviewer, User]]:
        stmt = (
            select(CohortReviewer, User)
            .join(User, col(User.id) == CohortReviewer.user_id)
            .where(CohortReviewer.cohort_id == cohort_id)
            .order_by(User.full_name)
        )
        return [(r, u) for r, u in self.session.exec(stmt).all()]

    def pool_member(self, cohort_id: uuid.UUID, user_id: uuid.UUID) -> CohortReviewer | None:
        stmt = select(CohortReviewer).where(CohortReviewer.cohort_id == cohort_id, CohortReviewer.user_id == user_id)
        return self.session.exec(stmt).first()

    def loads(self, cohort_id: uuid.UUID) -> dict[uuid.UUID, tuple[int, int]]:
        """Per reviewer: (active assignments, submitted reviews) in the cohort."""
        stmt = (
            select(
                ReviewAssignment.reviewer_id,
                func.count(),
                func.sum(sa.case((col(ReviewAssignment.status) == AssignmentStatus.submitted, 1), else_=0)),
            )
            .join(Application, col(Application.id) == ReviewAssignment.application_id)
            .where(Application.cohort_id == cohort_id, col(ReviewAssignment.status).in_(ACTIVE_ASSIGNMENT))
            .group_by(col(ReviewAssignment.reviewer_id))
        )
        return {r: (int(n), int(s or 0)) for r, n, s in self.session.exec(stmt).all()}

    def conflicts_for(self, startup_ids: list[uuid.UUID]) -> list[ReviewerConflict]:
        if not startup_ids:
            return []
        stmt = select(ReviewerConflict).where(col(ReviewerConflict.startup_id).in_(startup_ids))
        return list(self.session.exec(stmt).all())

    def conflict(self, user_id: uuid.UUID, startup_id: uuid.UUID) -> ReviewerConflict | None:
        stmt = select(ReviewerConflict).where(
            ReviewerConflict.user_id == user_id, ReviewerConflict.startup_id == startup_id
        )
        return self.session.exec(stmt).first()

    def cohort_conflicts(self, cohort_id: uuid.UUID) -> list[tuple[ReviewerConflict, User, Startup]]:
        startups = select(Application.startup_id).where(Application.cohort_id == cohort_id)
        stmt = (
            select(ReviewerConflict, User, Startup)
            .join(User, col(User.id) == ReviewerConflict.user_id)
            .join(Startup, col(Startup.id) == ReviewerConflict.startup_id)
            .where(col(ReviewerConflict.startup_id).in_(startups))
            .order_by(col(ReviewerConflict.declared_at).desc())
        )
        return [(c, u, s) for c, u, s in self.session.exec(stmt).all()]

    def assignments_in(self, cohort_id: uuid.UUID) -> list[ReviewAssignment]:
        stmt = (
            select(ReviewAssignment)
            .join(Application, col(Application.id) == ReviewAssignment.application_id)
            .where(Application.cohort_id == cohort_id)
        )
        return list(self.session.exec(stmt).all())

    def assignment(self, assignment_id: uuid.UUID) -> ReviewAssignment | None:
        return self.session.get(ReviewAssignment, assignment_id)

    def assignment_of(self, application_id: uuid.UUID, reviewer_id: uuid.UUID) -> ReviewAssignment | None:
        stmt = select(ReviewAssignment).where(
            ReviewAssignment.application_id == application_id, ReviewAssignment.reviewer_id == reviewer_id
        )
        return self.session.exec(stmt).first()

    def for_application(self, application_id: uuid.UUID) -> list[tuple[ReviewAssignment, User]]:
        stmt = (
            select(ReviewAssignment, User)
            .join(User, col(User.id) == ReviewAssignment.reviewer_id)
            .where(ReviewAssignment.application_id == application_id)
            .order_by(User.full_name)
        )
        return [(a, u) for a, u in self.session.exec(stmt).all()]

    def todo(self, reviewer_id: uuid.UUID) -> list[tuple[ReviewAssignment, Application, Startup, Cohort]]:
        stmt = (
            select(ReviewAssignment, Application, Startup, Cohort)
            .join(Application, col(Application.id) == ReviewAssignment.application_id)
            .join(Startup, col(Startup.id) == Application.startup_id)
            .join(Cohort, col(Cohort.id) == Application.cohort_id)
            .where(ReviewAssignment.reviewer_id == reviewer_id, col(ReviewAssignment.status).in_(ACTIVE_ASSIGNMENT))
            .order_by(col(ReviewAssignment.status), col(Cohort.review_due_at), col(ReviewAssignment.assigned_at))
        )
        return [(a, app, s, c) for a, app, s, c in self.session.exec(stmt).all()]

    def late(self, now: datetime) -> list[tuple[ReviewAssignment, User, Cohort]]:
        """Open assignments in cohorts whose review deadline has passed."""
        stmt = (
            select(ReviewAssignment, User, Cohort)
            .join(Application, col(Application.id) == ReviewAssignment.application_id)
            .join(Cohort, col(Cohort.id) == Application.cohort_id)
            .join(User, col(User.id) == ReviewAssignment.reviewer_id)
            .where(
                col(ReviewAssignment.status).in_(OPEN_ASSIGNMENT),
                col(Cohort.review_due_at).is_not(None),
                col(Cohort.review_due_at) < now,
            )
            .order_by(User.email)
        )
        return [(a, u, c) for a, u, c in self.session.exec(stmt).all()]

    def assignment_for_cohort(self, assignment: ReviewAssignment) -> uuid.UUID:
        """The cohort id of an assignment's application."""
        return self.session.get_one(Application, assignment.application_id).cohort_id

    def review_of(self, assignment_id: uuid.UUID) -> Review | None:
        return self.session.exec(select(Review).where(Review.assignment_id == assignment_id)).first()

    def reviews_for(self, application_id: uuid.UUID) -> list[tuple[Review, User]]:
        stmt = (
            select(Review, User)
            .join(User, col(User.id) == Review.reviewer_id)
            .where(Review.application_id == application_id)
            .order_by(col(Review.submitted_at))
        )
        return [(r, u) for r, u in self.session.exec(stmt).all()]

    def totals_in(self, cohort_id: uuid.UUID) -> list[tuple[uuid.UUID, uuid.UUID, float]]:
        """(application, reviewer, weighted total) for every review in the cohort: one query, columns only."""
        stmt = (
            select(Review.application_id, Review.reviewer_id, Review.weighted_total)
            .join(Application, col(Application.id) == Review.application_id)
            .where(Application.cohort_id == cohort_id)
        )
        return [(a, r, float(t)) for a, r, t in self.session.exec(stmt).all()]

    def progress(self, cohort_id: uuid.UUID) -> list[tuple[str, str, int, int, int]]:
        """Per reviewer: name, e-mail, open, submitted, conflicts."""
        status = col(ReviewAssignment.status)
        stmt: Any = (
            sa.select(
                col(User.full_name),
                col(User.email),
                func.sum(sa.case((status.in_(OPEN_ASSIGNMENT), 1), else_=0)),
                func.sum(sa.case((status == AssignmentStatus.submitted, 1), else_=0)),
                func.sum(sa.case((status == AssignmentStatus.conflicted, 1), else_=0)),
            )
            .join(Application, col(Application.id) == ReviewAssignment.application_id)
            .join(User, col(User.id) == ReviewAssignment.reviewer_id)
            .where(col(Application.cohort_id) == cohort_id)
            .group_by(User.full_name, User.email)
            .order_by(User.full_name)
        )
        rows = self.session.execute(stmt).all()
        return [(n, e, int(o or 0), int(s or 0), int(c or 0)) for n, e, o, s, c in rows]


class DecisionRepository:
    def __init__(self, session: Session):
        self.session = session

    def for_application(self, application_id: uuid.UUID) -> Decision | None:
        return self.session.exec(select(Decision).where(Decision.application_id == application_id)).first()

    def in_cohort(self, cohort_id: uuid.UUID) -> list[tuple[Decision, Application, Startup]]:
        stmt = (
            select(Decision, Application, Startup)
            .join(Application, col(Application.id) == Decision.application_id)
            .join(Startup, col(Startup.id) == Application.startup_id)
            .where(Application.cohort_id == cohort_id)
            .order_by(Startup.name)
        )
        return [(d, a, s) for d, a, s in self.session.exec(stmt).all()]

    def outcomes_in(self, cohort_id: uuid.UUID) -> dict[uuid.UUID, DecisionOutcome]:
        stmt = (
            select(Decision.application_id, Decision.outcome)
            .join(Application, col(Application.id) == Decision.application_id)
            .where(Application.cohort_id == cohort_id)
        )
        return {a: DecisionOutcome(o) for a, o in self.session.exec(stmt).all()}

    def places_taken(self, cohort_id: uuid.UUID) -> int:
        """Accept decisions that still hold a place: not declined and not withdrawn."""
        stmt = (
            select(func.count())
            .select_from(Decision)
            .join(Application, col(Application.id) == Decision.application_id)
            .where(
                Application.cohort_id == cohort_id,
                Decision.outcome == DecisionOutcome.accept,
                sa.or_(col(Decision.response).is_(None), col(Decision.response) == DecisionResponse.confirmed),
                Application.status != ApplicationStatus.withdrawn,
            )
        )
        return int(self.session.exec(stmt).one())

    def enrolled_count(self, cohort_id: uuid.UUID) -> int:
        stmt = (
            select(func.count())
            .select_from(Enrollment)
            .where(Enrollment.cohort_id == cohort_id, Enrollment.status == EnrollmentStatus.active)
        )
        return int(self.session.exec(stmt).one())

    def enrollments(self, cohort_id: uuid.UUID) -> list[tuple[Enrollment, Startup]]:
        stmt = (
            select(Enrollment, Startup)
            .join(Startup, col(Startup.id) == Enrollment.startup_id)
            .where(Enrollment.cohort_id == cohort_id)
            .order_by(Startup.name)
        )
        return [(e, s) for e, s in self.session.exec(stmt).all()]

    def waitlisted(self, cohort_id: uuid.UUID) -> list[Application]:
        stmt = select(Application).where(
            Application.cohort_id == cohort_id, Application.status == ApplicationStatus.waitlisted
        )
        return list(self.session.exec(stmt).all())


def reviewer_may_open(session: Session, user: User, application_id: uuid.UUID) -> ReviewAssignment | None:
    return ReviewRepository(session).assignment_of(application_id, user.id)


def is_staff(user: User) -> bool:
    return user.has_role(*STAFF)
