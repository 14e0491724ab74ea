"""Use cases for startups: founder sign-up, profile edits with TRL history, team membership."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session

from incubator import audit
from incubator import service as accounts
from incubator.db import utcnow
from incubator.errors import Conflict, NotFound, PermissionDenied
from incubator.models import Role, User, UserRole
from incubator.repository import UserRepository
from startups.models import MemberRole, Sector, Startup, StartupMember, TrlEntry
from startups.repository import StartupRepository
from startups.schemas import StartupCreate, StartupUpdate

EDITOR_ROLES = (Role.program_manager,)


def can_edit(session: Session, user: User, startup: Startup) -> bool:
    return user.has_role(*EDITOR_ROLES) or StartupRepository(session).is_member(user.id, startup.id, founders_only=True)


def can_see_billing(session: Session, user: User, startup: Startup) -> bool:
    """The billing contact and tax ID: for who edits the profile, and for finance, who invoices the startup."""
    return user.has_role(Role.finance) or can_edit(session, user, startup)


def sign_up_founder(
    session: Session, *, full_name: str, email: str, password: str, startup_name: str, sector: Sector
) -> tuple[User, Startup]:
    """A founder creates their account and their startup at once, and becomes its first founder."""
    user = accounts.create_user(session, email=email, full_name=full_name, roles=[Role.founder], password=password)
    startup = _create(session, data=StartupCreate(name=startup_name, sector=sector), actor=user)
    session.add(StartupMember(startup_id=startup.id, user_id=user.id, role=MemberRole.founder))
    session.flush()
    return user, startup


def _create(session: Session, *, data: StartupCreate, actor: User) -> Startup:
    startup = Startup(**data.model_dump())
    session.add(startup)
    session.flush()
    session.add(TrlEntry(startup_id=startup.id, trl=startup.trl, effective_date=date.today(), recorded_by_id=actor.id))
    audit.record(
        session,
        actor=actor,
        action="startup.create",
        object_type="startup",
        object_id=startup.id,
        summary=startup.name,
    )
    return startup


def create_startup(session: Session, *, data: StartupCreate, actor: User) -> Startup:
    """Staff create any startup; a founder who creates one becomes its founder."""
    startup = _create(session, data=data, actor=actor)
    if not actor.has_role(*EDITOR_ROLES) or Role.founder in actor.role_set:
        session.add(StartupMember(startup_id=startup.id, user_id=actor.id, role=MemberRole.founder))
        session.flush()
    return startup


def update_startup(session: Session, *, startup: Startup, data: StartupUpdate, actor: User) -> Startup:
    if not can_edit(session, actor, startup):
        raise PermissionDenied("Only the startup's founders and programme staff can edit its profile.")
    changes = data.model_dump(exclude_unset=True)
    note = changes.pop("trl_note", None) or ""
    if "status" in changes and not actor.has_role(*EDITOR_ROLES):
        raise PermissionDenied("Only programme staff change a startup's status.")
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for key, value in changes.items():
        if getattr(startup, key) != value:
            before[key] = getattr(startup, key)
            after[key] = value
            setattr(startup, key, value)
    if "trl" in after:
        session.add(
            TrlEntry(
                startup_id=startup.id,
                trl=after["trl"],
                effective_date=date.today(),
                note=note,
                recorded_by_id=actor.id,
            )
        )
    if after:
        startup.updated_at = utcnow()
        session.add(startup)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="startup.update",
            object_type="startup",
            object_id=startup.id,
            summary=f"Profile of {startup.name} changed",
            before=before,
            after=after,
        )
    return startup


def add_member(session: Session, *, startup: Startup, email: str, role: MemberRole, actor: User) -> StartupMember:
    if not can_edit(session, actor, startup):
        raise PermissionDenied("Only the startup's founders and programme staff can change its team.")
    user = UserRepository(session).by_email(email)
    if user is None:
        raise NotFound(
            "No account has that e-mail. Ask them to sign up first, or ask an administrator to invite them.",
            field_errors={"email": "No account has this e-mail."},
        )
    repo = StartupRepository(session)
    if repo.member(startup.id, user.id) is not None:
        raise Conflict(f"{user.full_name} is already on the team.", field_errors={"email": "Already on the team."})
    member = StartupMember(startup_id=startup.id, user_id=user.id, role=role)
    session.add(member)
    if Role.founder not in user.role_set:
        # Working at a startup is what the founder role means; it gives access to the founders' pages.
        user.roles.append(UserRole(user_id=user.id, role=Role.founder))
        session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="startup.member_add",
        object_type="startup",
        object_id=startup.id,
        summary=f"{user.email} joined {startup.name} as {role.value}",
    )
    return member


def remove_member(session: Session, *, startup: Startup, user_id: Any, actor: User) -> None:
    if not can_edit(session, actor, startup):
        raise PermissionDenied("Only the startup's founders and programme staff can change its team.")
    repo = StartupRepository(session)
    member = repo.member(startup.id, user_id)
    if member is None:
        raise NotFound("That person is not on the team.")
    if member.role == MemberRole.founder and repo.founders_count(startup.id) <= 1:
        raise Conflict("A startup needs at least one founder. Add another founder before removing this one.")
    session.delete(member)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="startup.member_remove",
        object_type="startup",
        object_id=startup.id,
        summary=f"Member {user_id} removed",
    )
