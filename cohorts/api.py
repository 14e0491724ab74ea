"""JSON API for admissions: programmes, cohorts, applications, review, decisions and enrollment."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, UploadFile, status
from fastapi.responses import Response

from cohorts import service
from cohorts.deps import AnyCohort, ApiApplication, ApiAssignment, FounderApi, PmApi, ReviewerApi, TeamApiApplication
from cohorts.models import ApplicationStatus
from cohorts.repository import (
    ApplicationRepository,
    CohortRepository,
    DecisionRepository,
    FormRepository,
    ProgrammeRepository,
    ReviewRepository,
)
from cohorts.schemas import (
    AnswersUpdate,
    ApplicationCreate,
    ApplicationSummary,
    ApplicationView,
    AssignmentCreate,
    AssignmentPublic,
    AutoAssign,
    CohortCreate,
    CohortPublic,
    CohortSettings,
    ConflictCreate,
    ConflictDeclaration,
    CriterionCreate,
    CriterionPublic,
    DecisionCreate,
    DecisionPublic,
    EmailPreview,
    EnrollmentPublic,
    InterviewCreate,
    ProgrammeCreate,
    ProgrammePublic,
    QuestionCreate,
    QuestionPublic,
    QuestionUpdate,
    RankingRow,
    ReleaseResult,
    ReviewCreate,
    ReviewerAdd,
    ReviewerPublic,
    ReviewPublic,
    ReviewView,
)
from cohorts.views import build_application_view, ranking_csv
from incubator.api import ERRORS
from incubator.deps import ApiUser, SessionDep
from incubator.errors import NotFound, PermissionDenied
from incubator.pagination import PageOut, PageParams, page_params
from incubator.storage import get_storage
from startups.repository import StartupRepository

router = APIRouter(prefix="/api/v1", tags=["admissions"], responses={**ERRORS})
Paging = Annotated[PageParams, Depends(page_params)]


@router.get("/programmes", response_model=list[ProgrammePublic], name="api.programmes.list")
def list_programmes(user: ApiUser, session: SessionDep) -> list[ProgrammePublic]:
    """Every programme."""
    return [ProgrammePublic.model_validate(p) for p in ProgrammeRepository(session).all()]


@router.post(
    "/programmes", response_model=ProgrammePublic, status_code=status.HTTP_201_CREATED, name="api.programmes.create"
)
def create_programme(body: ProgrammeCreate, user: PmApi, session: SessionDep) -> ProgrammePublic:
    """Create a programme (programme managers)."""
    return ProgrammePublic.model_validate(service.create_programme(session, data=body, actor=user))


@router.get("/cohorts", response_model=PageOut[CohortPublic], name="api.cohorts.list")
def list_cohorts(user: ApiUser, session: SessionDep, paging: Paging) -> PageOut[CohortPublic]:
    """Cohorts, newest application window first."""
    page = CohortRepository(session).search(paging)
    return PageOut[CohortPublic](
        items=[CohortPublic.model_validate(c) for c in page.items], total=page.total, limit=page.limit,
        offset=page.offset,
    )  # fmt: skip


@router.post("/cohorts", response_model=CohortPublic, status_code=status.HTTP_201_CREATED, name="api.cohorts.create")
def create_cohort(body: CohortCreate, user: PmApi, session: SessionDep) -> CohortPublic:
    """Create a cohort in planning. The application window is given in the cohort's time zone."""
    return CohortPublic.model_validate(service.create_cohort(session, data=body, actor=user))


@router.get("/cohorts/{cohort_id}", response_model=CohortPublic, name="api.cohorts.detail")
def get_cohort(cohort: AnyCohort, user: ApiUser) -> CohortPublic:
    """One cohort."""
    return CohortPublic.model_validate(cohort)


@router.patch("/cohorts/{cohort_id}", response_model=CohortPublic, name="api.cohorts.update")
def update_cohort(cohort: AnyCohort, body: CohortSettings, user: PmApi, session: SessionDep) -> CohortPublic:
    """Change capacity, review settings (blind review, scores visible after submitting, reviewers per
    application) or the review deadline."""
    return CohortPublic.model_validate(service.update_cohort_settings(session, cohort=cohort, data=body, actor=user))


