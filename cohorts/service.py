"""Use cases of admissions: cohorts and forms, applying, review, decisions and enrollment.

Every function takes keyword-only arguments, flushes and never commits. Functions that depend on the time take
`now` (an aware UTC instant, default the current one) so tests can move the clock.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from cohorts import scoring
from cohorts.assignment import AppSlot, ReviewerSlot, assign_reviewers
from cohorts.errors import (
    AlreadyReleased,
    ApplicationsClosed,
    CapacityExceeded,
    ConflictNotDeclared,
    DeadlinePassed,
    DuplicateApplication,
    MissingAnswers,
)
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
    FormQuestion,
    Programme,
    QuestionKind,
    Review,
    ReviewAssignment,
    ReviewCriterion,
    ReviewerConflict,
)
from cohorts.repository import (
    ACTIVE_ASSIGNMENT,
    ApplicationRepository,
    DecisionRepository,
    FormRepository,
    ProgrammeRepository,
    ReviewRepository,
)
from cohorts.schemas import (
    CohortCreate,
    CohortSettings,
    CriterionCreate,
    EmailPreview,
    ProgrammeCreate,
    QuestionCreate,
    QuestionUpdate,
    RankingRow,
    ReviewCreate,
)
from incubator import audit
from incubator.db import is_postgres, utcnow
from incubator.email import queue_email
from incubator.errors import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from incubator.models import Role, User, UserRole
from incubator.repository import UserRepository
from incubator.storage import check_pdf, get_storage
from incubator.templating import render_text
from startups.models import Startup

REVIEWER_ROLES = (Role.mentor, Role.program_manager)
DECIDABLE = (ApplicationStatus.submitted, ApplicationStatus.under_review, ApplicationStatus.interview)


def _now(now: datetime | None) -> datetime:
    return now if now is not None else utcnow()


def to_utc(value: datetime, tz: str) -> datetime:
    """A local wall-clock time in zone `tz` (or an aware instant) as an aware UTC instant."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(tz))
    return value.astimezone(UTC)


def local(value: datetime, tz: str) -> datetime:
    return value.astimezone(ZoneInfo(tz))


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise ValueError(day)


def _lock_cohort(session: Session, cohort: Cohort) -> None:
    """Serialise capacity and release decisions per cohort: a row lock on PostgreSQL; on SQLite the write
    transaction (BEGIN IMMEDIATE) already serialises them."""
    if is_postgres(session):
        session.exec(select(Cohort.id).where(Cohort.id == cohort.id).with_for_update())
        session.refresh(cohort)


def _require_staff(actor: User) -> None:
    if not actor.has_role(Role.program_manager):
        raise PermissionDenied("Only programme managers can do this.")


# --- programmes and cohorts ---------------------------------------------------------------------------------


def create_programme(session: Session, *, data: ProgrammeCreate, actor: User) -> Programme:
    _require_staff(actor)
    if ProgrammeRepository(session).by_name(data.name):
        raise Conflict("A programme with that name exists.", field_errors={"name": "Already used."})
    programme = Programme(name=data.name, description=data.description)
    session.add(programme)
    session.flush()
    audit.record(
        session, actor=actor, action="programme.create", object_type="programme", object_id=programme.id,
        summary=programme.name,
    )  # fmt: skip
    return programme


def create_cohort(session: Session, *, data: CohortCreate, actor: User) -> Cohort:
    _require_staff(actor)
    if ProgrammeRepository(session).get(data.programme_id) is None:
        raise NotFound("No programme with that id.", field_errors={"programme_id": "Choose a programme."})
    cohort = Cohort(
        programme_id=data.programme_id,
        name=data.name,
        description=data.description,
        timezone=data.timezone,
        applications_open_at=to_utc(data.applications_open, data.timezone),
        applications_close_at=to_utc(data.applications_close, data.timezone),
        start_date=data.start_date,
        end_date=data.end_date or add_months(data.start_date, 4),
        capacity=data.capacity,
        blind_review=data.blind_review,
        scores_visible_after_submit=data.scores_visible_after_submit,
        reviewers_per_application=data.reviewers_per_application,
    )
    session.add(cohort)
    session.flush()
    audit.record(
        session, actor=actor, action="cohort.create", object_type="cohort", object_id=cohort.id, summary=cohort.name
    )
    return cohort


def update_cohort_settings(session: Session, *, cohort: Cohort, data: CohortSettings, actor: User) -> Cohort:
    _require_staff(actor)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if "review_due_at" in changes:
        changes["review_due_at"] = to_utc(changes["review_due_at"], cohort.timezone)
    if "capacity" in changes and changes["capacity"] < DecisionRepository(session).enrolled_count(cohort.id):
        raise CapacityExceeded("The capacity cannot be lower than the number of startups already enrolled.")
    before = {k: getattr(cohort, k) for k in changes}
    for key, value in changes.items():
        setattr(cohort, key, value)
    session.add(cohort)
    session.flush()
    audit.record(
        session, actor=actor, action="cohort.settings", object_type="cohort", object_id=cohort.id,
        summary=f"Settings of {cohort.name} changed", before=before, after=changes,
    )  # fmt: skip
    return cohort


