"""Kernel tables: users and roles, sessions and tokens, audit log, e-mail outbox and background jobs."""

import enum
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Field, Relationship, SQLModel

from incubator.db import enum_type, instant, utcnow, uuid_pk


class Role(enum.StrEnum):
    founder = "founder"
    program_manager = "program_manager"
    mentor = "mentor"
    investor = "investor"
    finance = "finance"
    admin = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.founder: "Founder",
    Role.program_manager: "Programme manager",
    Role.mentor: "Mentor",
    Role.investor: "Investor",
    Role.finance: "Finance",
    Role.admin: "Administrator",
}


class User(SQLModel, table=True):
    __tablename__ = "user_account"

    id: uuid.UUID = uuid_pk()
    email: str = Field(max_length=254, sa_column_kwargs={"unique": True}, index=False)
    full_name: str = Field(max_length=200)
    password_hash: str | None = Field(default=None, max_length=255)
    is_active: bool = True
    locale: str = Field(default="en", max_length=10)
    created_at: datetime = instant(default_now=True)
    last_login_at: datetime | None = instant(nullable=True)

    roles: list["UserRole"] = Relationship(sa_relationship_kwargs={"lazy": "selectin", "cascade": "all, delete-orphan"})

    @property
    def role_set(self) -> frozenset[Role]:
        return frozenset(r.role for r in self.roles)

    def has_role(self, *roles: Role) -> bool:
        held = self.role_set
        return Role.admin in held or any(r in held for r in roles)


class UserRole(SQLModel, table=True):
    __tablename__ = "user_role"

    user_id: uuid.UUID = Field(foreign_key="user_account.id", primary_key=True, ondelete="CASCADE")
    role: Role = Field(sa_type=enum_type(Role, "role"), primary_key=True)
    granted_at: datetime = instant(default_now=True)


class WebSession(SQLModel, table=True):
    """A signed-in browser. Only the SHA-256 of the cookie value is stored, so a database leak opens no session."""

    __tablename__ = "web_session"

    id: uuid.UUID = uuid_pk()
    token_hash: str = Field(max_length=64, unique=True)
    user_id: uuid.UUID = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    created_at: datetime = instant(default_now=True)
    expires_at: datetime = instant()
    last_seen_at: datetime = instant(default_now=True)
    ip_address: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=300)
    revoked_at: datetime | None = instant(nullable=True)


class ApiToken(SQLModel, table=True):
    """Bearer tokens: short-lived ones from the OAuth2 password flow and named personal access tokens."""

    __tablename__ = "api_token"

    id: uuid.UUID = uuid_pk()
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=16)
    user_id: uuid.UUID = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=100)
    personal: bool = False
    created_at: datetime = instant(default_now=True)
    expires_at: datetime | None = instant(nullable=True)
    last_used_at: datetime | None = instant(nullable=True)
    revoked_at: datetime | None = instant(nullable=True)


class TokenPurpose(enum.StrEnum):
    invitation = "invitation"
    password_reset = "password_reset"


class OneTimeToken(SQLModel, table=True):
    """Invitation and password-reset links: hashed, expiring, usable once."""

    __tablename__ = "one_time_token"

    id: uuid.UUID = uuid_pk()
    token_hash: str = Field(max_length=64, unique=True)
    purpose: TokenPurpose = Field(sa_type=enum_type(TokenPurpose, "token_purpose"))
    user_id: uuid.UUID = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    created_by_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    created_at: datetime = instant(default_now=True)
    expires_at: datetime = instant()
    used_at: datetime | None = instant(nullable=True)


class LoginAttempt(SQLModel, table=True):
    """Failed sign-ins, counted per account and per address to throttle guessing (kept in the database so
    several app servers share the count)."""

    __tablename__ = "login_attempt"

    id: uuid.UUID = uuid_pk()
    email: str = Field(max_length=254, index=True)
    ip_address: str = Field(max_length=64, index=True)
    attempted_at: datetime = instant(default_now=True, index=True)


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    id: uuid.UUID = uuid_pk()
    occurred_at: datetime = instant(default_now=True, index=True)
    actor_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id", index=True, ondelete="SET NULL")
    actor_label: str = Field(default="system", max_length=254)
    action: str = Field(max_length=100, index=True)
    object_type: str = Field(max_length=60)
    object_id: str = Field(max_length=64, index=True)
    summary: str = Field(default="", max_length=500)
    before: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    ip_address: str | None = Field(default=None, max_length=64)
    request_id: str | None = Field(default=None, max_length=64)


class EmailStatus(enum.StrEnum):
    pending = "pending"
    sent = "sent"
    failed = "failed"


class OutboxEmail(SQLModel, table=True):
    """An e-mail written in the caller's transaction and sent later by the worker, so a rolled-back use case
    never sends mail and a sent mail always matches committed data."""

    __tablename__ = "outbox_email"

    id: uuid.UUID = uuid_pk()
    to_address: str = Field(max_length=254)
    subject: str = Field(max_length=300)
    body_text: str
    body_html: str | None = None
    attachments: list[dict[str, str]] | None = Field(default=None, sa_type=JSON)
    kind: str = Field(default="general", max_length=60, index=True)
    status: EmailStatus = Field(default=EmailStatus.pending, sa_type=enum_type(EmailStatus, "email_status"))
    attempts: int = 0
    next_attempt_at: datetime = instant(default_now=True, index=True)
    last_error: str | None = Field(default=None, max_length=1000)
    created_at: datetime = instant(default_now=True)
    sent_at: datetime | None = instant(nullable=True)


class JobStatus(enum.StrEnum):
    pending = "pending"
    running = "running"
    done = "done"
    failed = "failed"


class Job(SQLModel, table=True):
    """A background job. Claimed with `FOR UPDATE SKIP LOCKED` on PostgreSQL so two workers never run one twice."""

    __tablename__ = "job"
    __table_args__ = (sa.Index("ix_job_due", "status", "run_after"),)

    id: uuid.UUID = uuid_pk()
    name: str = Field(max_length=100)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    dedupe_key: str | None = Field(default=None, max_length=200, unique=True)
    status: JobStatus = Field(default=JobStatus.pending, sa_type=enum_type(JobStatus, "job_status"))
    run_after: datetime = instant(default_now=True)
    attempts: int = 0
    max_attempts: int = 5
    progress: int = 0
    progress_total: int = 0
    last_error: str | None = Field(default=None, max_length=2000)
    locked_by: str | None = Field(default=None, max_length=100)
    locked_at: datetime | None = instant(nullable=True)
    created_at: datetime = instant(default_now=True)
    finished_at: datetime | None = instant(nullable=True)


__all__ = [
    "ApiToken",
    "AuditEvent",
    "EmailStatus",
    "Job",
    "JobStatus",
    "LoginAttempt",
    "OneTimeToken",
    "OutboxEmail",
    "Role",
    "TokenPurpose",
    "User",
    "UserRole",
    "WebSession",
    "utcnow",
]
