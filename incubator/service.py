"""Use cases of accounts: sign-in and throttling, sessions and tokens, invitations, password resets, roles."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from incubator import audit
from incubator.config import get_settings
from incubator.db import utcnow
from incubator.email import queue_email
from incubator.errors import AppError, Conflict, NotAuthenticated, NotFound, TooManyAttempts, ValidationFailed
from incubator.models import (
    ApiToken,
    LoginAttempt,
    OneTimeToken,
    Role,
    TokenPurpose,
    User,
    UserRole,
    WebSession,
)
from incubator.repository import (
    ApiTokenRepository,
    LoginAttemptRepository,
    OneTimeTokenRepository,
    SessionRepository,
    UserRepository,
    recent_window,
)
from incubator.security import hash_password, new_token, password_problem, token_hash, verify_password

API_TOKEN_HOURS = 12


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(
    session: Session,
    *,
    email: str,
    full_name: str,
    roles: list[Role] | set[Role],
    password: str | None = None,
    actor: User | None = None,
) -> User:
    email = normalise_email(email)
    if UserRepository(session).by_email(email) is not None:
        raise Conflict(
            f"An account with the e-mail {email} already exists.",
            field_errors={"email": "An account with this e-mail already exists. Log in instead."},
        )
    if password is not None:
        problem = password_problem(password)
        if problem:
            raise ValidationFailed(problem, field_errors={"password": problem})
    user = User(
        email=email,
        full_name=full_name.strip(),
        password_hash=hash_password(password) if password else None,
        is_active=password is not None,
    )
    user.roles = [UserRole(user_id=user.id, role=r) for r in sorted(set(roles))]
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="user.create",
        object_type="user",
        object_id=user.id,
        summary=f"Account {email} created",
        after={"roles": sorted(r.value for r in roles)},
    )
    return user


def _check_throttle(session: Session, email: str, ip_address: str) -> None:
    settings = get_settings()
    repo = LoginAttemptRepository(session)
    since = recent_window(utcnow(), settings.login_window_minutes)
    if repo.failures_since(email=email, since=since) >= settings.login_max_failures:
        raise TooManyAttempts(
            f"Too many failed log-ins for this account. Wait {settings.login_window_minutes} minutes, "
            "or reset your password."
        )
    if repo.failures_since(ip_address=ip_address, since=since) >= settings.login_max_failures * 4:
        raise TooManyAttempts(
            f"Too many failed log-ins from your network. Wait {settings.login_window_minutes} minutes."
        )


@dataclass(frozen=True)
class LoginOutcome:
    user: User | None
    error: AppError | None


def authenticate(session: Session, *, email: str, password: str, ip_address: str) -> LoginOutcome:
    """Check the credentials, counting failures per account and per address.

    A failure is returned rather than raised, so the failed attempt it recorded commits with the request.
    """
    email = normalise_email(email)
    try:
        _check_throttle(session, email, ip_address)
    except TooManyAttempts as exc:
        return LoginOutcome(None, exc)
    user = UserRepository(session).by_email(email)
    ok = verify_password(password, user.password_hash if user else None)
    if user is None or not ok or not user.is_active:
        session.add(LoginAttempt(email=email, ip_address=ip_address))
        session.flush()
        return LoginOutcome(None, NotAuthenticated("The e-mail or password is wrong.", keep_changes=True))
    LoginAttemptRepository(session).clear_for_email(email)
    user.last_login_at = utcnow()
    session.add(user)
    return LoginOutcome(user, None)


def start_web_session(session: Session, *, user: User, ip_address: str | None, user_agent: str | None) -> str:
    token = new_token()
    now = utcnow()
    session.add(
        WebSession(
            token_hash=token_hash(token),
            user_id=user.id,
            expires_at=now + timedelta(days=get_settings().session_days),
            ip_address=ip_address,
            user_agent=(user_agent or "")[:300],
        )
    )
    session.flush()
    return token


def end_web_session(session: Session, *, raw_token: str | None) -> None:
    if not raw_token:
        return
    web_session = SessionRepository(session).active_by_hash(token_hash(raw_token), utcnow())
    if web_session is not None:
        web_session.revoked_at = utcnow()
        session.add(web_session)


def revoke_all_sessions(session: Session, *, user: User) -> None:
    now = utcnow()
    for web_session in SessionRepository(session).active_for_user(user.id, now):
        web_session.revoked_at = now
        session.add(web_session)


def issue_api_token(session: Session, *, user: User) -> tuple[str, datetime]:
    token = new_token()
    expires = utcnow() + timedelta(hours=API_TOKEN_HOURS)
    session.add(
        ApiToken(
            token_hash=token_hash(token),
            prefix=token[:8],
            user_id=user.id,
            name="password flow",
            expires_at=expires,
        )
    )
    session.flush()
    return token, expires


def create_personal_token(
    session: Session, *, user: User, name: str, expires_in_days: int | None
) -> tuple[ApiToken, str]:
    token = "inc_" + new_token()
    api_token = ApiToken(
        token_hash=token_hash(token),
        prefix=token[:12],
        user_id=user.id,
        name=name,
        personal=True,
        expires_at=utcnow() + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    session.add(api_token)
    session.flush()
    audit.record(
        session,
        actor=user,
        action="token.create",
        object_type="api_token",
        object_id=api_token.id,
        summary=name,
    )
    return api_token, token


def revoke_personal_token(session: Session, *, user: User, token_id: uuid.UUID) -> None:
    api_token = ApiTokenRepository(session).get(token_id)
    if api_token is None or api_token.user_id != user.id or not api_token.personal:
        raise NotFound("No token with that id.")
    if api_token.revoked_at is not None:
        raise Conflict("This token is already revoked.")
    api_token.revoked_at = utcnow()
    session.add(api_token)
    audit.record(
        session,
        actor=user,
        action="token.revoke",
        object_type="api_token",
        object_id=api_token.id,
        summary=api_token.name,
    )


def _one_time_token(
    session: Session, *, user: User, purpose: TokenPurpose, lifetime: timedelta, created_by: User | None
) -> str:
    token = new_token()
    session.add(
        OneTimeToken(
            token_hash=token_hash(token),
            purpose=purpose,
            user_id=user.id,
            created_by_id=created_by.id if created_by else None,
            expires_at=utcnow() + lifetime,
        )
    )
    session.flush()
    return token


def invite_user(session: Session, *, email: str, full_name: str, roles: list[Role], actor: User) -> OneTimeToken:
    """Create an inactive account and e-mail a one-time link that lets the invitee choose a password."""
    user = create_user(session, email=email, full_name=full_name, roles=roles, actor=actor)
    settings = get_settings()
    token = _one_time_token(
        session,
        user=user,
        purpose=TokenPurpose.invitation,
        lifetime=timedelta(days=settings.invitation_days),
        created_by=actor,
    )
    queue_email(
        session,
        to=user.email,
        subject="You are invited to Incubator",
        template="invitation",
        context={
            "name": user.full_name,
            "inviter": actor.full_name,
            "roles": ", ".join(r.label for r in roles),
            "link": f"{settings.base_url}/invitations/{token}",
            "days": settings.invitation_days,
        },
        kind="invitation",
    )
    audit.record(
        session,
        actor=actor,
        action="user.invite",
        object_type="user",
        object_id=user.id,
        summary=f"Invited {user.email} as {', '.join(r.value for r in roles)}",
    )
    one_time = OneTimeTokenRepository(session).by_hash(token_hash(token), TokenPurpose.invitation)
    assert one_time is not None
    return one_time


def _usable(session: Session, raw: str, purpose: TokenPurpose) -> tuple[OneTimeToken, User]:
    found = OneTimeTokenRepository(session).by_hash(token_hash(raw), purpose)
    what = "invitation" if purpose == TokenPurpose.invitation else "password reset link"
    if found is None:
        raise NotFound(f"This {what} is not valid. Check that you copied the whole link.")
    if found.used_at is not None:
        raise Conflict(f"This {what} has already been used. Log in, or ask for a new one.")
    if found.expires_at <= utcnow():
        raise Conflict(f"This {what} has expired. Ask for a new one.")
    user = session.get(User, found.user_id)
    if user is None:
        raise NotFound(f"This {what} is not valid.")
    return found, user


def check_one_time_token(session: Session, *, raw: str, purpose: TokenPurpose) -> User:
    return _usable(session, raw, purpose)[1]


def accept_invitation(session: Session, *, raw: str, password: str) -> User:
    found, user = _usable(session, raw, TokenPurpose.invitation)
    problem = password_problem(password)
    if problem:
        raise ValidationFailed(problem, field_errors={"password": problem})
    found.used_at = utcnow()
    user.password_hash = hash_password(password)
    user.is_active = True
    session.add_all([found, user])
    audit.record(session, actor=user, action="user.accept_invitation", object_type="user", object_id=user.id)
    return user


def request_password_reset(session: Session, *, email: str) -> None:
    """Always answers the same way, so the form does not reveal which e-mails have accounts."""
    user = UserRepository(session).by_email(normalise_email(email))
    if user is None or not user.is_active:
        return
    settings = get_settings()
    token = _one_time_token(
        session,
        user=user,
        purpose=TokenPurpose.password_reset,
        lifetime=timedelta(hours=settings.password_reset_hours),
        created_by=None,
    )
    queue_email(
        session,
        to=user.email,
        subject="Reset your Incubator password",
        template="password_reset",
        context={
            "name": user.full_name,
            "link": f"{settings.base_url}/reset-password/{token}",
            "hours": settings.password_reset_hours,
        },
        kind="password_reset",
    )


def reset_password(session: Session, *, raw: str, password: str) -> User:
    found, user = _usable(session, raw, TokenPurpose.password_reset)
    problem = password_problem(password)
    if problem:
        raise ValidationFailed(problem, field_errors={"password": problem})
    found.used_at = utcnow()
    user.password_hash = hash_password(password)
    session.add_all([found, user])
    revoke_all_sessions(session, user=user)
    LoginAttemptRepository(session).clear_for_email(user.email)
    audit.record(session, actor=user, action="user.reset_password", object_type="user", object_id=user.id)
    return user


def update_user(
    session: Session,
    *,
    user: User,
    actor: User,
    full_name: str | None = None,
    roles: list[Role] | None = None,
    is_active: bool | None = None,
) -> User:
    before = {
        "full_name": user.full_name,
        "roles": sorted(r.value for r in user.role_set),
        "is_active": user.is_active,
    }
    if user.id == actor.id and (is_active is False or (roles is not None and Role.admin not in roles)):
        raise Conflict("You cannot remove your own administrator access or deactivate yourself.")
    if full_name is not None:
        user.full_name = full_name
    if roles is not None:
        wanted = set(roles)
        user.roles = [r for r in user.roles if r.role in wanted] + [
            UserRole(user_id=user.id, role=r) for r in sorted(wanted - user.role_set)
        ]
    if is_active is not None:
        user.is_active = is_active
        if not is_active:
            revoke_all_sessions(session, user=user)
    session.add(user)
    session.flush()
    after = {
        "full_name": user.full_name,
        "roles": sorted(r.value for r in user.role_set),
        "is_active": user.is_active,
    }
    if after != before:
        audit.record(
            session,
            actor=actor,
            action="user.update",
            object_type="user",
            object_id=user.id,
            summary=f"Updated {user.email}",
            before=before,
            after=after,
        )
    return user