# One function per transition of the cohort's state machine.
_COHORT_MOVES: dict[str, tuple[CohortStatus, CohortStatus, str]] = {
    "open": (CohortStatus.planning, CohortStatus.open, "Only a cohort in planning can open for applications."),
    "review": (CohortStatus.open, CohortStatus.reviewing, "Only a cohort open for applications can move to review."),
    "start": (CohortStatus.reviewing, CohortStatus.running, "Only a cohort in review can start running."),
    "demo_day": (CohortStatus.running, CohortStatus.demo_day, "Only a running cohort can move to its demo day."),
    "complete": (CohortStatus.demo_day, CohortStatus.completed, "Only a cohort at demo day can be completed."),
}


def _move_cohort(session: Session, cohort: Cohort, move: str, actor: User) -> Cohort:
    _require_staff(actor)
    source, target, message = _COHORT_MOVES[move]
    if cohort.status != source:
        raise InvalidTransition(f"{message} This one is {cohort.status.value.replace('_', ' ')}.")
    if move == "open" and not FormRepository(session).questions(cohort.id):
        raise InvalidTransition("Add at least one question to the application form before opening the cohort.")
    cohort.status = target
    session.add(cohort)
    session.flush()
    audit.record(
        session, actor=actor, action=f"cohort.{move}", object_type="cohort", object_id=cohort.id,
        summary=f"{cohort.name}: {source.value} -> {target.value}",
        before={"status": source}, after={"status": target},
    )  # fmt: skip
    return cohort


def open_cohort(session: Session, *, cohort: Cohort, actor: User) -> Cohort:
    return _move_cohort(session, cohort, "open", actor)


def start_review(session: Session, *, cohort: Cohort, actor: User) -> Cohort:
    return _move_cohort(session, cohort, "review", actor)


def start_cohort(session: Session, *, cohort: Cohort, actor: User) -> Cohort:
    return _move_cohort(session, cohort, "start", actor)


def start_demo_day(session: Session, *, cohort: Cohort, actor: User) -> Cohort:
    return _move_cohort(session, cohort, "demo_day", actor)


def complete_cohort(session: Session, *, cohort: Cohort, actor: User) -> Cohort:
    return _move_cohort(session, cohort, "complete", actor)


COHORT_ACTIONS = {
    "open": open_cohort,
    "review": start_review,
    "start": start_cohort,
    "demo-day": start_demo_day,
    "complete": complete_cohort,
}


# --- form and rubric ----------------------------------------------------------------------------------------


def add_question(session: Session, *, cohort: Cohort, data: QuestionCreate, actor: User) -> FormQuestion:
    _require_staff(actor)
    existing = FormRepository(session).questions(cohort.id, include_retired=True)
    position = data.position if data.position is not None else (max((q.position for q in existing), default=0) + 1)
    question = FormQuestion(
        cohort_id=cohort.id,
        position=position,
        prompt=data.prompt,
        kind=data.kind,
        required=data.required,
        help_text=data.help_text,
        choices=list(data.choices),
        identifying=data.identifying,
    )
    session.add(question)
    session.flush()
    return question


def update_question(session: Session, *, question: FormQuestion, data: QuestionUpdate, actor: User) -> FormQuestion:
    """Edits apply to answers given from now on; earlier answers keep the prompt they were given under."""
    _require_staff(actor)
    for key, value in data.model_dump(exclude_unset=True).items():
        if value is not None:
            setattr(question, key, value)
    question.updated_at = utcnow()
    session.add(question)
    session.flush()
    return question


def add_criterion(session: Session, *, cohort: Cohort, data: CriterionCreate, actor: User) -> ReviewCriterion:
    _require_staff(actor)
    if ReviewRepository(session).totals_in(cohort.id):
        raise InvalidTransition("The rubric cannot change once reviews have been submitted.")
    existing = FormRepository(session).criteria(cohort.id)
    criterion = ReviewCriterion(
        cohort_id=cohort.id,
        position=max((c.position for c in existing), default=0) + 1,
        name=data.name,
        weight=data.weight,
        levels=list(data.levels),
    )
    session.add(criterion)
    session.flush()
    return criterion


# --- reviewer pool and conflicts ----------------------------------------------------------------------------


def add_reviewer(
    session: Session, *, cohort: Cohort, email: str, capacity: int, tags: list[str], actor: User
) -> CohortReviewer:
    _require_staff(actor)
    user = UserRepository(session).by_email(email)
    if user is None or not user.has_role(*REVIEWER_ROLES) or (Role.admin in user.role_set and len(user.role_set) == 1):
        raise ValidationFailed(
            "Reviewers are mentors or programme managers with an account.",
            field_errors={"email": "No mentor or programme manager has this e-mail."},
        )
    repo = ReviewRepository(session)
    if repo.pool_member(cohort.id, user.id) is not None:
        raise Conflict(f"{user.full_name} is already a reviewer of this cohort.", field_errors={"email": "Already in."})
    reviewer = CohortReviewer(cohort_id=cohort.id, user_id=user.id, capacity=capacity, tags=sorted(set(tags)))
    session.add(reviewer)
    session.flush()
    return reviewer


