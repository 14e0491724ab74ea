"""Programmes, cohorts, application forms, applications, review, decisions and enrollment."""

import enum
import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Field, Relationship, SQLModel

from incubator.db import enum_type, instant, uuid_pk
from incubator.models import User
from startups.models import Startup


class CohortStatus(enum.StrEnum):
    planning = "planning"
    open = "open"
    reviewing = "reviewing"
    running = "running"
    demo_day = "demo_day"
    completed = "completed"


class QuestionKind(enum.StrEnum):
    short_text = "short_text"
    long_text = "long_text"
    number = "number"
    single_choice = "single_choice"
    multiple_choice = "multiple_choice"
    pdf = "pdf"

    @property
    def label(self) -> str:
        return {
            "short_text": "Short text",
            "long_text": "Long text",
            "number": "Number",
            "single_choice": "Single choice",
            "multiple_choice": "Multiple choice",
            "pdf": "PDF upload",
        }[self.value]


class ApplicationStatus(enum.StrEnum):
    draft = "draft"
    submitted = "submitted"
    under_review = "under_review"
    interview = "interview"
    accepted = "accepted"
    rejected = "rejected"
    waitlisted = "waitlisted"
    enrolled = "enrolled"
    withdrawn = "withdrawn"


class AssignmentStatus(enum.StrEnum):
    assigned = "assigned"  # waiting for the reviewer's conflict declaration
    cleared = "cleared"  # declared no conflict: may open and review
    submitted = "submitted"  # review submitted
    conflicted = "conflicted"  # declared a conflict: handed back
    removed = "removed"  # taken away by the programme manager


class Recommendation(enum.StrEnum):
    accept = "accept"
    interview = "interview"
    waitlist = "waitlist"
    reject = "reject"


class DecisionOutcome(enum.StrEnum):
    accept = "accept"
    reject = "reject"
    waitlist = "waitlist"


class DecisionResponse(enum.StrEnum):
    confirmed = "confirmed"
    declined = "declined"


class EnrollmentStatus(enum.StrEnum):
    active = "active"
    graduated = "graduated"
    withdrawn = "withdrawn"


class Programme(SQLModel, table=True):
    __tablename__ = "programme"

    id: uuid.UUID = uuid_pk()
    name: str = Field(max_length=120, unique=True)
    description: str = Field(default="", max_length=2000)
    created_at: datetime = instant(default_now=True)


class Cohort(SQLModel, table=True):
    __tablename__ = "cohort"
    __table_args__ = (
        sa.CheckConstraint("capacity >= 1", name="capacity_positive"),
        sa.CheckConstraint("reviewers_per_application BETWEEN 1 AND 10", name="reviewers_range"),
    )

    id: uuid.UUID = uuid_pk()
    programme_id: uuid.UUID = Field(foreign_key="programme.id", index=True, ondelete="RESTRICT")
    name: str = Field(max_length=120)
    description: str = Field(default="", max_length=5000)
    timezone: str = Field(default="UTC", max_length=64)
    # Aware UTC instants; entered and shown in the cohort's time zone.
    applications_open_at: datetime = instant()
    applications_close_at: datetime = instant()
    start_date: date
    end_date: date
    capacity: int = 12
    status: CohortStatus = Field(default=CohortStatus.planning, sa_type=enum_type(CohortStatus, "cohort_status"))
    blind_review: bool = False
    scores_visible_after_submit: bool = True
    reviewers_per_application: int = 3
    review_due_at: datetime | None = instant(nullable=True)
    decisions_released_at: datetime | None = instant(nullable=True)
    created_at: datetime = instant(default_now=True)

    programme: Programme = Relationship(sa_relationship_kwargs={"lazy": "raise"})


class FormQuestion(SQLModel, table=True):
    """A question of a cohort's application form. Answers copy the prompt and kind, so later edits never change
    what an applicant answered."""

    __tablename__ = "form_question"

    id: uuid.UUID = uuid_pk()
    cohort_id: uuid.UUID = Field(foreign_key="cohort.id", index=True, ondelete="CASCADE")
    position: int = 0
    prompt: str = Field(max_length=500)
    kind: QuestionKind = Field(sa_type=enum_type(QuestionKind, "question_kind"))
    required: bool = True
    help_text: str = Field(default="", max_length=1000)
    choices: list[str] = Field(default_factory=list, sa_type=JSON)
    identifying: bool = False
    retired: bool = False
    updated_at: datetime = instant(default_now=True)


