"""Load-or-404 dependencies for startups, scoped by who asks."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from incubator.deps import ApiUser, PageUser, SessionDep, api_roles
from incubator.errors import NotFound, PermissionDenied
from incubator.models import Role, User
from startups.models import Startup
from startups.repository import StartupRepository
from startups.service import can_edit


def _load(session: SessionDep, user: User, startup_id: uuid.UUID) -> Startup:
    startup = StartupRepository(session).readable_by(user, startup_id)
    if startup is None:
        # 404 rather than 403: whether another company exists here is not for everyone to learn.
        raise NotFound("No startup with that id, or it is not visible to you.")
    return startup


def readable_startup_api(startup_id: uuid.UUID, session: SessionDep, user: ApiUser) -> Startup:
    return _load(session, user, startup_id)


def readable_startup_page(startup_id: uuid.UUID, session: SessionDep, user: PageUser) -> Startup:
    return _load(session, user, startup_id)


ApiStartup = Annotated[Startup, Depends(readable_startup_api)]
PageStartup = Annotated[Startup, Depends(readable_startup_page)]


# Authorisation before validation: a user who may not edit gets 403 whatever they send, never a list of field errors.
def _editable(session: SessionDep, user: User, startup: Startup) -> Startup:
    if not can_edit(session, user, startup):
        raise PermissionDenied("Only the startup's founders and programme staff can change it.")
    return startup


def editable_startup_api(startup: ApiStartup, session: SessionDep, user: ApiUser) -> Startup:
    return _editable(session, user, startup)


def editable_startup_page(startup: PageStartup, session: SessionDep, user: PageUser) -> Startup:
    return _editable(session, user, startup)


EditableApiStartup = Annotated[Startup, Depends(editable_startup_api)]
EditablePageStartup = Annotated[Startup, Depends(editable_startup_page)]
StartupCreatorApi = Annotated[User, Depends(api_roles(Role.founder, Role.program_manager))]
