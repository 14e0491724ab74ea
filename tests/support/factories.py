"""Builders with keyword-only arguments, and ways to act as a user in a test."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlmodel import Session

from incubator import service as accounts
from incubator.deps import SESSION_COOKIE
from incubator.models import Role, User
from incubator.security import csrf_token_for
from incubator.web import CSRF_COOKIE
from startups.models import MemberRole, Sector, Startup, StartupMember

PASSWORD = "correct-horse-battery"
_seq = itertools.count(1)


def make_user(
    session: Session,
    *,
    roles: list[Role] | None = None,
    email: str | None = None,
    full_name: str | None = None,
    password: str | None = PASSWORD,
) -> User:
    n = next(_seq)
    user = accounts.create_user(
        session,
        email=email or f"user{n}@example.org",
        full_name=full_name or f"Test User {n}",
        roles=roles or [Role.founder],
        password=password,
    )
    session.commit()
    return user


def make_startup(
    session: Session,
    *,
    name: str | None = None,
    founder: User | None = None,
    sector: Sector = Sector.biomanufacturing,
) -> Startup:
    startup = Startup(name=name or f"Startup {next(_seq)}", sector=sector)
    session.add(startup)
    session.flush()
    if founder is not None:
        session.add(StartupMember(startup_id=startup.id, user_id=founder.id, role=MemberRole.founder))
    session.commit()
    return startup


def sign_in(client: TestClient, session: Session, user: User) -> TestClient:
    """Give the client a browser session for `user` and a CSRF cookie."""
    raw = accounts.start_web_session(session, user=user, ip_address="127.0.0.1", user_agent="pytest")
    session.commit()
    client.cookies.set(SESSION_COOKIE, raw)
    ensure_csrf(client)
    return client


def ensure_csrf(client: TestClient) -> str:
    if not client.cookies.get(CSRF_COOKIE):
        client.cookies.set(CSRF_COOKIE, "test-csrf-binding")
    return csrf_token_for(client.cookies.get(CSRF_COOKIE) or "")


def post_form(client: TestClient, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
    """POST a form as a browser would, with its CSRF token."""
    payload = dict(data or {})
    payload.setdefault("csrf_token", ensure_csrf(client))
    return client.post(url, data=payload, **kwargs)


def bearer(session: Session, user: User) -> dict[str, str]:
    token, _ = accounts.issue_api_token(session, user=user)
    session.commit()
    return {"Authorization": f"Bearer {token}"}