def record_conflict(
    session: Session, *, user_id: uuid.UUID, startup_id: uuid.UUID, reason: str, actor: User
) -> ReviewerConflict:
    """A known conflict, entered by staff or declared by the reviewer; auto-assignment never crosses it."""
    if actor.id != user_id:
        _require_staff(actor)
    repo = ReviewRepository(session)
    existing = repo.conflict(user_id, startup_id)
    if existing is not None:
        return existing
    conflict = ReviewerConflict(user_id=user_id, startup_id=startup_id, reason=reason)
    session.add(conflict)
    session.flush()
    audit.record(
        session, actor=actor, action="review.conflict_declared", object_type="startup", object_id=startup_id,
        summary=f"Conflict of interest: reviewer {user_id}", after={"reviewer": user_id, "reason": reason},
    )  # fmt: skip
    return conflict


# --- applying -----------------------------------------------------------------------------------------------


def _history(
    session: Session, app: Application, old: ApplicationStatus | None, actor: User | None, note: str = ""
) -> None:
    session.add(
        ApplicationEvent(
            application_id=app.id,
            from_status=old.value if old else None,
            to_status=app.status.value,
            actor_id=actor.id if actor else None,
            note=note[:500],
        )
    )


def _set_status(
    session: Session, app: Application, status: ApplicationStatus, actor: User | None, note: str = ""
) -> None:
    old = app.status
    app.status = status
    app.updated_at = utcnow()
    session.add(app)
    _history(session, app, old, actor, note)


def _check_window(cohort: Cohort, now: datetime) -> None:
    zone = ZoneInfo(cohort.timezone)
    if cohort.status != CohortStatus.open or now < cohort.applications_open_at:
        raise ApplicationsClosed(f"{cohort.name} is not open for applications.")
    if now >= cohort.applications_close_at:
        closed = cohort.applications_close_at.astimezone(zone).strftime("%d %b %Y %H:%M")
        raise DeadlinePassed(f"The deadline for {cohort.name} was {closed} ({cohort.timezone}).")


def start_application(
    session: Session, *, cohort: Cohort, startup: Startup, actor: User, now: datetime | None = None
) -> Application:
    """A founder starts a draft for their startup. One live application per startup per cohort."""
    apps = ApplicationRepository(session)
    if not apps.is_member(actor.id, startup.id) and not actor.has_role(Role.program_manager):
        raise PermissionDenied("You can apply only with a startup you belong to.")
    _check_window(cohort, _now(now))
    if apps.live_for(cohort.id, startup.id) is not None:
        raise DuplicateApplication(f"{startup.name} already has an application to {cohort.name}.")
    app = Application(cohort_id=cohort.id, startup_id=startup.id, created_by_id=actor.id)
    try:
        # A savepoint: two tabs starting at once meet the unique constraint, and the loser gets the same 409.
        with session.begin_nested():
            session.add(app)
            session.flush()
    except IntegrityError as exc:
        raise DuplicateApplication(f"{startup.name} already has an application to {cohort.name}.") from exc
    _history(session, app, None, actor)
    session.flush()
    return app


def _can_edit(session: Session, app: Application, actor: User) -> None:
    if not ApplicationRepository(session).is_member(actor.id, app.startup_id):
        raise PermissionDenied("Only the startup's team can change its application.")
    if app.status != ApplicationStatus.draft:
        raise InvalidTransition("The application has been submitted; its answers can no longer change.")


def _clean_answer(question: FormQuestion, raw: Any) -> Any:
    """The value to store for `raw`, or None when empty. Raises ValueError with a sentence for bad input."""
    if raw is None or raw == "" or raw == []:
        return None
    kind = question.kind
    if kind in (QuestionKind.short_text, QuestionKind.long_text):
        text = str(raw).strip()
        limit = 300 if kind == QuestionKind.short_text else 5000
        if len(text) > limit:
            raise ValueError(f"At most {limit} characters.")
        return text or None
    if kind == QuestionKind.number:
        try:
            number = float(str(raw).strip())
        except ValueError as exc:
            raise ValueError("Enter a number.") from exc
        if number != number or abs(number) > 1e15:
            raise ValueError("Enter a number.")
        return int(number) if number.is_integer() else number
    if kind == QuestionKind.single_choice:
        if str(raw) not in question.choices:
            raise ValueError("Choose one of the options.")
        return str(raw)
    if kind == QuestionKind.multiple_choice:
        values = [str(v) for v in (raw if isinstance(raw, list) else [raw])]
        if any(v not in question.choices for v in values):
            raise ValueError("Choose among the options.")
        return [c for c in question.choices if c in values]
    raise ValueError("Upload the file instead.")


def _answer_row(
    app: Application, question: FormQuestion, existing: dict[uuid.UUID, ApplicationAnswer]
) -> ApplicationAnswer:
    row = existing.get(question.id)
    if row is None:
        row = ApplicationAnswer(
            application_id=app.id, question_id=question.id, prompt=question.prompt, kind=question.kind
        )
    # A draft's answers follow the current form; once submitted they are frozen with their question text.
    row.position = question.position
    row.prompt = question.prompt
    row.kind = question.kind
    row.identifying = question.identifying
    row.updated_at = utcnow()
    return row


