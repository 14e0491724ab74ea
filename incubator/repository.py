"""Queries of the kernel (users, sessions, tokens, audit) and the generic repository base every package reuses."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, func, select

from incubator.errors import NotFound
from incubator.models import (
    ApiToken,
    AuditEvent,
    LoginAttempt,
    OneTimeToken,
    Role,
    TokenPurpose,
    User,
    UserRole,
    WebSession,
)
from incubator.pagination import Page, PageParams

M = TypeVar("M", bound=SQLModel)


class Repository(Generic[M]):
    """Load-by-id and paging for one table. Subclasses add the queries their package needs."""

    model: type[M]
    label: str = "item"

    def __init__(self, session: Session):
        self.session = session

    def get(self, id_: uuid.UUID) -> M | None:
        return self.session.get(self.model, id_)

    def get_or_404(self, id_: uuid.UUID) -> M:
        obj = self.get(id_)
        if obj is None:
            raise NotFound(f"No {self.label} with that id.")
        return obj

    def paginate(self, stmt: Any, params: PageParams) -> Page[M]:
        total = self.session.exec(select(func.count()).select_from(stmt.order_by(None).subquery())).one()
        items = list(self.session.exec(stmt.limit(params.limit).offset(params.offset)).all())
        return Page(items=items, total=int(total), limit=params.limit, offset=params.offset)


USER_SORTS: dict[str, Any] = {
    "name": User.full_name,
    "email": User.email,
    "created": User.created_at,
    "last_login": User.last_login_at,
}


class UserRepository(Repository[User]):
    model = User
    label = "user"

    def by_email(self, email: str) -> User | None:
        return self.session.exec(select(User).where(User.email == email.strip().lower())).first()

    def search(
        self,
        params: PageParams,
        *,
        query: str | None = None,
        role: Role | None = None,
        sort: str = "name",
        descending: bool = False,
    ) -> Page[User]:
        stmt = select(User)
        if query:
            like = f"%{query.strip().lower()}%"
            stmt = stmt.where(sa.or_(func.lower(User.full_name).like(like), col(User.email).like(like)))
        if role:
            stmt = stmt.where(col(User.id).in_(select(UserRole.user_id).where(UserRole.role == role)))
        order = USER_SORTS.get(sort, User.full_name)
        stmt = stmt.order_by(sa.desc(order) if descending else sa.asc(order), col(User.id))
        return self.paginate(stmt, params)

    def with_role(self, role: Role) -> list[User]:
        stmt = (
            select(User)
            .where(col(User.id).in_(select(UserRole.user_id).where(UserRole.role == role)), User.is_active)
            .order_by(User.full_name)
        )
        return list(self.session.exec(stmt).all())

    def count(self) -> int:
        return int(self.session.exec(select(func.count()).select_from(User)).one())

    def count_active_by_role(self) -> dict[Role, int]:
        """Active users per role, every role present (0 when none), in one grouped query."""
        stmt = (
            select(UserRole.role, func.count())
            .join(User, col(User.id) == UserRole.user_id)
            .where(User.is_active)
            .group_by(UserRole.role)
        )
        counts = {Role(role): int(n) for role, n in self.session.exec(stmt).all()}
        return {role: counts.get(role, 0) for role in Role}


class SessionRepository(Repository[WebSession]):
    model = WebSession
    label = "session"

    def active_by_hash(self, token_hash: str, now: datetime) -> WebSession | None:
        return self.session.exec(
            select(WebSession).where(
                WebSession.token_hash == token_hash,
                col(WebSession.revoked_at).is_(None),
                WebSession.expires_at > now,
            )
        ).first()

    def active_for_user(self, user_id: uuid.UUID, now: datetime) -> list[WebSession]:
        return list(
            self.session.exec(
                select(WebSession).where(
                    WebSession.user_id == user_id,
                    col(WebSession.revoked_at).is_(None),
                    WebSession.expires_at > now,
                )
            ).all()
        )


class ApiTokenRepository(Repository[ApiToken]):
    model = ApiToken
    label = "token"

    def active_by_hash(self, token_hash: str, now: datetime) -> ApiToken | None:
        return self.session.exec(
            select(ApiToken).where(
                ApiToken.token_hash == token_hash,
                col(ApiToken.revoked_at).is_(None),
                sa.or_(col(ApiToken.expires_at).is_(None), col(ApiToken.expires_at) > now),
            )
        ).first()

    def personal_for_user(self, user_id: uuid.UUID) -> list[ApiToken]:
        return list(
            self.session.exec(
                select(ApiToken)
                .where(ApiToken.user_id == user_id, ApiToken.personal, col(ApiToken.revoked_at).is_(None))
                .order_by(col(ApiToken.created_at).desc())
            ).all()
        )


class OneTimeTokenRepository(Repository[OneTimeToken]):
    model = OneTimeToken
    label = "link"

    def by_hash(self, token_hash: str, purpose: TokenPurpose) -> OneTimeToken | None:
        return self.session.exec(
            select(OneTimeToken).where(OneTimeToken.token_hash == token_hash, OneTimeToken.purpose == purpose)
        ).first()

    def pending_invitations(self, params: PageParams) -> Page[OneTimeToken]:
        stmt = (
            select(OneTimeToken)
            .where(OneTimeToken.purpose == TokenPurpose.invitation, col(OneTimeToken.used_at).is_(None))
            .order_by(col(OneTimeToken.created_at).desc())
        )
        return self.paginate(stmt, params)


class LoginAttemptRepository(Repository[LoginAttempt]):
    model = LoginAttempt

    def failures_since(self, *, email: str | None = None, ip_address: str | None = None, since: datetime) -> int:
        stmt = select(func.count()).select_from(LoginAttempt).where(LoginAttempt.attempted_at >= since)
        if email is not None:
            stmt = stmt.where(LoginAttempt.email == email)
        if ip_address is not None:
            stmt = stmt.where(LoginAttempt.ip_address == ip_address)
        return int(self.session.exec(stmt).one())

    def clear_for_email(self, email: str) -> None:
        self.session.execute(sa.delete(LoginAttempt).where(col(LoginAttempt.email) == email))

    def prune(self, before: datetime) -> None:
        self.session.execute(sa.delete(LoginAttempt).where(col(LoginAttempt.attempted_at) < before))


class AuditRepository(Repository[AuditEvent]):
    model = AuditEvent
    label = "audit event"

    def search(
        self,
        params: PageParams,
        *,
        action: str | None = None,
        object_type: str | None = None,
        object_id: str | None = None,
        actor_id: uuid.UUID | None = None,
    ) -> Page[AuditEvent]:
        stmt = select(AuditEvent)
        if action:
            stmt = stmt.where(col(AuditEvent.action).like(f"{action}%"))
        if object_type:
            stmt = stmt.where(AuditEvent.object_type == object_type)
        if object_id:
            stmt = stmt.where(AuditEvent.object_id == object_id)
        if actor_id:
            stmt = stmt.where(AuditEvent.actor_id == actor_id)
        stmt = stmt.order_by(col(AuditEvent.occurred_at).desc(), col(AuditEvent.id))
        return self.paginate(stmt, params)

    def recent(self, limit: int = 8) -> list[AuditEvent]:
        """The latest events, without counting the whole log (which grows without bound)."""
        stmt = select(AuditEvent).order_by(col(AuditEvent.occurred_at).desc(), col(AuditEvent.id)).limit(limit)
        return list(self.session.exec(stmt).all())


def recent_window(now: datetime, minutes: int) -> datetime:
    return now - timedelta(minutes=minutes)
