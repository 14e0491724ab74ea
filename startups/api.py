"""JSON API for startups and their teams."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from incubator.api import ERRORS
from incubator.deps import ApiUser, SessionDep
from incubator.pagination import PageOut, PageParams, page_params
from incubator.schemas import UserPublic
from startups import service
from startups.deps import ApiStartup, EditableApiStartup, StartupCreatorApi
from startups.models import Sector, StartupStatus
from startups.repository import StartupRepository
from startups.schemas import (
    MemberAdd,
    MemberPublic,
    SignupCreate,
    StartupCreate,
    StartupPublic,
    StartupUpdate,
    TrlEntryPublic,
)

router = APIRouter(prefix="/api/v1", tags=["startups"], responses={**ERRORS})
Paging = Annotated[PageParams, Depends(page_params)]


@router.post("/signup", response_model=UserPublic, status_code=status.HTTP_201_CREATED, name="api.signup")
def signup(body: SignupCreate, session: SessionDep) -> UserPublic:
    """A founder creates an account and their startup in one step."""
    user, _ = service.sign_up_founder(
        session,
        full_name=body.full_name,
        email=body.email,
        password=body.password,
        startup_name=body.startup_name,
        sector=body.sector,
    )
    return UserPublic.model_validate(user)


@router.get("/startups", response_model=PageOut[StartupPublic], name="api.startups.list")
def list_startups(
    user: ApiUser,
    session: SessionDep,
    paging: Paging,
    q: Annotated[str | None, Query(max_length=100, description="Name contains")] = None,
    sector: Sector | None = None,
    status_: Annotated[StartupStatus | None, Query(alias="status")] = None,
    sort: Annotated[str, Query(pattern="^(name|created|trl|sector)$")] = "name",
    desc: bool = False,
) -> PageOut[StartupPublic]:
    """Startups you may see: your own as a founder, all of them as programme or finance staff."""
    page = StartupRepository(session).search(
        user, paging, query=q, sector=sector, status=status_, sort=sort, descending=desc
    )
    return PageOut[StartupPublic](
        items=[StartupPublic.model_validate(s) for s in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post("/startups", response_model=StartupPublic, status_code=status.HTTP_201_CREATED, name="api.startups.create")
def create_startup(body: StartupCreate, user: StartupCreatorApi, session: SessionDep) -> StartupPublic:
    """Create a startup (founders and programme managers). A founder who creates one becomes its founder."""
    return StartupPublic.model_validate(service.create_startup(session, data=body, actor=user))


@router.get("/startups/{startup_id}", response_model=StartupPublic, name="api.startups.detail")
def get_startup(startup: ApiStartup) -> StartupPublic:
    """One startup's profile."""
    return StartupPublic.model_validate(startup)


@router.patch("/startups/{startup_id}", response_model=StartupPublic, name="api.startups.update")
def update_startup(
    startup: EditableApiStartup, body: StartupUpdate, user: ApiUser, session: SessionDep
) -> StartupPublic:
    """Edit the profile (founders of the startup, programme staff). A TRL change is added to the history."""
    return StartupPublic.model_validate(service.update_startup(session, startup=startup, data=body, actor=user))


@router.get("/startups/{startup_id}/trl-history", response_model=list[TrlEntryPublic], name="api.startups.trl")
def trl_history(startup: ApiStartup, session: SessionDep) -> list[TrlEntryPublic]:
    """The dated history of the startup's technology readiness level, newest first."""
    return [TrlEntryPublic.model_validate(e) for e in StartupRepository(session).trl_history(startup.id)]


@router.get("/startups/{startup_id}/members", response_model=list[MemberPublic], name="api.startups.members")
def members(startup: ApiStartup, session: SessionDep) -> list[MemberPublic]:
    """The team."""
    return [
        MemberPublic(user_id=u.id, full_name=u.full_name, email=u.email, role=m.role, joined_at=m.joined_at)
        for m, u in StartupRepository(session).members(startup.id)
    ]


@router.post(
    "/startups/{startup_id}/members",
    response_model=MemberPublic,
    status_code=status.HTTP_201_CREATED,
    name="api.startups.members.add",
)
def add_member(startup: EditableApiStartup, body: MemberAdd, user: ApiUser, session: SessionDep) -> MemberPublic:
    """Add a person with an account to the team (founders of the startup, programme staff)."""
    member = service.add_member(session, startup=startup, email=body.email, role=body.role, actor=user)
    added = session.get_one(type(user), member.user_id)
    return MemberPublic(
        user_id=added.id,
        full_name=added.full_name,
        email=added.email,
        role=member.role,
        joined_at=member.joined_at,
    )


@router.delete(
    "/startups/{startup_id}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    name="api.startups.members.remove",
)
def remove_member(startup: EditableApiStartup, user_id: uuid.UUID, user: ApiUser, session: SessionDep) -> None:
    """Remove a person from the team; the last founder cannot be removed."""
    service.remove_member(session, startup=startup, user_id=user_id, actor=user)
