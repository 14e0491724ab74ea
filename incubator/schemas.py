"""Input and output models of the kernel's API and forms."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from incubator.models import Role
from incubator.security import password_problem

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


def _check_password(value: str) -> str:
    problem = password_problem(value)
    if problem:
        raise ValueError(problem)
    return value


class RolePublic(BaseModel):
    role: Role


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    full_name: str
    is_active: bool
    roles: list[Role]
    created_at: datetime
    last_login_at: datetime | None

    @field_validator("roles", mode="before")
    @classmethod
    def _role_values(cls, value: Any) -> Any:
        return sorted(getattr(r, "role", r) for r in value)


class UserUpdate(BaseModel):
    """Change a user's name, roles or whether they may sign in (admins)."""

    model_config = ConfigDict(extra="forbid")

    full_name: Name | None = None
    roles: list[Role] | None = Field(default=None, min_length=1)
    is_active: bool | None = None


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime | None = None


class PersonalTokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    expires_in_days: int | None = Field(default=90, ge=1, le=3650)


class PersonalTokenPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


class PersonalTokenCreated(PersonalTokenPublic):
    token: str = Field(description="Shown once: store it now.")


class InvitationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    full_name: Name
    roles: list[Role] = Field(min_length=1)

    @field_validator("email")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.strip().lower()


class InvitationPublic(BaseModel):
    id: uuid.UUID
    email: str
    full_name: str
    roles: list[Role]
    expires_at: datetime
    used_at: datetime | None


class LoginForm(BaseModel):
    email: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=254)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class PasswordForm(BaseModel):
    password: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    password_confirm: str

    _check = field_validator("password")(_check_password)

    @model_validator(mode="after")
    def _same(self) -> PasswordForm:
        if self.password != self.password_confirm:
            raise ValueError("The two passwords differ.")
        return self


class ForgotForm(BaseModel):
    email: EmailStr


class PasswordSet(BaseModel):
    """Set a password with a one-time link (invitation or reset)."""

    model_config = ConfigDict(extra="forbid")

    token: Annotated[str, StringConstraints(min_length=10, max_length=200)]
    password: str

    _check = field_validator("password")(_check_password)


class AuditEventPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    occurred_at: datetime
    actor_id: uuid.UUID | None
    actor_label: str
    action: str
    object_type: str
    object_id: str
    summary: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    ip_address: str | None
    request_id: str | None


class Problem(BaseModel):
    """An error, as RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    errors: dict[str, str] | None = None