def save_answers(
    session: Session,
    *,
    application: Application,
    answers: dict[uuid.UUID, Any],
    actor: User,
    files: dict[uuid.UUID, tuple[str, bytes]] | None = None,
) -> list[ApplicationAnswer]:
    """Save a draft: any subset of the answers. Bad values are refused by field and nothing is saved."""
    _can_edit(session, application, actor)
    questions = {q.id: q for q in FormRepository(session).questions(application.cohort_id)}
    errors: dict[str, str] = {}
    cleaned: dict[uuid.UUID, Any] = {}
    for qid, raw in answers.items():
        question = questions.get(qid)
        if question is None:
            errors[f"q_{qid}"] = "This question is not on the form."
            continue
        if question.kind == QuestionKind.pdf:
            continue
        try:
            cleaned[qid] = _clean_answer(question, raw)
        except ValueError as exc:
            errors[f"q_{qid}"] = str(exc)
    for qid, (_name, data) in (files or {}).items():
        question = questions.get(qid)
        if question is None or question.kind != QuestionKind.pdf:
            errors[f"q_{qid}"] = "This question does not take a file."
            continue
        check_pdf(data, field=f"q_{qid}")
    if errors:
        raise ValidationFailed("Some answers need attention.", field_errors=errors)
    saved: list[ApplicationAnswer] = []
    existing = {a.question_id: a for a in ApplicationRepository(session).answers(application.id)}
    for qid, value in cleaned.items():
        row = _answer_row(application, questions[qid], existing)
        row.value = value
        session.add(row)
        saved.append(row)
    storage = get_storage()
    for qid, (name, data) in (files or {}).items():
        row = _answer_row(application, questions[qid], existing)
        old_key = row.file_key
        row.file_key = storage.save(data, suffix=".pdf")
        row.file_name = (name or "document.pdf")[-200:]
        row.value = row.file_name
        session.add(row)
        saved.append(row)
        if old_key:
            storage.delete(old_key)
    application.updated_at = utcnow()
    session.add(application)
    session.flush()
    return saved


def submit_application(
    session: Session, *, application: Application, actor: User, now: datetime | None = None
) -> Application:
    if not ApplicationRepository(session).is_member(actor.id, application.startup_id):
        raise PermissionDenied("Only the startup's team can submit its application.")
    if application.status != ApplicationStatus.draft:
        raise InvalidTransition("This application has already been submitted.")
    cohort = session.get_one(Cohort, application.cohort_id)
    moment = _now(now)
    _check_window(cohort, moment)
    answers = {a.question_id: a for a in ApplicationRepository(session).answers(application.id)}
    missing = {
        f"q_{q.id}": "This answer is required."
        for q in FormRepository(session).questions(cohort.id)
        if q.required and (q.id not in answers or answers[q.id].value in (None, "", []))
    }
    if missing:
        raise MissingAnswers(f"{len(missing)} required answer(s) missing.", field_errors=missing)
    application.submitted_at = moment
    _set_status(session, application, ApplicationStatus.submitted, actor)
    session.flush()
    return application


WITHDRAWABLE = (
    ApplicationStatus.draft,
    ApplicationStatus.submitted,
    ApplicationStatus.under_review,
    ApplicationStatus.interview,
    ApplicationStatus.waitlisted,
    ApplicationStatus.accepted,
)


def withdraw_application(session: Session, *, application: Application, actor: User) -> Application:
    if not ApplicationRepository(session).is_member(actor.id, application.startup_id):
        raise PermissionDenied("Only the startup's team can withdraw its application.")
    if application.status not in WITHDRAWABLE:
        raise InvalidTransition(f"An application that is {application.status.value} cannot be withdrawn.")
    held_a_place = application.status == ApplicationStatus.accepted
    application.withdrawn_at = utcnow()
    application.live = None  # frees the startup to apply again
    _set_status(session, application, ApplicationStatus.withdrawn, actor)
    for assignment, _ in ReviewRepository(session).for_application(application.id):
        if assignment.status in (AssignmentStatus.assigned, AssignmentStatus.cleared):
            assignment.status = AssignmentStatus.removed
            session.add(assignment)
    session.flush()
    audit.record(
        session, actor=actor, action="application.withdraw", object_type="application", object_id=application.id,
    )  # fmt: skip
    if held_a_place:
        # A withdrawn offer is a declined place: it goes to the best-ranked startup on the waiting list.
        decision = DecisionRepository(session).for_application(application.id)
        if decision is not None and decision.response is None:
            decision.response = DecisionResponse.declined
            decision.responded_at = utcnow()
            session.add(decision)
            session.flush()
        offer_next_waitlisted(session, cohort=session.get_one(Cohort, application.cohort_id), actor=actor)
    return application


# --- review assignment --------------------------------------------------------------------------------------


def _assign(session: Session, app: Application, reviewer_id: uuid.UUID) -> ReviewAssignment:
    repo = ReviewRepository(session)
    existing = repo.assignment_of(app.id, reviewer_id)
    if existing is not None:
        if existing.status in ACTIVE_ASSIGNMENT:
            return existing
        if existing.status == AssignmentStatus.conflicted:
            raise Conflict("This reviewer declared a conflict of interest with this application.")
        existing.status = AssignmentStatus.assigned
        existing.assigned_at = utcnow()
        existing.declared_at = None
        session.add(existing)
        assignment = existing
    else:
        assignment = ReviewAssignment(application_id=app.id, reviewer_id=reviewer_id)
        session.add(assignment)
    if app.status == ApplicationStatus.submitted:
        _set_status(session, app, ApplicationStatus.under_review, None)
    return assignment