class Application(SQLModel, table=True):
    __tablename__ = "application"
    # `live` is True while the application counts and NULL once withdrawn: NULLs never collide in a unique
    # constraint, so this is "one live application per startup per cohort" on SQLite and PostgreSQL alike.
    __table_args__ = (sa.UniqueConstraint("cohort_id", "startup_id", "live", name="uq_application_live"),)

    id: uuid.UUID = uuid_pk()
    cohort_id: uuid.UUID = Field(foreign_key="cohort.id", index=True, ondelete="RESTRICT")
    startup_id: uuid.UUID = Field(foreign_key="startup.id", index=True, ondelete="RESTRICT")
    live: bool | None = Field(default=True)
    status: ApplicationStatus = Field(
        default=ApplicationStatus.draft, sa_type=enum_type(ApplicationStatus, "application_status"), index=True
    )
    created_by_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    submitted_at: datetime | None = instant(nullable=True)
    withdrawn_at: datetime | None = instant(nullable=True)
    interview_at: datetime | None = instant(nullable=True)
    interview_note: str = Field(default="", max_length=2000)
    # Reviewers' comments reach the founders only when the programme manager shares them.
    feedback_shared: bool = False
    created_at: datetime = instant(default_now=True)
    updated_at: datetime = instant(default_now=True)

    cohort: Cohort = Relationship(sa_relationship_kwargs={"lazy": "raise"})
    startup: Startup = Relationship(sa_relationship_kwargs={"lazy": "raise"})


class ApplicationAnswer(SQLModel, table=True):
    __tablename__ = "application_answer"
    __table_args__ = (sa.UniqueConstraint("application_id", "question_id", name="uq_answer_question"),)

    id: uuid.UUID = uuid_pk()
    application_id: uuid.UUID = Field(foreign_key="application.id", index=True, ondelete="CASCADE")
    question_id: uuid.UUID = Field(foreign_key="form_question.id", ondelete="RESTRICT")
    # Frozen copy of the question as it was answered.
    position: int = 0
    prompt: str = Field(max_length=500)
    kind: QuestionKind = Field(sa_type=enum_type(QuestionKind, "question_kind"))
    identifying: bool = False
    value: Any = Field(default=None, sa_type=JSON)
    file_key: str | None = Field(default=None, max_length=100)
    file_name: str | None = Field(default=None, max_length=200)
    updated_at: datetime = instant(default_now=True)


class ApplicationEvent(SQLModel, table=True):
    """The status history of an application."""

    __tablename__ = "application_event"

    id: uuid.UUID = uuid_pk()
    application_id: uuid.UUID = Field(foreign_key="application.id", index=True, ondelete="CASCADE")
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str = Field(max_length=20)
    actor_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    note: str = Field(default="", max_length=500)
    at: datetime = instant(default_now=True)


class ReviewCriterion(SQLModel, table=True):
    __tablename__ = "review_criterion"
    __table_args__ = (sa.CheckConstraint("weight > 0", name="weight_positive"),)

    id: uuid.UUID = uuid_pk()
    cohort_id: uuid.UUID = Field(foreign_key="cohort.id", index=True, ondelete="CASCADE")
    position: int = 0
    name: str = Field(max_length=120)
    weight: int = 1
    # One description per level of the 1-5 scale.
    levels: list[str] = Field(default_factory=list, sa_type=JSON)


class CohortReviewer(SQLModel, table=True):
    """A mentor or programme manager in a cohort's reviewer pool, with capacity and expertise tags (sectors)."""

    __tablename__ = "cohort_reviewer"
    __table_args__ = (
        sa.UniqueConstraint("cohort_id", "user_id", name="uq_cohort_reviewer"),
        sa.CheckConstraint("capacity >= 0", name="capacity_nonnegative"),
    )

    id: uuid.UUID = uuid_pk()
    cohort_id: uuid.UUID = Field(foreign_key="cohort.id", index=True, ondelete="CASCADE")
    user_id: uuid.UUID = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    capacity: int = 10
    tags: list[str] = Field(default_factory=list, sa_type=JSON)

    user: User = Relationship(sa_relationship_kwargs={"lazy": "raise"})