def _transition_route(action: str) -> None:
    def move(cohort: AnyCohort, user: PmApi, session: SessionDep) -> CohortPublic:
        return CohortPublic.model_validate(service.COHORT_ACTIONS[action](session, cohort=cohort, actor=user))

    move.__doc__ = (
        f"Move the cohort's status ({action}): planning -> open -> reviewing -> running -> demo_day -> completed."
    )
    router.add_api_route(
        f"/cohorts/{{cohort_id}}/{action}",
        move,
        methods=["POST"],
        response_model=CohortPublic,
        name=f"api.cohorts.{action}",
    )


for _action in service.COHORT_ACTIONS:
    _transition_route(_action)


@router.get("/cohorts/{cohort_id}/questions", response_model=list[QuestionPublic], name="api.cohorts.questions")
def list_questions(cohort: AnyCohort, user: ApiUser, session: SessionDep) -> list[QuestionPublic]:
    """The application form, in order."""
    return [QuestionPublic.model_validate(q) for q in FormRepository(session).questions(cohort.id)]


@router.post(
    "/cohorts/{cohort_id}/questions",
    response_model=QuestionPublic,
    status_code=status.HTTP_201_CREATED,
    name="api.cohorts.questions.add",
)
def add_question(cohort: AnyCohort, body: QuestionCreate, user: PmApi, session: SessionDep) -> QuestionPublic:
    """Add a question to the form."""
    return QuestionPublic.model_validate(service.add_question(session, cohort=cohort, data=body, actor=user))


@router.patch("/questions/{question_id}", response_model=QuestionPublic, name="api.questions.update")
def update_question(question_id: uuid.UUID, body: QuestionUpdate, user: PmApi, session: SessionDep) -> QuestionPublic:
    """Edit or retire a question. Answers already given keep the wording they were given under."""
    question = FormRepository(session).question(question_id)
    if question is None:
        raise NotFound("No question with that id.")
    return QuestionPublic.model_validate(service.update_question(session, question=question, data=body, actor=user))


@router.get("/cohorts/{cohort_id}/criteria", response_model=list[CriterionPublic], name="api.cohorts.criteria")
def list_criteria(cohort: AnyCohort, user: ReviewerApi, session: SessionDep) -> list[CriterionPublic]:
    """The review rubric."""
    return [CriterionPublic.model_validate(c) for c in FormRepository(session).criteria(cohort.id)]


@router.post(
    "/cohorts/{cohort_id}/criteria",
    response_model=CriterionPublic,
    status_code=status.HTTP_201_CREATED,
    name="api.cohorts.criteria.add",
)
def add_criterion(cohort: AnyCohort, body: CriterionCreate, user: PmApi, session: SessionDep) -> CriterionPublic:
    """Add a criterion (weight and a description per level of the 1-5 scale) to the rubric."""
    return CriterionPublic.model_validate(service.add_criterion(session, cohort=cohort, data=body, actor=user))


@router.get("/cohorts/{cohort_id}/reviewers", response_model=list[ReviewerPublic], name="api.cohorts.reviewers")
def list_reviewers(cohort: AnyCohort, user: PmApi, session: SessionDep) -> list[ReviewerPublic]:
    """The reviewer pool with capacity, expertise tags and current load."""
    repo = ReviewRepository(session)
    loads = repo.loads(cohort.id)
    return [
        ReviewerPublic(
            id=r.id, user_id=u.id, full_name=u.full_name, email=u.email, capacity=r.capacity, tags=r.tags,
            load=loads.get(u.id, (0, 0))[0], submitted=loads.get(u.id, (0, 0))[1],
        )
        for r, u in repo.reviewers(cohort.id)
    ]  # fmt: skip


@router.post(
    "/cohorts/{cohort_id}/reviewers",
    response_model=ReviewerPublic,
    status_code=status.HTTP_201_CREATED,
    name="api.cohorts.reviewers.add",
)
def add_reviewer(cohort: AnyCohort, body: ReviewerAdd, user: PmApi, session: SessionDep) -> ReviewerPublic:
    """Add a mentor or programme manager to the pool."""
    r = service.add_reviewer(
        session, cohort=cohort, email=body.email, capacity=body.capacity, tags=body.tags, actor=user
    )
    added = session.get_one(type(user), r.user_id)
    return ReviewerPublic(
        id=r.id, user_id=r.user_id, full_name=added.full_name, email=added.email, capacity=r.capacity, tags=r.tags,
        load=0, submitted=0,
    )  # fmt: skip


@router.post("/cohorts/{cohort_id}/conflicts", status_code=status.HTTP_204_NO_CONTENT, name="api.cohorts.conflicts")
def add_conflict(cohort: AnyCohort, body: ConflictCreate, user: PmApi, session: SessionDep) -> None:
    """Record a known conflict of interest between a reviewer and a startup."""
    service.record_conflict(session, user_id=body.user_id, startup_id=body.startup_id, reason=body.reason, actor=user)