def assign_by_hand(
    session: Session, *, cohort: Cohort, application_ids: list[uuid.UUID], reviewer_id: uuid.UUID, actor: User
) -> list[ReviewAssignment]:
    """Assign one reviewer to one or many applications (bulk), within capacity and never across a conflict."""
    _require_staff(actor)
    repo = ReviewRepository(session)
    pool = repo.pool_member(cohort.id, reviewer_id)
    if pool is None:
        raise ValidationFailed("Add this person to the cohort's reviewer pool first.")
    apps = ApplicationRepository(session)
    load = repo.loads(cohort.id).get(reviewer_id, (0, 0))[0]
    out: list[ReviewAssignment] = []
    for app_id in dict.fromkeys(application_ids):
        app = apps.get(app_id)
        if app is None or app.cohort_id != cohort.id:
            raise NotFound("No application with that id in this cohort.")
        if app.status not in DECIDABLE:
            raise InvalidTransition("Only submitted applications can be assigned for review.")
        if repo.conflict(reviewer_id, app.startup_id) is not None:
            raise Conflict("This reviewer has a known conflict of interest with that startup.")
        current = repo.assignment_of(app.id, reviewer_id)
        if current is None or current.status not in ACTIVE_ASSIGNMENT:
            if load >= pool.capacity:
                raise CapacityExceeded(f"The reviewer is at their capacity of {pool.capacity} reviews.")
            load += 1
        out.append(_assign(session, app, reviewer_id))
    session.flush()
    return out


def _fill(session: Session, cohort: Cohort, apps: list[tuple[Application, Startup]], n: int) -> int:
    repo = ReviewRepository(session)
    pool = repo.reviewers(cohort.id)
    loads = repo.loads(cohort.id)
    active: dict[uuid.UUID, set[uuid.UUID]] = {}
    for a in repo.assignments_in(cohort.id):
        if a.status in ACTIVE_ASSIGNMENT:
            active.setdefault(a.application_id, set()).add(a.reviewer_id)
        elif a.status == AssignmentStatus.conflicted:
            active.setdefault(a.application_id, set())
    by_startup: dict[uuid.UUID, list[uuid.UUID]] = {}
    for app, startup in apps:
        by_startup.setdefault(startup.id, []).append(app.id)
    conflicts = {
        (c.user_id, app_id) for c in repo.conflicts_for(list(by_startup)) for app_id in by_startup.get(c.startup_id, [])
    }
    # A conflicted (handed back) assignment is a conflict for that application even without a startup-wide row.
    for a in repo.assignments_in(cohort.id):
        if a.status == AssignmentStatus.conflicted:
            conflicts.add((a.reviewer_id, a.application_id))
    slots = [
        AppSlot(app.id, startup.sector.value, frozenset(active.get(app.id, set())), startup.name)
        for app, startup in apps
    ]
    reviewers = [
        ReviewerSlot(r.user_id, r.capacity, loads.get(r.user_id, (0, 0))[0], frozenset(r.tags), u.full_name)
        for r, u in pool
    ]
    pairs = assign_reviewers(slots, reviewers, conflicts, n)
    by_id = {app.id: app for app, _ in apps}
    for app_id, reviewer_id in pairs:
        _assign(session, by_id[app_id], reviewer_id)
    session.flush()
    return len(pairs)


def auto_assign(session: Session, *, cohort: Cohort, actor: User, n: int | None = None) -> int:
    """Give every submitted application N reviewers (see cohorts.assignment for the rules). Returns how many
    assignments were made; nothing is assigned when the pool cannot cover them all (409)."""
    _require_staff(actor)
    count = _fill(
        session, cohort, ApplicationRepository(session).submitted_in(cohort.id), n or cohort.reviewers_per_application
    )
    audit.record(
        session, actor=actor, action="review.auto_assign", object_type="cohort", object_id=cohort.id,
        summary=f"{count} assignments made automatically",
    )  # fmt: skip
    return count


def _own_assignment(assignment: ReviewAssignment, actor: User) -> None:
    if assignment.reviewer_id != actor.id:
        raise NotFound("No review assignment with that id for you.")


def declare_no_conflict(session: Session, *, assignment: ReviewAssignment, actor: User) -> ReviewAssignment:
    _own_assignment(assignment, actor)
    if assignment.status != AssignmentStatus.assigned:
        raise InvalidTransition("You have already made your declaration for this application.")
    assignment.status = AssignmentStatus.cleared
    assignment.declared_at = utcnow()
    session.add(assignment)
    session.flush()
    audit.record(
        session, actor=actor, action="review.no_conflict", object_type="application",
        object_id=assignment.application_id, summary="Declared no conflict of interest",
    )  # fmt: skip
    return assignment