class ReviewerConflict(SQLModel, table=True):
    """A known conflict of interest between a reviewer and a startup (declared or entered by staff)."""

    __tablename__ = "reviewer_conflict"
    __table_args__ = (sa.UniqueConstraint("user_id", "startup_id", name="uq_reviewer_conflict"),)

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    startup_id: uuid.UUID = Field(foreign_key="startup.id", index=True, ondelete="CASCADE")
    reason: str = Field(default="", max_length=500)
    declared_at: datetime = instant(default_now=True)


class ReviewAssignment(SQLModel, table=True):
    __tablename__ = "review_assignment"
    __table_args__ = (sa.UniqueConstraint("application_id", "reviewer_id", name="uq_assignment_reviewer"),)

    id: uuid.UUID = uuid_pk()
    application_id: uuid.UUID = Field(foreign_key="application.id", index=True, ondelete="CASCADE")
    reviewer_id: uuid.UUID = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    status: AssignmentStatus = Field(
        default=AssignmentStatus.assigned, sa_type=enum_type(AssignmentStatus, "assignment_status")
    )
    assigned_at: datetime = instant(default_now=True)
    declared_at: datetime | None = instant(nullable=True)
    conflict_reason: str = Field(default="", max_length=500)
    reminded_at: datetime | None = instant(nullable=True)


class Review(SQLModel, table=True):
    __tablename__ = "review"

    id: uuid.UUID = uuid_pk()
    assignment_id: uuid.UUID = Field(foreign_key="review_assignment.id", unique=True, ondelete="CASCADE")
    application_id: uuid.UUID = Field(foreign_key="application.id", index=True, ondelete="CASCADE")
    reviewer_id: uuid.UUID = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    # {criterion id: score 1-5}
    scores: dict[str, int] = Field(default_factory=dict, sa_type=JSON)
    # Weighted mean of the scores on the 1-5 scale, computed once when submitted.
    weighted_total: float = 0.0
    comment: str = Field(default="", max_length=5000)
    recommendation: Recommendation = Field(sa_type=enum_type(Recommendation, "recommendation"))
    submitted_at: datetime = instant(default_now=True)


class Decision(SQLModel, table=True):
    """The programme manager's decision: pending until the cohort's decisions are released in one batch."""

    __tablename__ = "decision"

    id: uuid.UUID = uuid_pk()
    application_id: uuid.UUID = Field(foreign_key="application.id", unique=True, ondelete="CASCADE")
    outcome: DecisionOutcome = Field(sa_type=enum_type(DecisionOutcome, "decision_outcome"))
    note: str = Field(default="", max_length=2000)
    decided_by_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    decided_at: datetime = instant(default_now=True)
    released_at: datetime | None = instant(nullable=True)
    response: DecisionResponse | None = Field(
        default=None, sa_type=enum_type(DecisionResponse, "decision_response"), nullable=True
    )
    responded_at: datetime | None = instant(nullable=True)


class Enrollment(SQLModel, table=True):
    __tablename__ = "enrollment"
    __table_args__ = (sa.UniqueConstraint("cohort_id", "startup_id", name="uq_enrollment_startup"),)

    id: uuid.UUID = uuid_pk()
    cohort_id: uuid.UUID = Field(foreign_key="cohort.id", index=True, ondelete="RESTRICT")
    startup_id: uuid.UUID = Field(foreign_key="startup.id", index=True, ondelete="RESTRICT")
    application_id: uuid.UUID | None = Field(default=None, foreign_key="application.id", ondelete="SET NULL")
    status: EnrollmentStatus = Field(
        default=EnrollmentStatus.active, sa_type=enum_type(EnrollmentStatus, "enrollment_status")
    )
    enrolled_at: datetime = instant(default_now=True)

    startup: Startup = Relationship(sa_relationship_kwargs={"lazy": "raise"})