@router.get(
    "/cohorts/{cohort_id}/applications",
    response_model=PageOut[ApplicationSummary],
    name="api.cohorts.applications",
)
def list_applications(
    cohort: AnyCohort,
    user: PmApi,
    session: SessionDep,
    paging: Paging,
    status_: Annotated[ApplicationStatus | None, Query(alias="status")] = None,
) -> PageOut[ApplicationSummary]:
    """Applications to the cohort (programme managers)."""
    page = ApplicationRepository(session).for_cohort(cohort.id, paging, status=status_)
    return PageOut[ApplicationSummary](
        items=[
            ApplicationSummary(
                id=a.id, cohort_id=a.cohort_id, startup_id=s.id, startup_name=s.name, status=a.status,
                submitted_at=a.submitted_at,
            )
            for a, s in page.items
        ],
        total=page.total, limit=page.limit, offset=page.offset,
    )  # fmt: skip


@router.post(
    "/cohorts/{cohort_id}/applications",
    response_model=ApplicationSummary,
    status_code=status.HTTP_201_CREATED,
    name="api.cohorts.applications.create",
)
def start_application(
    cohort: AnyCohort, body: ApplicationCreate, user: FounderApi, session: SessionDep
) -> ApplicationSummary:
    """Start a draft application with your startup (one live application per startup per cohort)."""
    startup = StartupRepository(session).readable_by(user, body.startup_id)
    if startup is None:
        raise NotFound("No startup with that id, or it is not yours.")
    app = service.start_application(session, cohort=cohort, startup=startup, actor=user)
    return ApplicationSummary(
        id=app.id, cohort_id=cohort.id, startup_id=startup.id, startup_name=startup.name, status=app.status,
        submitted_at=None,
    )  # fmt: skip


@router.get("/applications", response_model=list[ApplicationSummary], name="api.applications.mine")
def my_applications(user: ApiUser, session: SessionDep) -> list[ApplicationSummary]:
    """Applications of the startups you belong to."""
    return [
        ApplicationSummary(
            id=a.id, cohort_id=a.cohort_id, startup_id=s.id, startup_name=s.name, status=a.status,
            submitted_at=a.submitted_at,
        )
        for a, s, _ in ApplicationRepository(session).of_member(user.id)
    ]  # fmt: skip


@router.get("/applications/{application_id}", response_model=ApplicationView, name="api.applications.detail")
def get_application(row: ApiApplication, user: ApiUser, session: SessionDep) -> ApplicationView:
    """An application as you may see it: reviewers see it only after declaring no conflict, and under blind review
    without founders' names, e-mails or identifying answers."""
    app, startup, cohort = row
    return build_application_view(session, viewer=user, application=app, startup=startup, cohort=cohort)


@router.put("/applications/{application_id}/answers", response_model=ApplicationView, name="api.applications.answers")
def save_answers(row: TeamApiApplication, body: AnswersUpdate, user: ApiUser, session: SessionDep) -> ApplicationView:
    """Save draft answers (any subset)."""
    app, startup, cohort = row
    service.save_answers(session, application=app, answers=dict(body.answers), actor=user)
    return build_application_view(session, viewer=user, application=app, startup=startup, cohort=cohort)


@router.post(
    "/applications/{application_id}/files/{question_id}",
    response_model=ApplicationView,
    name="api.applications.upload",
)
async def upload_file(
    row: TeamApiApplication,
    question_id: uuid.UUID,
    user: ApiUser,
    session: SessionDep,
    file: Annotated[UploadFile, File(description="A PDF")],
) -> ApplicationView:
    """Upload the PDF answering a question (checked by content and size)."""
    app, startup, cohort = row
    data = await file.read()
    service.save_answers(
        session, application=app, answers={}, files={question_id: (file.filename or "document.pdf", data)}, actor=user
    )
    return build_application_view(session, viewer=user, application=app, startup=startup, cohort=cohort)


@router.get("/applications/{application_id}/files/{question_id}", name="api.applications.file")
def download_file(row: ApiApplication, question_id: uuid.UUID, user: ApiUser, session: SessionDep) -> Response:
    """The uploaded PDF, for those who may read the application (withheld under blind review when identifying)."""
    app, startup, cohort = row
    view = build_application_view(session, viewer=user, application=app, startup=startup, cohort=cohort)
    answer = next((a for a in ApplicationRepository(session).answers(app.id) if a.question_id == question_id), None)
    shown = next((a for a in view.answers if a.question_id == question_id), None)
    if answer is None or answer.file_key is None or shown is None or shown.hidden:
        raise NotFound("No file for that question.")
    return Response(
        get_storage().read(answer.file_key),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{(answer.file_name or "file.pdf").replace(chr(34), "")}"'
        },
    )