def declare_conflict(session: Session, *, assignment: ReviewAssignment, reason: str, actor: User) -> ReviewAssignment:
    """The reviewer hands the assignment back; the conflict is remembered, programme managers are told and the
    application is given a replacement reviewer when the pool allows."""
    _own_assignment(assignment, actor)
    if assignment.status not in (AssignmentStatus.assigned, AssignmentStatus.cleared):
        raise InvalidTransition("This assignment can no longer be handed back.")
    row = ApplicationRepository(session).with_startup(assignment.application_id)
    assert row is not None
    app, startup, cohort = row
    assignment.status = AssignmentStatus.conflicted
    assignment.declared_at = utcnow()
    assignment.conflict_reason = reason
    session.add(assignment)
    session.flush()
    record_conflict(session, user_id=actor.id, startup_id=startup.id, reason=reason, actor=actor)
    replaced: str | None = None
    try:
        if _fill(session, cohort, [(app, startup)], cohort.reviewers_per_application):
            replaced = "A replacement reviewer was assigned automatically."
    except Conflict:
        replaced = None
    for pm in _managers(session):
        queue_email(
            session,
            to=pm.email,
            subject=f"Conflict of interest declared on {startup.name}",
            template="cohorts/conflict_declared",
            context={
                "manager": pm.full_name, "reviewer": actor.full_name, "startup": startup.name, "cohort": cohort.name,
                "reason": reason or "(no reason given)",
                "replacement": replaced or "No replacement could be assigned: please assign a reviewer by hand.",
                "application_id": str(app.id),
            },
            kind="review",
        )  # fmt: skip
    return assignment


def _managers(session: Session) -> list[User]:
    stmt = (
        select(User)
        .join(UserRole, col(UserRole.user_id) == User.id)
        .where(UserRole.role == Role.program_manager, col(User.is_active).is_(True))
        .order_by(User.email)
    )
    return list(session.exec(stmt).all())


def submit_review(
    session: Session, *, assignment: ReviewAssignment, data: ReviewCreate, actor: User, now: datetime | None = None
) -> Review:
    _own_assignment(assignment, actor)
    if assignment.status == AssignmentStatus.assigned:
        raise ConflictNotDeclared("Declare whether you have a conflict of interest before reviewing.")
    if assignment.status != AssignmentStatus.cleared:
        raise InvalidTransition("This review has already been submitted or handed back.")
    app = session.get_one(Application, assignment.application_id)
    criteria = FormRepository(session).criteria(app.cohort_id)
    errors: dict[str, str] = {}
    scores: dict[str, int] = {}
    given = {str(k): v for k, v in data.scores.items()}
    for c in criteria:
        value = given.pop(str(c.id), None)
        if value is None:
            errors[f"score_{c.id}"] = f"Score {c.name}."
        elif not scoring.SCALE[0] <= value <= scoring.SCALE[1]:
            errors[f"score_{c.id}"] = f"Scores are from {scoring.SCALE[0]} to {scoring.SCALE[1]}."
        else:
            scores[str(c.id)] = int(value)
    for extra in given:
        errors[f"score_{extra}"] = "This criterion is not in the rubric."
    if not criteria:
        raise InvalidTransition("This cohort has no rubric yet.")
    if errors:
        raise ValidationFailed("Some scores need attention.", field_errors=errors)
    weights = {str(c.id): c.weight for c in criteria}
    review = Review(
        assignment_id=assignment.id,
        application_id=app.id,
        reviewer_id=actor.id,
        scores=scores,
        weighted_total=round(scoring.weighted_total(scores, weights), 4),
        comment=data.comment,
        recommendation=data.recommendation,
        submitted_at=_now(now),
    )
    assignment.status = AssignmentStatus.submitted
    session.add(review)
    session.add(assignment)
    session.flush()
    return review


def remind_late_reviewers(
    session: Session, *, now: datetime | None = None, every: timedelta = timedelta(days=1)
) -> int:
    """One e-mail per late reviewer (open assignments past the cohort's review deadline), at most once per `every`."""
    moment = _now(now)
    per_reviewer: dict[uuid.UUID, tuple[User, list[tuple[ReviewAssignment, Cohort]]]] = {}
    for assignment, user, cohort in ReviewRepository(session).late(moment):
        if assignment.reminded_at is not None and moment - assignment.reminded_at < every:
            continue
        per_reviewer.setdefault(user.id, (user, []))[1].append((assignment, cohort))
    for user, items in per_reviewer.values():
        queue_email(
            session,
            to=user.email,
            subject=f"Reminder: {len(items)} application review(s) overdue",
            template="cohorts/review_reminder",
            context={
                "name": user.full_name,
                "count": len(items),
                "cohorts": sorted({c.name for _, c in items}),
            },
            kind="review",
        )
        for assignment, _ in items:
            assignment.reminded_at = moment
            session.add(assignment)
    session.flush()
    return len(per_reviewer)


# --- ranking ------------------------------------------------------------------------------------------------


def ranking(session: Session, *, cohort: Cohort) -> list[RankingRow]:
    """The ranking table, built from a fixed number of queries whatever the cohort's size (columns only: a cohort
    may have thousands of applications)."""
    apps = ApplicationRepository(session).rankable(cohort.id)
    totals = ReviewRepository(session).totals_in(cohort.id)
    scores = scoring.application_scores(scoring.ReviewScore(a, r, t) for a, r, t in totals)
    outcomes = DecisionRepository(session).outcomes_in(cohort.id)
    apps.sort(key=lambda row: (scoring.rank_key(scores.get(row[0])), row[2]))
    out: list[RankingRow] = []
    for i, (app_id, status, name, sector) in enumerate(apps, start=1):
        s = scores.get(app_id)
        # model_construct: the values are computed here, not input, so validation would only cost time.
        out.append(
            RankingRow.model_construct(
                rank=i,
                application_id=app_id,
                startup_name=name,
                sector=sector,
                status=status,
                reviews=s.reviews if s else 0,
                raw_mean=_r(s.raw_mean) if s else None,
                median=_r(s.median) if s else None,
                normalised=_r(s.normalised) if s else None,
                disagreement=_r(s.disagreement) if s else None,
                decision=outcomes.get(app_id),
            )
        )
    return out


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


