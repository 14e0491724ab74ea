"""Load-or-404 and permission dependencies for admissions, scoped by who asks."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends
from sqlmodel import Session

from cohorts.errors import ConflictNotDeclared
from cohorts.models import Application, AssignmentStatus, Cohort, ReviewAssignment
from cohorts.repository import ApplicationRepository, CohortRepository, ReviewRepository, is_staff
from incubator.deps import ApiUser, PageUser, SessionDep, api_roles, page_roles
from incubator.errors import NotFound, PermissionDenied
from incubator.models import Role, User
from startups.models import Startup

PmPage = Annotated[User, Depends(page_roles(Role.program_manager))]
PmApi = Annotated[User, Depends(api_roles(Role.program_manager))]
ReviewerPage = Annotated[User, Depends(page_roles(Role.mentor, Role.program_manager))]
ReviewerApi = Annotated[User, Depends(api_roles(Role.mentor, Role.program_manager))]
FounderPage = Annotated[User, Depends(page_roles(Role.founder))]
FounderApi = Annotated[User, Depends(api_roles(Role.founder))]


def _cohort(cohort_id: uuid.UUID, session: SessionDep) -> Cohort:
    cohort = CohortRepository(session).get(cohort_id)
    if cohort is None:
        raise NotFound("No cohort with that id.")
    return cohort


AnyCohort = Annotated[Cohort, Depends(_cohort)]


def load_application(session: Session, user: User, application_id: uuid.UUID) -> tuple[Application, Startup, Cohort]:
    """Staff see every application, a startup's team its own, a reviewer those assigned to them, and only after
    declaring no conflict of interest. Anyone else gets a 404."""
    row = ApplicationRepository(session).with_startup(application_id)
    missing = NotFound("No application with that id, or it is not visible to you.")
    if row is None:
        raise missing
    app, startup, _cohort = row
    if is_staff(user) or ApplicationRepository(session).is_member(user.id, startup.id):
        return row
    assignment = ReviewRepository(session).assignment_of(app.id, user.id)
    if assignment is None or assignment.status in (AssignmentStatus.conflicted, AssignmentStatus.removed):
        raise missing
    if assignment.status == AssignmentStatus.assigned:
        raise ConflictNotDeclared(
            "Declare that you have no conflict of interest with this startup before opening its application."
        )
    return row


def _app_page(application_id: uuid.UUID, session: SessionDep, user: PageUser) -> tuple[Application, Startup, Cohort]:
    return load_application(session, user, application_id)


def _app_api(application_id: uuid.UUID, session: SessionDep, user: ApiUser) -> tuple[Application, Startup, Cohort]:
    return load_application(session, user, application_id)


PageApplication = Annotated[tuple[Application, Startup, Cohort], Depends(_app_page)]
ApiApplication = Annotated[tuple[Application, Startup, Cohort], Depends(_app_api)]


def _team_only(session: Session, user: User, row: tuple[Application, Startup, Cohort]) -> None:
    if not ApplicationRepository(session).is_member(user.id, row[1].id):
        raise PermissionDenied("Only the startup's team can do this with its application.")


def _team_app_page(row: PageApplication, session: SessionDep, user: PageUser) -> tuple[Application, Startup, Cohort]:
    _team_only(session, user, row)
    return row


def _team_app_api(row: ApiApplication, session: SessionDep, user: ApiUser) -> tuple[Application, Startup, Cohort]:
    _team_only(session, user, row)
    return row


# The application of the asker's own startup (drafting, submitting, withdrawing, answering the offer).
TeamPageApplication = Annotated[tuple[Application, Startup, Cohort], Depends(_team_app_page)]
TeamApiApplication = Annotated[tuple[Application, Startup, Cohort], Depends(_team_app_api)]


def own_assignment(session: Session, user: User, assignment_id: uuid.UUID) -> ReviewAssignment:
    assignment = ReviewRepository(session).assignment(assignment_id)
    if assignment is None or assignment.reviewer_id != user.id:
        raise NotFound("No review assignment with that id for you.")
    return assignment


def _assignment_page(assignment_id: uuid.UUID, session: SessionDep, user: ReviewerPage) -> ReviewAssignment:
    return own_assignment(session, user, assignment_id)


def _assignment_api(assignment_id: uuid.UUID, session: SessionDep, user: ReviewerApi) -> ReviewAssignment:
    return own_assignment(session, user, assignment_id)


PageAssignment = Annotated[ReviewAssignment, Depends(_assignment_page)]
ApiAssignment = Annotated[ReviewAssignment, Depends(_assignment_api)]
