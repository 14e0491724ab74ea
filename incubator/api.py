"""JSON API of the kernel: tokens, the current user, users and invitations, audit log."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request, status
from fastapi.security import OAuth2PasswordRequestForm

from incubator import service
from incubator.deps import AdminApi, ApiUser, SessionDep
from incubator.models import Role, TokenPurpose
from incubator.pagination import PageOut, PageParams, page_params
from incubator.repository import ApiTokenRepository, AuditRepository, OneTimeTokenRepository, UserRepository
from incubator.schemas import (
    AuditEventPublic,
    InvitationCreate,
    InvitationPublic,
    PasswordSet,
    PersonalTokenCreate,
    PersonalTokenCreated,
    PersonalTokenPublic,
    Problem,
    TokenResponse,
    UserPublic,
    UserUpdate,
)

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "Not signed in"},
    403: {"model": Problem, "description": "Not allowed"},
    404: {"model": Problem, "description": "Not found"},
    409: {"model": Problem, "description": "Conflict with the current state"},
}
router = APIRouter(prefix="/api/v1", responses={**ERRORS})
Paging = Annotated[PageParams, Depends(page_params)]


@router.post(
    "/auth/token",
    response_model=TokenResponse,
    tags=["auth"],
    name="api.auth.token",
    responses={429: {"model": Problem, "description": "Too many failed log-ins"}},
)
def token(
    request: Request,
    session: SessionDep,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> TokenResponse:
    """OAuth2 password flow: exchange an e-mail (as `username`) and password for a bearer token (12 hours)."""
    ip = request.client.host if request.client else "unknown"
    outcome = service.authenticate(session, email=form.username, password=form.password, ip_address=ip)
    if outcome.user is None:
        assert outcome.error is not None
        raise outcome.error
    raw, expires = service.issue_api_token(session, user=outcome.user)
    return TokenResponse(access_token=raw, expires_at=expires)


@router.get("/me", response_model=UserPublic, tags=["auth"], name="api.me")
def me(user: ApiUser) -> UserPublic:
    """The signed-in user and their roles."""
    return UserPublic.model_validate(user)


@router.get("/me/tokens", response_model=list[PersonalTokenPublic], tags=["auth"], name="api.me.tokens")
def my_tokens(user: ApiUser, session: SessionDep) -> list[PersonalTokenPublic]:
    """Your personal access tokens (their secrets are never shown again)."""
    return [PersonalTokenPublic.model_validate(t) for t in ApiTokenRepository(session).personal_for_user(user.id)]


@router.post(
    "/me/tokens",
    response_model=PersonalTokenCreated,
    status_code=status.HTTP_201_CREATED,
    tags=["auth"],
    name="api.me.tokens.create",
)
def create_token(body: PersonalTokenCreate, user: ApiUser, session: SessionDep) -> PersonalTokenCreated:
    """Create a personal access token for scripts. The secret is in this answer only."""
    api_token, raw = service.create_personal_token(
        session, user=user, name=body.name, expires_in_days=body.expires_in_days
    )
    return PersonalTokenCreated.model_validate(
        {**PersonalTokenPublic.model_validate(api_token).model_dump(), "token": raw}
    )


@router.delete(
    "/me/tokens/{token_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["auth"],
    name="api.me.tokens.revoke",
)
def revoke_token(token_id: uuid.UUID, user: ApiUser, session: SessionDep) -> None:
    """Revoke one of your personal access tokens."""
    service.revoke_personal_token(session, user=user, token_id=token_id)


@router.get("/users", response_model=PageOut[UserPublic], tags=["users"], name="api.users.list")
def list_users(
    _: AdminApi,
    session: SessionDep,
    paging: Paging,
    q: Annotated[str | None, Query(max_length=100, description="Name or e-mail contains")] = None,
    role: Role | None = None,
    sort: Annotated[str, Query(pattern="^(name|email|created|last_login)$")] = "name",
    desc: bool = False,
) -> PageOut[UserPublic]:
    """All users (admins), searchable by name or e-mail and filterable by role."""
    page = UserRepository(session).search(paging, query=q, role=role, sort=sort, descending=desc)
    return PageOut[UserPublic](
        items=[UserPublic.model_validate(u) for u in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/users/{user_id}", response_model=UserPublic, tags=["users"], name="api.users.detail")
def get_user(user_id: uuid.UUID, _: AdminApi, session: SessionDep) -> UserPublic:
    """One user (admins)."""
    return UserPublic.model_validate(UserRepository(session).get_or_404(user_id))


@router.patch("/users/{user_id}", response_model=UserPublic, tags=["users"], name="api.users.update")
def update_user(user_id: uuid.UUID, body: UserUpdate, admin: AdminApi, session: SessionDep) -> UserPublic:
    """Change a user's name, roles or access (admins). Audited."""
    user = UserRepository(session).get_or_404(user_id)
    service.update_user(
        session, user=user, actor=admin, full_name=body.full_name, roles=body.roles, is_active=body.is_active
    )
    return UserPublic.model_validate(user)