@router.post("/applications/{application_id}/submit", response_model=ApplicationView, name="api.applications.submit")
def submit(row: TeamApiApplication, user: ApiUser, session: SessionDep) -> ApplicationView:
    """Submit before the deadline (checked on the server in the cohort's time zone) with every required answer."""
    app, startup, cohort = row
    service.submit_application(session, application=app, actor=user)
    return build_application_view(session, viewer=user, application=app, startup=startup, cohort=cohort)


@router.post(
    "/applications/{application_id}/withdraw", response_model=ApplicationView, name="api.applications.withdraw"
)
def withdraw(row: TeamApiApplication, user: ApiUser, session: SessionDep) -> ApplicationView:
    """Withdraw the application."""
    app, startup, cohort = row
    service.withdraw_application(session, application=app, actor=user)
    return build_application_view(session, viewer=user, application=app, startup=startup, cohort=cohort)


@router.post(
    "/applications/{application_id}/interview", response_model=ApplicationView, name="api.applications.interview"
)
def interview(user: PmApi, row: ApiApplication, body: InterviewCreate, session: SessionDep) -> ApplicationView:
    """Invite to an interview at a time (the cohort's time zone) with a note."""
    app, startup, cohort = row
    service.schedule_interview(session, application=app, at=body.at, note=body.note, actor=user)
    return build_application_view(session, viewer=user, application=app, startup=startup, cohort=cohort)


@router.post("/applications/{application_id}/confirm", response_model=EnrollmentPublic, name="api.applications.confirm")
def confirm(row: TeamApiApplication, user: ApiUser, session: SessionDep) -> EnrollmentPublic:
    """Accept the offered place: the startup is enrolled (while places remain)."""
    return EnrollmentPublic.model_validate(service.confirm_place(session, application=row[0], actor=user))


@router.post("/applications/{application_id}/decline", response_model=ApplicationView, name="api.applications.decline")
def decline(row: TeamApiApplication, user: ApiUser, session: SessionDep) -> ApplicationView:
    """Decline the offered place; it is offered to the next startup on the waiting list."""
    app, startup, cohort = row
    service.decline_place(session, application=app, actor=user)
    return build_application_view(session, viewer=user, application=app, startup=startup, cohort=cohort)


@router.get("/applications/{application_id}/reviews", response_model=list[ReviewView], name="api.applications.reviews")
def list_reviews(row: ApiApplication, user: ApiUser, session: SessionDep) -> list[ReviewView]:
    """Reviews you may see: all for programme managers; for a reviewer their own, and the others' after submitting
    (when the cohort allows); for the founders only the comments the programme manager shared, without names."""
    app, startup, cohort = row
    return build_application_view(session, viewer=user, application=app, startup=startup, cohort=cohort).reviews


@router.post(
    "/applications/{application_id}/reviews",
    response_model=ReviewPublic,
    status_code=status.HTTP_201_CREATED,
    name="api.applications.reviews.create",
)
def submit_review(row: ApiApplication, body: ReviewCreate, user: ReviewerApi, session: SessionDep) -> ReviewPublic:
    """Submit your review: a 1-5 score per criterion, a comment and a recommendation."""
    assignment = ReviewRepository(session).assignment_of(row[0].id, user.id)
    if assignment is None:
        raise PermissionDenied("You are not assigned to review this application.")
    return ReviewPublic.model_validate(service.submit_review(session, assignment=assignment, data=body, actor=user))


@router.get("/review-assignments", response_model=list[AssignmentPublic], name="api.assignments.mine")
def my_assignments(user: ReviewerApi, session: SessionDep) -> list[AssignmentPublic]:
    """Your review assignments, still to do first."""
    return [AssignmentPublic.model_validate(a) for a, _, _, _ in ReviewRepository(session).todo(user.id)]


@router.post(
    "/cohorts/{cohort_id}/review-assignments",
    response_model=list[AssignmentPublic],
    status_code=status.HTTP_201_CREATED,
    name="api.assignments.create",
)
def assign(cohort: AnyCohort, body: AssignmentCreate, user: PmApi, session: SessionDep) -> list[AssignmentPublic]:
    """Assign one reviewer to one or many applications by hand."""
    made = service.assign_by_hand(
        session, cohort=cohort, application_ids=body.application_ids, reviewer_id=body.reviewer_id, actor=user
    )
    return [AssignmentPublic.model_validate(a) for a in made]