# --- interview, decisions, release, enrollment --------------------------------------------------------------


def schedule_interview(
    session: Session, *, application: Application, at: datetime, note: str, actor: User
) -> Application:
    _require_staff(actor)
    if application.status not in (
        ApplicationStatus.submitted,
        ApplicationStatus.under_review,
        ApplicationStatus.interview,
    ):
        raise InvalidTransition("Only applications in review can be invited to an interview.")
    cohort = session.get_one(Cohort, application.cohort_id)
    application.interview_at = to_utc(at, cohort.timezone)
    application.interview_note = note
    if application.status != ApplicationStatus.interview:
        _set_status(session, application, ApplicationStatus.interview, actor, "Interview scheduled")
    session.add(application)
    session.flush()
    audit.record(
        session, actor=actor, action="application.interview", object_type="application", object_id=application.id,
        after={"interview_at": application.interview_at, "note": note},
    )  # fmt: skip
    return application


def record_decision(
    session: Session, *, application: Application, outcome: DecisionOutcome, note: str, actor: User
) -> Decision:
    """Record (or change) a pending decision. Nothing reaches the founders before the release."""
    _require_staff(actor)
    cohort = session.get_one(Cohort, application.cohort_id)
    _lock_cohort(session, cohort)
    repo = DecisionRepository(session)
    decision = repo.for_application(application.id)
    if decision is not None and decision.released_at is not None:
        raise AlreadyReleased("This decision has been released to the founders; it can no longer change.")
    if application.status not in DECIDABLE:
        raise InvalidTransition("Only submitted applications can be decided.")
    before = {"outcome": decision.outcome} if decision else None
    newly_accepted = outcome == DecisionOutcome.accept and (decision is None or decision.outcome != outcome)
    if newly_accepted and repo.places_taken(cohort.id) >= cohort.capacity:
        raise CapacityExceeded(
            f"{cohort.name} has {cohort.capacity} places and they are all offered. "
            "Waitlist this startup or change another decision first."
        )
    if decision is None:
        decision = Decision(application_id=application.id, outcome=outcome)
    decision.outcome = outcome
    decision.note = note
    decision.decided_by_id = actor.id
    decision.decided_at = utcnow()
    session.add(decision)
    session.flush()
    audit.record(
        session, actor=actor, action="decision.record", object_type="application", object_id=application.id,
        summary=f"Pending decision: {outcome.value}", before=before, after={"outcome": outcome, "note": note},
    )  # fmt: skip
    return decision


@dataclass(frozen=True)
class _Mail:
    application: Application
    decision: Decision
    to: list[str]
    subject: str
    template: str
    context: dict[str, Any]


SUBJECTS = {
    DecisionOutcome.accept: "You have a place in {cohort}",
    DecisionOutcome.reject: "Your application to {cohort}",
    DecisionOutcome.waitlist: "You are on the waiting list for {cohort}",
}


def _decision_mails(session: Session, cohort: Cohort) -> list[_Mail]:
    rows = [(d, a, s) for d, a, s in DecisionRepository(session).in_cohort(cohort.id) if d.released_at is None]
    emails = ApplicationRepository(session).founder_emails([s.id for _, _, s in rows])
    mails = []
    for decision, app, startup in rows:
        context = {
            "startup": startup.name,
            "cohort": cohort.name,
            "outcome": decision.outcome.value,
            "note": decision.note,
            "application_url": f"/applications/{app.id}",
            "start_date": cohort.start_date.isoformat(),
        }
        mails.append(
            _Mail(
                app, decision, emails.get(startup.id, []), SUBJECTS[decision.outcome].format(cohort=cohort.name),
                f"cohorts/decision_{decision.outcome.value}", context,
            )
        )  # fmt: skip
    return mails


def release_preview(session: Session, *, cohort: Cohort) -> list[EmailPreview]:
    """The e-mails `release_decisions` would send, rendered by the same templates."""
    from incubator.config import get_settings

    base = {"base_url": get_settings().base_url, "app_name": "Incubator"}
    return [
        EmailPreview(
            application_id=m.application.id,
            to=m.to,
            subject=m.subject,
            body=render_text(f"emails/{m.template}.txt", **base, **m.context),
        )
        for m in _decision_mails(session, cohort)
    ]


