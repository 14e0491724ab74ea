"""Input and output models for admissions."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from cohorts.models import (
    ApplicationStatus,
    AssignmentStatus,
    CohortStatus,
    DecisionOutcome,
    DecisionResponse,
    EnrollmentStatus,
    QuestionKind,
    Recommendation,
)

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("Unknown time zone; use a name such as Europe/London.") from exc
    return value


class ProgrammeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""


class ProgrammePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    description: str


class CohortCreate(BaseModel):
    """Dates of the application window are local times in the cohort's time zone (no offset)."""

    model_config = ConfigDict(extra="forbid")

    programme_id: uuid.UUID
    name: Name
    description: Text = ""
    timezone: str = "UTC"
    applications_open: datetime
    applications_close: datetime
    start_date: date
    end_date: date | None = Field(default=None, description="Defaults to four months after the start")
    capacity: int = Field(default=12, ge=1, le=500)
    blind_review: bool = False
    scores_visible_after_submit: bool = True
    reviewers_per_application: int = Field(default=3, ge=1, le=10)

    _tz = field_validator("timezone")(_zone)

    @model_validator(mode="after")
    def _order(self) -> CohortCreate:
        if self.applications_close.replace(tzinfo=None) <= self.applications_open.replace(tzinfo=None):
            raise ValueError("Applications must close after they open.")
        if self.end_date is not None and self.end_date <= self.start_date:
            raise ValueError("The cohort must end after it starts.")
        return self


class CohortForm(CohortCreate):
    model_config = ConfigDict(extra="ignore")


class CohortSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    capacity: int | None = Field(default=None, ge=1, le=500)
    blind_review: bool | None = None
    scores_visible_after_submit: bool | None = None
    reviewers_per_application: int | None = Field(default=None, ge=1, le=10)
    review_due_at: datetime | None = None


class CohortPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    programme_id: uuid.UUID
    name: str
    description: str
    timezone: str
    applications_open_at: datetime
    applications_close_at: datetime
    start_date: date
    end_date: date
    capacity: int
    status: CohortStatus
    blind_review: bool
    scores_visible_after_submit: bool
    reviewers_per_application: int
    decisions_released_at: datetime | None


class QuestionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    kind: QuestionKind
    required: bool = True
    help_text: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] = ""
    choices: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]] = []
    identifying: bool = False
    position: int | None = None

    @model_validator(mode="after")
    def _choices(self) -> QuestionCreate:
        if self.kind in (QuestionKind.single_choice, QuestionKind.multiple_choice) and len(self.choices) < 2:
            raise ValueError("A choice question needs at least two choices.")
        return self


class QuestionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)] | None = None
    required: bool | None = None
    help_text: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None
    choices: list[str] | None = None
    identifying: bool | None = None
    retired: bool | None = None


class QuestionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    position: int
    prompt: str
    kind: QuestionKind
    required: bool
    help_text: str
    choices: list[str]
    identifying: bool
    retired: bool


class CriterionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    weight: int = Field(default=1, ge=1, le=100)
    levels: list[Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]] = Field(
        default_factory=lambda: ["Poor", "Weak", "Adequate", "Strong", "Outstanding"],
        description="One description per level of the 1-5 scale",
    )

    @field_validator("levels")
    @classmethod
    def _five(cls, value: list[str]) -> list[str]:
        if len(value) != 5:
            raise ValueError("Describe each of the five levels of the scale.")
        return value


class CriterionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    position: int
    name: str
    weight: int
    levels: list[str]


class ReviewerAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str
    capacity: int = Field(default=10, ge=0, le=1000)
    tags: list[str] = []


class ReviewerPublic(BaseModel):
    id: uuid.UUID
    user_id: uuid.UUID
    full_name: str
    email: str
    capacity: int
    tags: list[str]
    load: int
    submitted: int


class ConflictCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_id: uuid.UUID
    startup_id: uuid.UUID
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""


class ApplicationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    startup_id: uuid.UUID


class AnswersUpdate(BaseModel):
    """Answers by question id: text, a number, one choice or a list of choices. PDFs go through the upload route."""

    model_config = ConfigDict(extra="forbid")

    answers: dict[uuid.UUID, Any]


class AnswerView(BaseModel):
    question_id: uuid.UUID
    prompt: str
    kind: QuestionKind
    value: Any = None
    file_name: str | None = None
    hidden: bool = False


class FounderView(BaseModel):
    full_name: str
    email: str


class HistoryEntry(BaseModel):
    from_status: str | None
    to_status: str
    note: str
    at: datetime


class ReviewView(BaseModel):
    reviewer_name: str | None
    scores: dict[str, int]
    weighted_total: float
    comment: str
    recommendation: Recommendation
    submitted_at: datetime


class ApplicationView(BaseModel):
    """An application as the viewer may see it (blind review and shared feedback applied in one place)."""

    id: uuid.UUID
    cohort_id: uuid.UUID
    cohort_name: str
    startup_id: uuid.UUID
    startup_name: str | None
    sector: str
    status: ApplicationStatus
    submitted_at: datetime | None
    interview_at: datetime | None
    interview_note: str | None
    blind: bool
    founders: list[FounderView]
    answers: list[AnswerView]
    history: list[HistoryEntry]
    reviews: list[ReviewView]
    decision: DecisionOutcome | None = None
    decision_response: DecisionResponse | None = None


class ApplicationSummary(BaseModel):
    id: uuid.UUID
    cohort_id: uuid.UUID
    startup_id: uuid.UUID
    startup_name: str
    status: ApplicationStatus
    submitted_at: datetime | None


class AssignmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    application_ids: list[uuid.UUID] = Field(min_length=1, max_length=1000)
    reviewer_id: uuid.UUID


class AutoAssign(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reviewers_per_application: int | None = Field(default=None, ge=1, le=10)


class AssignmentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    application_id: uuid.UUID
    reviewer_id: uuid.UUID
    status: AssignmentStatus
    assigned_at: datetime
    declared_at: datetime | None


class ConflictDeclaration(BaseModel):
    model_config = ConfigDict(extra="forbid")

    has_conflict: bool
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""


class ReviewCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scores: dict[uuid.UUID, int] = Field(description="Score 1-5 per criterion id")
    comment: Text = ""
    recommendation: Recommendation


class ReviewPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    application_id: uuid.UUID
    scores: dict[str, int]
    weighted_total: float
    comment: str
    recommendation: Recommendation
    submitted_at: datetime


class InterviewCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: datetime = Field(description="Local time in the cohort's time zone, or an instant with an offset")
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""


class DecisionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    application_id: uuid.UUID
    outcome: DecisionOutcome
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""


class DecisionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    application_id: uuid.UUID
    outcome: DecisionOutcome
    note: str
    decided_at: datetime
    released_at: datetime | None
    response: DecisionResponse | None


class EmailPreview(BaseModel):
    application_id: uuid.UUID
    to: list[str]
    subject: str
    body: str


class ReleaseResult(BaseModel):
    released: int
    emails: int


class EnrollmentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    cohort_id: uuid.UUID
    startup_id: uuid.UUID
    application_id: uuid.UUID | None
    status: EnrollmentStatus
    enrolled_at: datetime


class RankingRow(BaseModel):
    rank: int
    application_id: uuid.UUID
    startup_name: str
    sector: str
    status: ApplicationStatus
    reviews: int
    raw_mean: float | None
    median: float | None
    normalised: float | None
    disagreement: float | None
    decision: DecisionOutcome | None
