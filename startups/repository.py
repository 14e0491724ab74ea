"""Queries on startups, including who may see which one."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, func, select

from incubator.models import Role, User
from incubator.pagination import Page, PageParams
from incubator.repository import Repository
from startups.models import MemberRole, Sector, Startup, StartupMember, StartupStatus, TrlEntry

# Upper packages widen what a user may see without this package importing them: mentors register "startups
# assigned to me", investors "startups presenting at demo days I am invited to". Each returns a SELECT of ids.
VisibilityRule = Callable[[User], Any]
_visibility_rules: list[VisibilityRule] = []

STAFF_ROLES = (Role.program_manager, Role.finance)
SORTS: dict[str, Any] = {
    "name": Startup.name,
    "created": Startup.created_at,
    "trl": Startup.trl,
    "sector": Startup.sector,
}


def register_visibility(rule: VisibilityRule) -> None:
    if rule not in _visibility_rules:
        _visibility_rules.append(rule)


def member_startup_ids(user_id: uuid.UUID) -> Any:
    return select(StartupMember.startup_id).where(StartupMember.user_id == user_id)


class StartupRepository(Repository[Startup]):
    model = Startup
    label = "startup"

    def readable_filter(self, user: User) -> Any:
        """A WHERE clause on `startup.id` for what `user` may read; None when they may read every startup."""
        if user.has_role(*STAFF_ROLES):
            return None
        clauses = [col(Startup.id).in_(member_startup_ids(user.id))]
        for rule in _visibility_rules:
            stmt = rule(user)
            if stmt is not None:
                clauses.append(col(Startup.id).in_(stmt))
        return sa.or_(*clauses)

    def readable_by(self, user: User, startup_id: uuid.UUID) -> Startup | None:
        stmt = select(Startup).where(Startup.id == startup_id)
        where = self.readable_filter(user)
        if where is not None:
            stmt = stmt.where(where)
        return self.session.exec(stmt).first()

    def search(
        self,
        user: User,
        params: PageParams,
        *,
        query: str | None = None,
        sector: Sector | None = None,
        status: StartupStatus | None = None,
        sort: str = "name",
        descending: bool = False,
    ) -> Page[Startup]:
        stmt = select(Startup)
        where = self.readable_filter(user)
        if where is not None:
            stmt = stmt.where(where)
        if query:
            stmt = stmt.where(func.lower(Startup.name).like(f"%{query.strip().lower()}%"))
        if sector:
            stmt = stmt.where(Startup.sector == sector)
        if status:
            stmt = stmt.where(Startup.status == status)
        order = SORTS.get(sort, Startup.name)
        stmt = stmt.order_by(sa.desc(order) if descending else sa.asc(order), col(Startup.id))
        return self.paginate(stmt, params)

    def for_member(self, user_id: uuid.UUID) -> list[Startup]:
        stmt = select(Startup).where(col(Startup.id).in_(member_startup_ids(user_id))).order_by(Startup.name)
        return list(self.session.exec(stmt).all())

    def is_member(self, user_id: uuid.UUID, startup_id: uuid.UUID, *, founders_only: bool = False) -> bool:
        stmt = select(StartupMember).where(StartupMember.user_id == user_id, StartupMember.startup_id == startup_id)
        if founders_only:
            stmt = stmt.where(StartupMember.role == MemberRole.founder)
        return self.session.exec(stmt).first() is not None

    def members(self, startup_id: uuid.UUID) -> list[tuple[StartupMember, User]]:
        stmt = (
            select(StartupMember, User)
            .join(User, col(User.id) == StartupMember.user_id)
            .where(StartupMember.startup_id == startup_id)
            .order_by(StartupMember.role, User.full_name)
        )
        return [(m, u) for m, u in self.session.exec(stmt).all()]

    def member(self, startup_id: uuid.UUID, user_id: uuid.UUID) -> StartupMember | None:
        return self.session.get(StartupMember, (startup_id, user_id))

    def founders_count(self, startup_id: uuid.UUID) -> int:
        stmt = (
            select(func.count())
            .select_from(StartupMember)
            .where(StartupMember.startup_id == startup_id, StartupMember.role == MemberRole.founder)
        )
        return int(self.session.exec(stmt).one())

    def trl_history(self, startup_id: uuid.UUID) -> list[TrlEntry]:
        stmt = (
            select(TrlEntry)
            .where(TrlEntry.startup_id == startup_id)
            .order_by(col(TrlEntry.effective_date).desc(), col(TrlEntry.recorded_at).desc())
        )
        return list(self.session.exec(stmt).all())

    def by_name(self, name: str) -> Startup | None:
        return self.session.exec(select(Startup).where(func.lower(Startup.name) == name.strip().lower())).first()

    def count(self) -> int:
        return int(self.session.exec(select(func.count()).select_from(Startup)).one())

    def count_by_sector(self) -> list[tuple[Sector, int]]:
        stmt = select(Startup.sector, func.count()).group_by(Startup.sector).order_by(func.count().desc())
        return [(Sector(s), int(n)) for s, n in self.session.exec(stmt).all()]