def release_decisions(session: Session, *, cohort: Cohort, actor: User, now: datetime | None = None) -> tuple[int, int]:
    """Move every pending decision to its application and queue all the e-mails, in one transaction. A cohort may
    release in rounds (late decisions); releasing again with nothing pending is a 409."""
    _require_staff(actor)
    _lock_cohort(session, cohort)
    mails = _decision_mails(session, cohort)
    if not mails:
        if cohort.decisions_released_at is not None:
            raise AlreadyReleased("These decisions were already released; no decision is pending.")
        raise InvalidTransition("There are no pending decisions to release.")
    moment = _now(now)
    status_for = {
        DecisionOutcome.accept: ApplicationStatus.accepted,
        DecisionOutcome.reject: ApplicationStatus.rejected,
        DecisionOutcome.waitlist: ApplicationStatus.waitlisted,
    }
    sent = 0
    for m in mails:
        m.decision.released_at = moment
        session.add(m.decision)
        _set_status(session, m.application, status_for[m.decision.outcome], actor, "Decision released")
        for to in m.to:
            queue_email(session, to=to, subject=m.subject, template=m.template, context=m.context, kind="decision")
            sent += 1
    cohort.decisions_released_at = moment
    session.add(cohort)
    session.flush()
    audit.record(
        session, actor=actor, action="decision.release", object_type="cohort", object_id=cohort.id,
        summary=f"{len(mails)} decisions released, {sent} e-mails queued",
        after={"released": len(mails), "emails": sent},
    )  # fmt: skip
    return len(mails), sent


def _offer(session: Session, application: Application, actor: User) -> Decision:
    decision = DecisionRepository(session).for_application(application.id)
    if decision is None or decision.released_at is None or application.status != ApplicationStatus.accepted:
        raise InvalidTransition("There is no place on offer to respond to.")
    if decision.response is not None:
        raise InvalidTransition(f"You already {decision.response.value} this place.")
    if not ApplicationRepository(session).is_member(actor.id, application.startup_id):
        raise PermissionDenied("Only the startup's team can respond to the offer.")
    return decision


def confirm_place(session: Session, *, application: Application, actor: User) -> Enrollment:
    decision = _offer(session, application, actor)
    cohort = session.get_one(Cohort, application.cohort_id)
    _lock_cohort(session, cohort)
    if DecisionRepository(session).enrolled_count(cohort.id) >= cohort.capacity:
        raise CapacityExceeded(f"{cohort.name} is full: all {cohort.capacity} places are taken.")
    decision.response = DecisionResponse.confirmed
    decision.responded_at = utcnow()
    enrollment = Enrollment(cohort_id=cohort.id, startup_id=application.startup_id, application_id=application.id)
    session.add(decision)
    session.add(enrollment)
    _set_status(session, application, ApplicationStatus.enrolled, actor, "Place confirmed")
    session.flush()
    audit.record(
        session, actor=actor, action="enrollment.create", object_type="application", object_id=application.id,
        summary=f"Place in {cohort.name} confirmed",
    )  # fmt: skip
    return enrollment


def decline_place(session: Session, *, application: Application, actor: User) -> Application | None:
    """Decline the offer; the place goes to the best-ranked startup on the waiting list (returned)."""
    decision = _offer(session, application, actor)
    decision.response = DecisionResponse.declined
    decision.responded_at = utcnow()
    session.add(decision)
    application.live = None
    _set_status(session, application, ApplicationStatus.withdrawn, actor, "Place declined")
    session.flush()
    cohort = session.get_one(Cohort, application.cohort_id)
    audit.record(
        session, actor=actor, action="decision.declined", object_type="application", object_id=application.id,
        summary=f"Place in {cohort.name} declined",
    )  # fmt: skip
    return offer_next_waitlisted(session, cohort=cohort, actor=actor)


def offer_next_waitlisted(session: Session, *, cohort: Cohort, actor: User | None) -> Application | None:
    repo = DecisionRepository(session)
    if repo.places_taken(cohort.id) >= cohort.capacity:
        return None
    waiting = {a.id: a for a in repo.waitlisted(cohort.id)}
    if not waiting:
        return None
    order = [row.application_id for row in ranking(session, cohort=cohort) if row.application_id in waiting]
    chosen = waiting[order[0]]
    decision = repo.for_application(chosen.id)
    assert decision is not None
    decision.outcome = DecisionOutcome.accept
    decision.released_at = utcnow()
    session.add(decision)
    _set_status(session, chosen, ApplicationStatus.accepted, actor, "Offered a place from the waiting list")
    startup = session.get_one(Startup, chosen.startup_id)
    for to in ApplicationRepository(session).founder_emails([startup.id]).get(startup.id, []):
        queue_email(
            session,
            to=to,
            subject=SUBJECTS[DecisionOutcome.accept].format(cohort=cohort.name),
            template="cohorts/decision_accept",
            context={
                "startup": startup.name, "cohort": cohort.name, "outcome": "accept", "note": "A place opened up.",
                "application_url": f"/applications/{chosen.id}", "start_date": cohort.start_date.isoformat(),
            },
            kind="decision",
        )  # fmt: skip
    session.flush()
    audit.record(
        session, actor=actor, action="decision.waitlist_offer", object_type="application", object_id=chosen.id,
        summary=f"{startup.name} offered a place from the waiting list",
    )  # fmt: skip
    return chosen


def share_feedback(session: Session, *, application: Application, shared: bool, actor: User) -> Application:
    _require_staff(actor)
    application.feedback_shared = shared
    session.add(application)
    session.flush()
    audit.record(
        session, actor=actor, action="application.feedback_shared", object_type="application",
        object_id=application.id, after={"shared": shared},
    )  # fmt: skip
    return application
