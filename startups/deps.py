"""Load-or-404 dependencies for startups, scoped by who asks."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from incubator.deps import ApiUser, PageUser, SessionDep
from incubator.errors import NotFound
from incubator.models import User
from startups.models import Startup
from startups.repository import StartupRepository


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
