"""Dependencies shared by every package: the session, who is asking, role checks and CSRF."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlmodel import Session

from incubator.db import get_session, utcnow
from incubator.errors import NotAuthenticated, PermissionDenied
from incubator.models import Role, User
from incubator.repository import ApiTokenRepository, SessionRepository
from incubator.security import csrf_token_valid, token_hash
from incubator.web import CSRF_COOKIE, remember_user

SESSION_COOKIE = "incubator_session"
TOUCH_EVERY = timedelta(minutes=5)

# `scope="function"`: the transaction commits before the response is sent, so a client never sees success for a
# change that then fails to commit.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def _page_user(request: Request, session: SessionDep) -> User | None:
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    now = utcnow()
    web_session = SessionRepository(session).active_by_hash(token_hash(raw), now)
    if web_session is None:
        return None
    user = session.get(User, web_session.user_id)
    if user is None or not user.is_active:
        return None
    if now - web_session.last_seen_at > TOUCH_EVERY:
        web_session.last_seen_at = now
        session.add(web_session)
    request.state.user = user
    request.state.web_session_id = web_session.id
    remember_user(request, user)
    return user


def _api_user(request: Request, session: SessionDep, token: Annotated[str | None, Depends(oauth2_scheme)]) -> User:
    if not token:
        raise NotAuthenticated("Send a bearer token: POST /api/v1/auth/token or a personal access token.")
    now = utcnow()
    api_token = ApiTokenRepository(session).active_by_hash(token_hash(token), now)
    if api_token is None:
        raise NotAuthenticated("The token is unknown, expired or revoked.")
    user = session.get(User, api_token.user_id)
    if user is None or not user.is_active:
        raise NotAuthenticated("This account is not active.")
    if api_token.last_used_at is None or now - api_token.last_used_at > TOUCH_EVERY:
        api_token.last_used_at = now
        session.add(api_token)
    request.state.user = user
    return user


def _page_user_required(user: Annotated[User | None, Depends(_page_user)]) -> User:
    if user is None:
        raise NotAuthenticated("Please log in to continue.")
    return user


OptionalPageUser = Annotated[User | None, Depends(_page_user)]
PageUser = Annotated[User, Depends(_page_user_required)]
ApiUser = Annotated[User, Depends(_api_user)]


def _role_checker(base: Callable[..., User], roles: tuple[Role, ...]) -> Callable[..., User]:
    names = ", ".join(r.label.lower() for r in roles)

    # The dependency is a default value, not an annotation: annotations are strings here and `base` is local.
    def check(user: User = Depends(base)) -> User:
        if not user.has_role(*roles):
            raise PermissionDenied(f"This needs the role of {names}.")
        return user

    return check


def page_roles(*roles: Role) -> Callable[..., User]:
    """A page dependency: signed in and holding one of `roles` (admins pass every check)."""
    return _role_checker(_page_user_required, roles)


def api_roles(*roles: Role) -> Callable[..., User]:
    return _role_checker(_api_user, roles)


async def verify_csrf(request: Request) -> None:
    """Every unsafe HTML form carries the token; attached to every page router."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    submitted = request.headers.get("x-csrf-token")
    if submitted is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get("csrf_token")
            submitted = value if isinstance(value, str) else None
    binding = request.cookies.get(CSRF_COOKIE)
    if not csrf_token_valid(binding, submitted):
        raise PermissionDenied("This form has expired or did not come from this site. Reload the page and try again.")


# Role aliases used by pages and the API of every package.
AdminPage = Annotated[User, Depends(page_roles(Role.admin))]
AdminApi = Annotated[User, Depends(api_roles(Role.admin))]