@router.get("/invitations", response_model=PageOut[InvitationPublic], tags=["users"], name="api.invitations.list")
def list_invitations(_: AdminApi, session: SessionDep, paging: Paging) -> PageOut[InvitationPublic]:
    """Invitations not yet accepted (admins)."""
    page = OneTimeTokenRepository(session).pending_invitations(paging)
    users = UserRepository(session)
    items = []
    for inv in page.items:
        invitee = users.get_or_404(inv.user_id)
        items.append(
            InvitationPublic(
                id=inv.id,
                email=invitee.email,
                full_name=invitee.full_name,
                roles=sorted(invitee.role_set),
                expires_at=inv.expires_at,
                used_at=inv.used_at,
            )
        )
    return PageOut[InvitationPublic](items=items, total=page.total, limit=page.limit, offset=page.offset)


@router.post(
    "/invitations",
    response_model=InvitationPublic,
    status_code=status.HTTP_201_CREATED,
    tags=["users"],
    name="api.invitations.create",
)
def create_invitation(body: InvitationCreate, admin: AdminApi, session: SessionDep) -> InvitationPublic:
    """Invite a person by e-mail with one or more roles; they choose a password through a one-time link."""
    inv = service.invite_user(session, email=body.email, full_name=body.full_name, roles=body.roles, actor=admin)
    return InvitationPublic(
        id=inv.id,
        email=body.email,
        full_name=body.full_name,
        roles=sorted(set(body.roles)),
        expires_at=inv.expires_at,
        used_at=None,
    )


@router.post("/invitations/accept", response_model=UserPublic, tags=["users"], name="api.invitations.accept")
def accept_invitation(body: PasswordSet, session: SessionDep) -> UserPublic:
    """Accept an invitation with the token from its link and choose a password."""
    return UserPublic.model_validate(service.accept_invitation(session, raw=body.token, password=body.password))


@router.post(
    "/password-resets",
    status_code=status.HTTP_202_ACCEPTED,
    tags=["auth"],
    name="api.password_resets.request",
)
def request_reset(session: SessionDep, email: Annotated[str, Form(max_length=254)]) -> dict[str, str]:
    """Ask for a password-reset link by e-mail. The answer is the same whether or not the account exists."""
    service.request_password_reset(session, email=email)
    return {"detail": "If an account exists for that e-mail, a reset link is on its way."}


@router.post("/password-resets/confirm", response_model=UserPublic, tags=["auth"], name="api.password_resets.confirm")
def confirm_reset(body: PasswordSet, session: SessionDep) -> UserPublic:
    """Set a new password with the token from a reset link; every signed-in session is ended."""
    service.check_one_time_token(session, raw=body.token, purpose=TokenPurpose.password_reset)
    return UserPublic.model_validate(service.reset_password(session, raw=body.token, password=body.password))


@router.get("/audit-events", response_model=PageOut[AuditEventPublic], tags=["audit"], name="api.audit.list")
def audit_events(
    _: AdminApi,
    session: SessionDep,
    paging: Paging,
    action: Annotated[str | None, Query(max_length=100)] = None,
    object_type: Annotated[str | None, Query(max_length=60)] = None,
    object_id: Annotated[str | None, Query(max_length=64)] = None,
) -> PageOut[AuditEventPublic]:
    """The audit log, newest first (admins)."""
    page = AuditRepository(session).search(paging, action=action, object_type=object_type, object_id=object_id)
    return PageOut[AuditEventPublic](
        items=[AuditEventPublic.model_validate(e) for e in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )
