"""Input and output models for startups."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    HttpUrl,
    StringConstraints,
    field_validator,
    model_validator,
)

from incubator.security import password_problem
from startups.models import BiosafetyLevel, MemberRole, Sector, Stage, StartupStatus

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]


def _website(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if "://" not in value:
        value = "https://" + value
    HttpUrl(value)  # raises a clear error for something that is not a web address
    return value


class StartupBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    legal_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    sector: Sector = Sector.biomanufacturing
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)] = ""
    website: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = None
    founded_date: date | None = None
    stage: Stage = Stage.pre_seed
    trl: int = Field(default=1, ge=1, le=9, description="Technology readiness level, 1 to 9")
    biosafety_level: BiosafetyLevel = BiosafetyLevel.none
    billing_email: EmailStr | None = None
    billing_address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None
    tax_id: Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)] | None = None

    _site = field_validator("website")(_website)

    @field_validator("founded_date")
    @classmethod
    def _not_future(cls, value: date | None) -> date | None:
        if value is not None and value > date.today():
            raise ValueError("The founding date cannot be in the future.")
        return value


class StartupCreate(StartupBase):
    name: ShortText


class StartupUpdate(BaseModel):
    """Any subset of the profile; TRL changes are recorded in the dated history."""

    model_config = ConfigDict(extra="forbid")

    name: ShortText | None = None
    legal_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    sector: Sector | None = None
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)] | None = None
    website: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = None
    founded_date: date | None = None
    stage: Stage | None = None
    trl: int | None = Field(default=None, ge=1, le=9)
    trl_note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None
    biosafety_level: BiosafetyLevel | None = None
    status: StartupStatus | None = None
    billing_email: EmailStr | None = None
    billing_address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None
    tax_id: Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)] | None = None

    _site = field_validator("website")(_website)


class StartupForm(StartupBase):
    """The profile form of the founders' page (all fields at once)."""

    model_config = ConfigDict(extra="ignore")

    name: ShortText
    trl_note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None


class StartupPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    legal_name: str | None
    sector: Sector
    description: str
    website: str | None
    founded_date: date | None
    stage: Stage
    trl: int
    biosafety_level: BiosafetyLevel
    status: StartupStatus
    created_at: datetime


class MemberPublic(BaseModel):
    user_id: uuid.UUID
    full_name: str
    email: str
    role: MemberRole
    joined_at: datetime


class MemberAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    role: MemberRole = MemberRole.member


class TrlEntryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    trl: int
    effective_date: date
    note: str
    recorded_at: datetime


class SignupForm(BaseModel):
    """Founder sign-up: the account and the startup it belongs to, in one step."""

    model_config = ConfigDict(extra="ignore")

    full_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    email: EmailStr
    password: str
    password_confirm: str
    startup_name: ShortText
    sector: Sector = Sector.biomanufacturing
    accept_terms: bool = False

    @field_validator("password")
    @classmethod
    def _password(cls, value: str) -> str:
        problem = password_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _checks(self) -> SignupForm:
        if self.password != self.password_confirm:
            raise ValueError("The two passwords differ.")
        if not self.accept_terms:
            raise ValueError("Please accept the terms of use to continue.")
        return self


class SignupCreate(BaseModel):
    """Founder sign-up through the API."""

    model_config = ConfigDict(extra="forbid")

    full_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    email: EmailStr
    password: str
    startup_name: ShortText
    sector: Sector = Sector.biomanufacturing

    @field_validator("password")
    @classmethod
    def _password(cls, value: str) -> str:
        problem = password_problem(value)
        if problem:
            raise ValueError(problem)
        return value