@router.post("/cohorts/{cohort_id}/review-assignments/auto", name="api.assignments.auto")
def auto_assign(cohort: AnyCohort, body: AutoAssign, user: PmApi, session: SessionDep) -> dict[str, int]:
    """Give every submitted application N reviewers, balancing load within capacity, matching expertise to the
    startup's sector where possible and never crossing a known conflict. 409 when the pool cannot cover it."""
    return {"assigned": service.auto_assign(session, cohort=cohort, actor=user, n=body.reviewers_per_application)}


@router.post(
    "/review-assignments/{assignment_id}/declaration",
    response_model=AssignmentPublic,
    name="api.assignments.declare",
)
def declare(
    assignment: ApiAssignment, body: ConflictDeclaration, user: ReviewerApi, session: SessionDep
) -> AssignmentPublic:
    """Declare whether you have a conflict of interest. With a conflict the assignment is handed back."""
    if body.has_conflict:
        service.declare_conflict(session, assignment=assignment, reason=body.reason, actor=user)
    else:
        service.declare_no_conflict(session, assignment=assignment, actor=user)
    return AssignmentPublic.model_validate(assignment)


@router.get("/cohorts/{cohort_id}/ranking", response_model=list[RankingRow], name="api.cohorts.ranking")
def ranking(cohort: AnyCohort, user: PmApi, session: SessionDep) -> list[RankingRow]:
    """Raw mean, median, normalised score (per-reviewer z-scores) and disagreement per application, best first."""
    return service.ranking(session, cohort=cohort)


@router.get("/cohorts/{cohort_id}/ranking.csv", name="api.cohorts.ranking_csv")
def ranking_export(cohort: AnyCohort, user: PmApi, session: SessionDep) -> Response:
    """The ranking table as CSV."""
    return Response(
        ranking_csv(service.ranking(session, cohort=cohort)),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="ranking-{cohort.id}.csv"'},
    )


@router.get("/cohorts/{cohort_id}/decisions", response_model=list[DecisionPublic], name="api.decisions.list")
def list_decisions(cohort: AnyCohort, user: PmApi, session: SessionDep) -> list[DecisionPublic]:
    """Decisions, pending and released."""
    return [DecisionPublic.model_validate(d) for d, _, _ in DecisionRepository(session).in_cohort(cohort.id)]


@router.post(
    "/cohorts/{cohort_id}/decisions",
    response_model=DecisionPublic,
    status_code=status.HTTP_201_CREATED,
    name="api.decisions.create",
)
def decide(cohort: AnyCohort, body: DecisionCreate, user: PmApi, session: SessionDep) -> DecisionPublic:
    """Record accept, reject or waitlist as pending (accepting is limited by the cohort's capacity)."""
    app = ApplicationRepository(session).get(body.application_id)
    if app is None or app.cohort_id != cohort.id:
        raise NotFound("No application with that id in this cohort.")
    decision = service.record_decision(session, application=app, outcome=body.outcome, note=body.note, actor=user)
    return DecisionPublic.model_validate(decision)


@router.get("/cohorts/{cohort_id}/decisions/preview", response_model=list[EmailPreview], name="api.decisions.preview")
def preview(cohort: AnyCohort, user: PmApi, session: SessionDep) -> list[EmailPreview]:
    """The e-mails releasing the pending decisions would send."""
    return service.release_preview(session, cohort=cohort)


@router.post("/cohorts/{cohort_id}/decisions/release", response_model=ReleaseResult, name="api.decisions.release")
def release(cohort: AnyCohort, user: PmApi, session: SessionDep) -> ReleaseResult:
    """Release every pending decision and queue the e-mails, all at once. Releasing twice is a 409."""
    released, emails = service.release_decisions(session, cohort=cohort, actor=user)
    return ReleaseResult(released=released, emails=emails)


@router.get("/cohorts/{cohort_id}/enrollments", response_model=list[EnrollmentPublic], name="api.enrollments.list")
def enrollments(cohort: AnyCohort, user: PmApi, session: SessionDep) -> list[EnrollmentPublic]:
    """Startups enrolled in the cohort."""
    return [EnrollmentPublic.model_validate(e) for e, _ in DecisionRepository(session).enrollments(cohort.id)]
