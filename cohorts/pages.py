"""HTML pages for admissions: cohorts, the application form, review, ranking, decisions and enrollment."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from cohorts import service
from cohorts.deps import (
    AnyCohort,
    FounderPage,
    PageApplication,
    PageAssignment,
    PmPage,
    ReviewerPage,
    TeamPageApplication,
)
from cohorts.models import ApplicationStatus, CohortStatus, DecisionOutcome, QuestionKind, Recommendation
from cohorts.repository import (
    ApplicationRepository,
    CohortRepository,
    DecisionRepository,
    FormRepository,
    ProgrammeRepository,
    ReviewRepository,
    is_staff,
)
from cohorts.schemas import (
    CohortForm,
    CohortSettings,
    CriterionCreate,
    InterviewCreate,
    ProgrammeCreate,
    QuestionCreate,
    QuestionUpdate,
    ReviewCreate,
)
from cohorts.scoring import MIN_REVIEWS
from cohorts.views import build_application_view, ranking_csv
from incubator.db import utcnow
from incubator.deps import PageUser, SessionDep, verify_csrf
from incubator.errors import AppError, NotFound, PermissionDenied
from incubator.pagination import MAX_LIMIT, Page, PageParams, page_params
from incubator.storage import get_storage
from incubator.web import flash, form_values, parse_form, redirect, render
from startups.models import Sector
from startups.repository import StartupRepository

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)
Paging = Annotated[PageParams, Depends(page_params)]
SECTORS = [(s.value, s.label) for s in Sector]
KINDS = [(k.value, k.label) for k in QuestionKind]
TIMEZONES = ["UTC", "Europe/London", "Europe/Amsterdam", "America/New_York", "America/Los_Angeles", "Asia/Shanghai"]


def _errors(exc: AppError) -> dict[str, str]:
    return exc.field_errors or {"__all__": exc.detail}


def _back(request: Request, message: str, url: str, category: str = "success") -> Response:
    flash(request, message, category)
    return redirect(request, url)


# --- cohorts --------------------------------------------------------------------------------------------------


@router.get("/cohorts", response_class=HTMLResponse, name="cohorts.list")
def cohort_list(request: Request, session: SessionDep, user: PageUser) -> Response:
    """Every cohort for staff; the cohorts open for applications for everyone else."""
    repo = CohortRepository(session)
    rows = repo.with_programmes() if is_staff(user) else repo.open_for_applications(utcnow())
    return render(request, "cohorts/list.html", {"rows": rows, "staff": is_staff(user)})


@router.get("/cohorts/new", response_class=HTMLResponse, name="cohorts.new")
def cohort_new(request: Request, session: SessionDep, user: PmPage) -> Response:
    return render(request, "cohorts/new.html", _new_ctx(session, {"timezone": "UTC", "capacity": 12}, {}))


def _new_ctx(session: SessionDep, values: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    programmes = [(str(p.id), p.name) for p in ProgrammeRepository(session).all()]
    return {"values": values, "errors": errors, "programmes": programmes, "timezones": TIMEZONES}


@router.post("/programmes", response_class=HTMLResponse, name="programmes.create")
async def programme_create(request: Request, session: SessionDep, user: PmPage) -> Response:
    values = form_values(await request.form())
    data, errors = parse_form(ProgrammeCreate, {"name": values.get("programme_name", "")})
    if data is not None:
        try:
            service.create_programme(session, data=data, actor=user)
        except AppError as exc:
            errors = _errors(exc)
    if errors:
        return render(request, "cohorts/new.html", _new_ctx(session, values, errors), status_code=422)
    return _back(request, "Programme created.", "/cohorts/new")


@router.post("/cohorts/new", response_class=HTMLResponse, name="cohorts.create")
async def cohort_create(request: Request, session: SessionDep, user: PmPage) -> Response:
    values = form_values(await request.form())
    for box in ("blind_review", "scores_visible_after_submit"):
        values[box] = values.get(box) in ("1", "on", "true")
    data, errors = parse_form(CohortForm, values)
    cohort = None
    if data is not None:
        try:
            cohort = service.create_cohort(session, data=data, actor=user)
        except AppError as exc:
            errors = _errors(exc)
    if errors or cohort is None:
        return render(request, "cohorts/new.html", _new_ctx(session, values, errors), status_code=422)
    return _back(request, f"{cohort.name} created. Add its form and rubric, then open it.", f"/cohorts/{cohort.id}")


def _detail_ctx(session: SessionDep, cohort: Any, user: Any) -> dict[str, Any]:
    reviews = ReviewRepository(session)
    apps = ApplicationRepository(session)
    loads = reviews.loads(cohort.id)
    return {
        "cohort": cohort,
        "programme": CohortRepository(session).programme(cohort),
        "staff": is_staff(user),
        "questions": FormRepository(session).questions(cohort.id, include_retired=True),
        "criteria": FormRepository(session).criteria(cohort.id),
        "reviewers": [(r, u, loads.get(u.id, (0, 0))) for r, u in reviews.reviewers(cohort.id)],
        "progress": reviews.progress(cohort.id),
        "conflicts": reviews.cohort_conflicts(cohort.id),
        "applicants": apps.startups_in(cohort.id) if is_staff(user) else [],
        "counts": apps.status_counts(cohort.id),
        "my_startups": (mine := StartupRepository(session).for_member(user.id)),
        "startup_options": [(str(s.id), s.name) for s in mine],
        "mine": [(a, s) for a, s, c in apps.of_member(user.id) if c.id == cohort.id],
        "kinds": KINDS,
        "sectors": SECTORS,
        "actions": _actions(cohort.status),
        "enrolled": DecisionRepository(session).enrollments(cohort.id),
        "values": {},
        "errors": {},
    }


def _actions(status: CohortStatus) -> list[tuple[str, str]]:
    return {
        CohortStatus.planning: [("open", "Open for applications")],
        CohortStatus.open: [("review", "Close applications and start review")],
        CohortStatus.reviewing: [("start", "Start the cohort")],
        CohortStatus.running: [("demo-day", "Move to demo day")],
        CohortStatus.demo_day: [("complete", "Complete the cohort")],
        CohortStatus.completed: [],
    }[status]


@router.get("/cohorts/{cohort_id}", response_class=HTMLResponse, name="cohorts.detail")
def cohort_detail(request: Request, session: SessionDep, user: PageUser, cohort: AnyCohort) -> Response:
    """The cohort: for staff its settings, form, rubric, reviewers and progress; for founders how to apply."""
    if not is_staff(user) and cohort.status == CohortStatus.planning:
        raise NotFound("No cohort with that id.")
    return render(request, "cohorts/detail.html", _detail_ctx(session, cohort, user))


@router.post("/cohorts/{cohort_id}/status/{action}", name="cohorts.transition")
def cohort_transition(request: Request, session: SessionDep, user: PmPage, cohort: AnyCohort, action: str) -> Response:
    move = service.COHORT_ACTIONS.get(action)
    if move is None:
        raise NotFound("No such action.")
    move(session, cohort=cohort, actor=user)
    return _back(request, f"{cohort.name} is now {cohort.status.value.replace('_', ' ')}.", f"/cohorts/{cohort.id}")


CHECKBOXES: dict[Any, tuple[str, ...]] = {
    QuestionCreate: ("required", "identifying"),
    CohortSettings: ("blind_review", "scores_visible_after_submit"),
}


async def _detail_form(
    request: Request, session: SessionDep, user: Any, cohort: Any, model: Any, action: Any, message: str
) -> Response:
    values = form_values(await request.form())
    if "choices" in values:
        values["choices"] = [c.strip() for c in str(values["choices"]).splitlines() if c.strip()]
    if "levels" in values:
        values["levels"] = [c.strip() for c in str(values["levels"]).splitlines() if c.strip()]
    if "tags" in values and isinstance(values["tags"], str):
        values["tags"] = [values["tags"]]
    # An unticked checkbox sends nothing: for the forms that have them, absent means "no".
    for box in CHECKBOXES.get(model, ()):
        values[box] = values.get(box) in ("1", "on", "true")
    data, errors = parse_form(model, values)
    if data is not None:
        try:
            action(data)
        except AppError as exc:
            if isinstance(exc, PermissionDenied):
                raise
            errors = _errors(exc)
    if errors:
        ctx = _detail_ctx(session, cohort, user)
        ctx.update({"values": values, "errors": errors})
        return render(request, "cohorts/detail.html", ctx, status_code=422)
    return _back(request, message, f"/cohorts/{cohort.id}")


@router.post("/cohorts/{cohort_id}/settings", response_class=HTMLResponse, name="cohorts.settings")
async def cohort_settings(request: Request, session: SessionDep, user: PmPage, cohort: AnyCohort) -> Response:
    return await _detail_form(
        request, session, user, cohort, CohortSettings,
        lambda d: service.update_cohort_settings(session, cohort=cohort, data=d, actor=user), "Settings saved.",
    )  # fmt: skip


@router.post("/cohorts/{cohort_id}/questions", response_class=HTMLResponse, name="cohorts.questions.add")
async def question_add(request: Request, session: SessionDep, user: PmPage, cohort: AnyCohort) -> Response:
    return await _detail_form(
        request, session, user, cohort, QuestionCreate,
        lambda d: service.add_question(session, cohort=cohort, data=d, actor=user), "Question added.",
    )  # fmt: skip


@router.post("/cohorts/{cohort_id}/criteria", response_class=HTMLResponse, name="cohorts.criteria.add")
async def criterion_add(request: Request, session: SessionDep, user: PmPage, cohort: AnyCohort) -> Response:
    return await _detail_form(
        request, session, user, cohort, CriterionCreate,
        lambda d: service.add_criterion(session, cohort=cohort, data=d, actor=user), "Criterion added.",
    )  # fmt: skip


@router.post("/cohorts/{cohort_id}/reviewers", response_class=HTMLResponse, name="cohorts.reviewers.add")
async def reviewer_add(request: Request, session: SessionDep, user: PmPage, cohort: AnyCohort) -> Response:
    from cohorts.schemas import ReviewerAdd

    return await _detail_form(
        request, session, user, cohort, ReviewerAdd,
        lambda d: service.add_reviewer(session, cohort=cohort, email=d.email, capacity=d.capacity, tags=d.tags,
                                       actor=user),
        "Reviewer added.",
    )  # fmt: skip


@router.post("/cohorts/{cohort_id}/questions/{question_id}/retire", name="cohorts.questions.retire")
def question_retire(
    request: Request, session: SessionDep, user: PmPage, cohort: AnyCohort, question_id: uuid.UUID
) -> Response:
    """Take a question off the form; answers already given keep it."""
    question = FormRepository(session).question(question_id)
    if question is None or question.cohort_id != cohort.id:
        raise NotFound("No question with that id in this cohort.")
    service.update_question(session, question=question, data=QuestionUpdate(retired=not question.retired), actor=user)
    state = "retired" if question.retired else "back on the form"
    return _back(request, f"Question {state}.", f"/cohorts/{cohort.id}")


@router.post("/cohorts/{cohort_id}/conflicts", name="cohorts.conflicts.add")
async def conflict_add(request: Request, session: SessionDep, user: PmPage, cohort: AnyCohort) -> Response:
    """Record a known conflict of interest between a reviewer of the pool and a startup that applied."""
    form = form_values(await request.form())
    reviewer, startup = str(form.get("user_id") or ""), str(form.get("startup_id") or "")
    url = f"/cohorts/{cohort.id}"
    if not _is_uuid(reviewer) or not _is_uuid(startup):
        return _back(request, "Choose a reviewer and a startup.", url, "error")
    service.record_conflict(
        session, user_id=uuid.UUID(reviewer), startup_id=uuid.UUID(startup), reason=str(form.get("reason") or ""),
        actor=user,
    )  # fmt: skip
    return _back(request, "Conflict recorded: automatic assignment will never cross it.", url)


# --- applications (programme manager) ------------------------------------------------------------------------


@router.get("/cohorts/{cohort_id}/applications", response_class=HTMLResponse, name="cohorts.applications")
def cohort_applications(
    request: Request,
    session: SessionDep,
    user: PmPage,
    cohort: AnyCohort,
    paging: Paging,
    status: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """Applications with bulk and automatic reviewer assignment."""
    chosen = ApplicationStatus(status) if status is not None and status in ApplicationStatus.__members__ else None
    page = ApplicationRepository(session).for_cohort(cohort.id, paging, status=chosen)
    return render(
        request,
        "cohorts/applications.html",
        {
            "cohort": cohort,
            "page": page,
            "status": chosen.value if chosen else "",
            "statuses": [(s.value, s.value.replace("_", " ").capitalize()) for s in ApplicationStatus],
            "reviewers": ReviewRepository(session).reviewers(cohort.id),
            "params": {"status": chosen.value} if chosen else {},
        },
    )


@router.post("/cohorts/{cohort_id}/assign", name="cohorts.assign")
async def assign(request: Request, session: SessionDep, user: PmPage, cohort: AnyCohort) -> Response:
    form = await request.form()
    ids = [uuid.UUID(str(v)) for v in form.getlist("application_id") if _is_uuid(v)]
    reviewer = str(form.get("reviewer_id") or "")
    url = f"/cohorts/{cohort.id}/applications"
    if not ids or not _is_uuid(reviewer):
        return _back(request, "Choose applications and a reviewer.", url, "error")
    made = service.assign_by_hand(
        session, cohort=cohort, application_ids=ids, reviewer_id=uuid.UUID(reviewer), actor=user
    )
    return _back(request, f"{len(made)} application(s) assigned.", url)


def _is_uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


@router.post("/cohorts/{cohort_id}/auto-assign", name="cohorts.auto_assign")
def auto_assign(request: Request, session: SessionDep, user: PmPage, cohort: AnyCohort) -> Response:
    made = service.auto_assign(session, cohort=cohort, actor=user)
    return _back(request, f"{made} assignment(s) made automatically.", f"/cohorts/{cohort.id}/applications")


@router.get("/cohorts/{cohort_id}/ranking", response_class=HTMLResponse, name="cohorts.ranking")
def ranking_page(
    request: Request,
    session: SessionDep,
    user: PmPage,
    cohort: AnyCohort,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    """Raw and normalised scores, disagreement, and the pending decisions. The whole cohort is ranked (the
    normalisation needs every review); the table shows it a page at a time, and the CSV export has every row."""
    ranked = service.ranking(session, cohort=cohort)
    page = Page(items=ranked[offset : offset + limit], total=len(ranked), limit=limit, offset=offset)
    return render(
        request,
        "cohorts/ranking.html",
        {
            "cohort": cohort,
            "rows": page.items,
            "page": page,
            "min_reviews": MIN_REVIEWS,
            "outcomes": [(o.value, o.value.capitalize()) for o in DecisionOutcome],
            "places": DecisionRepository(session).places_taken(cohort.id),
        },
    )


@router.get("/cohorts/{cohort_id}/ranking.csv", name="cohorts.ranking_csv")
def ranking_export(request: Request, session: SessionDep, user: PmPage, cohort: AnyCohort) -> Response:
    return Response(
        ranking_csv(service.ranking(session, cohort=cohort)),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="ranking-{cohort.id}.csv"'},
    )


@router.post("/cohorts/{cohort_id}/decisions", name="cohorts.decide")
async def decide(request: Request, session: SessionDep, user: PmPage, cohort: AnyCohort) -> Response:
    form = await request.form()
    url = f"/cohorts/{cohort.id}/ranking"
    app_id = str(form.get("application_id") or "")
    # One form for the whole table: the clicked button names the application, its select the outcome.
    outcome = str(form.get(f"outcome_{app_id}") or form.get("outcome") or "")
    app = ApplicationRepository(session).get(uuid.UUID(app_id)) if _is_uuid(app_id) else None
    if app is None or app.cohort_id != cohort.id or outcome not in DecisionOutcome.__members__:
        return _back(request, "Choose an application and a decision.", url, "error")
    try:
        service.record_decision(
            session, application=app, outcome=DecisionOutcome(outcome), note=str(form.get("note") or ""), actor=user
        )
    except AppError as exc:
        if isinstance(exc, PermissionDenied):
            raise
        return _back(request, exc.detail, url, "error")
    return _back(request, f"Decision recorded as pending: {outcome}.", url)


@router.get("/cohorts/{cohort_id}/release", response_class=HTMLResponse, name="cohorts.release_preview")
def release_preview(request: Request, session: SessionDep, user: PmPage, cohort: AnyCohort) -> Response:
    """The decision e-mails, for review before they all go out."""
    return render(
        request, "cohorts/release.html", {"cohort": cohort, "emails": service.release_preview(session, cohort=cohort)}
    )


@router.post("/cohorts/{cohort_id}/release", name="cohorts.release")
def release(request: Request, session: SessionDep, user: PmPage, cohort: AnyCohort) -> Response:
    released, emails = service.release_decisions(session, cohort=cohort, actor=user)
    return _back(request, f"{released} decisions released; {emails} e-mails queued.", f"/cohorts/{cohort.id}")


# --- applying (founders) --------------------------------------------------------------------------------------


@router.post("/cohorts/{cohort_id}/apply", name="cohorts.apply")
async def apply(request: Request, session: SessionDep, user: FounderPage, cohort: AnyCohort) -> Response:
    form = await request.form()
    startup_id = str(form.get("startup_id") or "")
    startup = StartupRepository(session).readable_by(user, uuid.UUID(startup_id)) if _is_uuid(startup_id) else None
    if startup is None:
        return _back(request, "Choose your startup.", f"/cohorts/{cohort.id}", "error")
    try:
        app = service.start_application(session, cohort=cohort, startup=startup, actor=user)
    except AppError as exc:
        if isinstance(exc, PermissionDenied):
            raise
        return _back(request, exc.detail, f"/cohorts/{cohort.id}", "error")
    return _back(request, "Draft started. Save as often as you like, and submit before the deadline.",
                 f"/applications/{app.id}")  # fmt: skip


def _application_ctx(session: SessionDep, user: Any, row: Any) -> dict[str, Any]:
    app, startup, cohort = row
    view = build_application_view(session, viewer=user, application=app, startup=startup, cohort=cohort)
    reviews = ReviewRepository(session)
    member = ApplicationRepository(session).is_member(user.id, startup.id)
    assignment = reviews.assignment_of(app.id, user.id)
    answers = {a.question_id: a for a in ApplicationRepository(session).answers(app.id)}
    return {
        "app": app,
        "startup": startup,
        "cohort": cohort,
        "view": view,
        "staff": is_staff(user),
        "member": member,
        "editable": member and app.status == ApplicationStatus.draft,
        "questions": FormRepository(session).questions(cohort.id),
        "answers": {str(k): v.value for k, v in answers.items()},
        "assignment": assignment,
        "criteria": FormRepository(session).criteria(cohort.id),
        "recommendations": [(r.value, r.value.capitalize()) for r in Recommendation],
        "assignments": reviews.for_application(app.id) if is_staff(user) else [],
        "decision": DecisionRepository(session).for_application(app.id) if is_staff(user) else None,
        "outcomes": [(o.value, o.value.capitalize()) for o in DecisionOutcome],
        "pairs": lambda items: [(c, c) for c in items],
        "values": {},
        "errors": {},
    }


@router.get("/applications/{application_id}", response_class=HTMLResponse, name="applications.detail")
def application_detail(request: Request, session: SessionDep, user: PageUser, row: PageApplication) -> Response:
    """The application as the viewer may see it: the draft form for its team, the review form for reviewers."""
    return render(request, "cohorts/application.html", _application_ctx(session, user, row))


@router.post("/applications/{application_id}/answers", response_class=HTMLResponse, name="applications.answers")
async def application_answers(
    request: Request, session: SessionDep, user: PageUser, row: TeamPageApplication
) -> Response:
    app, _, cohort = row
    form = await request.form()
    values = form_values(form)
    answers: dict[uuid.UUID, Any] = {}
    files: dict[uuid.UUID, tuple[str, bytes]] = {}
    for q in FormRepository(session).questions(cohort.id):
        key = f"q_{q.id}"
        if q.kind == QuestionKind.pdf:
            upload = form.get(key)
            if isinstance(upload, UploadFile) and upload.filename:
                files[q.id] = (upload.filename, await upload.read())
        elif q.kind == QuestionKind.multiple_choice:
            answers[q.id] = [str(v) for v in form.getlist(key)]
        else:
            answers[q.id] = values.get(key)
    try:
        service.save_answers(session, application=app, answers=answers, files=files, actor=user)
    except AppError as exc:
        if isinstance(exc, PermissionDenied):
            raise
        session.rollback()  # a bad value saves nothing; the page shows what was typed, with the errors
        return _answers_error(request, session, user, row, values, exc)
    if values.get("action") == "submit":
        try:
            service.submit_application(session, application=app, actor=user)
        except AppError as exc:
            if isinstance(exc, PermissionDenied):
                raise
            # The draft saved above is kept (the request commits): only the submission is refused.
            return _answers_error(request, session, user, row, values, exc)
    message = (
        "Application submitted. We will e-mail you when decisions are out."
        if values.get("action") == "submit"
        else "Draft saved."
    )
    return _back(request, message, f"/applications/{app.id}")


def _answers_error(
    request: Request, session: SessionDep, user: Any, row: Any, values: dict[str, Any], exc: AppError
) -> Response:
    ctx = _application_ctx(session, user, row)
    ctx.update({"values": values, "errors": _errors(exc), "answers": {k[2:]: v for k, v in values.items()}})
    return render(request, "cohorts/application.html", ctx, status_code=exc.status)


@router.get("/applications/{application_id}/files/{question_id}", name="applications.file")
def application_file(
    request: Request, session: SessionDep, user: PageUser, row: PageApplication, question_id: uuid.UUID
) -> Response:
    app, startup, cohort = row
    view = build_application_view(session, viewer=user, application=app, startup=startup, cohort=cohort)
    shown = next((a for a in view.answers if a.question_id == question_id), None)
    answer = next((a for a in ApplicationRepository(session).answers(app.id) if a.question_id == question_id), None)
    if answer is None or answer.file_key is None or shown is None or shown.hidden:
        raise NotFound("No file for that question.")
    name = (answer.file_name or "file.pdf").replace('"', "")
    return Response(
        get_storage().read(answer.file_key),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _team_action(name: str, message: str) -> None:
    def handler(request: Request, session: SessionDep, user: PageUser, row: TeamPageApplication) -> Response:
        app = row[0]
        if name == "withdraw":
            service.withdraw_application(session, application=app, actor=user)
        elif name == "confirm":
            service.confirm_place(session, application=app, actor=user)
        else:
            service.decline_place(session, application=app, actor=user)
        return _back(request, message, f"/applications/{app.id}")

    router.add_api_route(
        f"/applications/{{application_id}}/{name}", handler, methods=["POST"], name=f"applications.{name}"
    )


def _feedback_action(name: str, message: str) -> None:
    def handler(request: Request, session: SessionDep, user: PmPage, row: PageApplication) -> Response:
        service.share_feedback(session, application=row[0], shared=name == "share-feedback", actor=user)
        return _back(request, message, f"/applications/{row[0].id}")

    router.add_api_route(
        f"/applications/{{application_id}}/{name}", handler, methods=["POST"], name=f"applications.{name}"
    )


_team_action("withdraw", "Application withdrawn.")
_team_action("confirm", "Place confirmed: welcome to the cohort!")
_team_action("decline", "Place declined. Thank you for letting us know.")
_feedback_action("share-feedback", "Reviewers' comments are now visible to the founders.")
_feedback_action("hide-feedback", "Reviewers' comments are hidden from the founders.")


@router.post("/applications/{application_id}/interview", response_class=HTMLResponse, name="applications.interview")
async def interview(request: Request, session: SessionDep, user: PmPage, row: PageApplication) -> Response:
    values = form_values(await request.form())
    data, errors = parse_form(InterviewCreate, values)
    if data is not None:
        service.schedule_interview(session, application=row[0], at=data.at, note=data.note, actor=user)
        return _back(request, "Interview scheduled.", f"/applications/{row[0].id}")
    ctx = _application_ctx(session, user, row)
    ctx.update({"values": values, "errors": errors})
    return render(request, "cohorts/application.html", ctx, status_code=422)


# --- review (mentors and programme managers) ------------------------------------------------------------------


@router.get("/reviews", response_class=HTMLResponse, name="reviews.todo")
def reviews_todo(request: Request, session: SessionDep, user: ReviewerPage) -> Response:
    """Your review assignments: declare conflicts, then review."""
    return render(request, "cohorts/reviews.html", {"rows": ReviewRepository(session).todo(user.id)})


@router.post("/review-assignments/{assignment_id}/declaration", name="reviews.declare")
async def declare(request: Request, session: SessionDep, user: ReviewerPage, assignment: PageAssignment) -> Response:
    values = form_values(await request.form())
    if values.get("has_conflict") in ("1", "true", "on"):
        service.declare_conflict(session, assignment=assignment, reason=str(values.get("reason") or ""), actor=user)
        return _back(request, "Conflict recorded. The application has been handed back.", "/reviews")
    service.declare_no_conflict(session, assignment=assignment, actor=user)
    return _back(request, "Thank you. You can now open the application.", f"/applications/{assignment.application_id}")


@router.post("/review-assignments/{assignment_id}/review", response_class=HTMLResponse, name="reviews.submit")
async def review_submit(
    request: Request, session: SessionDep, user: ReviewerPage, assignment: PageAssignment
) -> Response:
    values = form_values(await request.form())
    scores: dict[str, Any] = {k[6:]: v for k, v in values.items() if k.startswith("score_")}
    data, errors = parse_form(
        ReviewCreate,
        {"scores": scores, "comment": values.get("comment", ""), "recommendation": values.get("recommendation")},
    )
    if data is not None:
        try:
            service.submit_review(session, assignment=assignment, data=data, actor=user)
        except AppError as exc:
            if isinstance(exc, PermissionDenied):
                raise
            errors = _errors(exc)
    if errors:
        from cohorts.deps import load_application

        row = load_application(session, user, assignment.application_id)
        ctx = _application_ctx(session, user, row)
        ctx.update({"values": values, "errors": errors})
        return render(request, "cohorts/application.html", ctx, status_code=422)
    return _back(request, "Review submitted.", f"/applications/{assignment.application_id}")
