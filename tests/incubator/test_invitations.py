"""Invitations and password resets: one-time, expiring links sent through the outbox."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from incubator.deps import SESSION_COOKIE
from incubator.models import AuditEvent, Role, TokenPurpose, User, WebSession
from tests.incubator.builders import emails_to, expire, link_in_last_email
from tests.support.factories import PASSWORD, bearer, make_user, post_form, sign_in

NEW_PASSWORD = "a-brand-new-password"


def _invite_by_api(client: TestClient, session: Session, email: str, roles: list[str]) -> None:
    admin = make_user(session, roles=[Role.admin])
    response = client.post(
        "/api/v1/invitations",
        json={"email": email, "full_name": "Ines Vited", "roles": roles},
        headers=bearer(session, admin),
    )
    assert response.status_code == 201, response.text
    assert response.json()["roles"] == sorted(roles)


def test_invitation_by_api_then_accept_on_the_page_then_log_in(client: TestClient, session: Session) -> None:
    _invite_by_api(client, session, "ines@example.org", ["mentor", "investor"])
    invitee = session.exec(select(User).where(User.email == "ines@example.org")).one()
    assert not invitee.is_active
    assert invitee.password_hash is None
    mail = emails_to(session, "ines@example.org")[-1]
    assert mail.kind == "invitation"
    path, _ = link_in_last_email(session, "ines@example.org")
    # Before accepting, the account cannot log in.
    assert post_form(client, "/login", {"email": "ines@example.org", "password": NEW_PASSWORD}).status_code == 401
    form = client.get(path)
    assert form.status_code == 200
    assert "Accept your invitation" in form.text
    mismatch = post_form(client, path, {"password": NEW_PASSWORD, "password_confirm": "something-else"})
    assert mismatch.status_code == 422
    assert "The two passwords differ." in mismatch.text
    accepted = post_form(client, path, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert accepted.status_code == 303
    assert accepted.headers["location"] == "/login"
    login = post_form(client, "/login", {"email": "ines@example.org", "password": NEW_PASSWORD})
    assert login.status_code == 303
    me = client.get("/api/v1/me", headers=bearer(session, invitee))
    assert me.json()["roles"] == ["investor", "mentor"]
    # The link worked once.
    reused = client.get(path)
    assert reused.status_code == 409
    assert "This invitation has already been used." in reused.text


def test_invitation_by_admin_page_and_accept_by_api(client: TestClient, session: Session) -> None:
    admin = make_user(session, roles=[Role.admin])
    sign_in(client, session, admin)
    assert client.get("/admin/invitations/new").status_code == 200
    sent = post_form(
        client, "/admin/invitations", {"email": "Finn@Example.org", "full_name": "Finn Ance", "roles": ["finance"]}
    )
    assert sent.status_code == 303, sent.text
    _, token = link_in_last_email(session, "finn@example.org")
    listed = client.get("/api/v1/invitations", headers=bearer(session, admin)).json()
    assert [i["email"] for i in listed["items"]] == ["finn@example.org"]
    accepted = client.post("/api/v1/invitations/accept", json={"token": token, "password": NEW_PASSWORD})
    assert accepted.status_code == 200
    assert accepted.json()["is_active"] is True
    again = client.post("/api/v1/invitations/accept", json={"token": token, "password": NEW_PASSWORD})
    assert again.status_code == 409
    assert again.json()["detail"].startswith("This invitation has already been used.")
    assert client.post("/api/v1/auth/token", data={"username": "finn@example.org", "password": NEW_PASSWORD}).is_success


def test_inviting_an_existing_email_is_a_field_error(client: TestClient, session: Session) -> None:
    make_user(session, email="taken@example.org")
    admin = make_user(session, roles=[Role.admin])
    sign_in(client, session, admin)
    page = post_form(
        client, "/admin/invitations", {"email": "taken@example.org", "full_name": "X", "roles": ["mentor"]}
    )
    assert page.status_code == 422
    assert "already exists" in page.text
    api = client.post(
        "/api/v1/invitations",
        json={"email": "taken@example.org", "full_name": "X", "roles": ["mentor"]},
        headers=bearer(session, admin),
    )
    assert api.status_code == 409
    assert "email" in api.json()["errors"]
    assert emails_to(session, "taken@example.org") == []


def test_expired_invitation_is_refused_with_a_clear_message(client: TestClient, session: Session) -> None:
    _invite_by_api(client, session, "late@example.org", ["mentor"])
    path, token = link_in_last_email(session, "late@example.org")
    expire(session, token, TokenPurpose.invitation)
    page = client.get(path)
    assert page.status_code == 409
    assert "This invitation has expired. Ask for a new one." in page.text
    submitted = post_form(client, path, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert submitted.status_code == 409
    api = client.post("/api/v1/invitations/accept", json={"token": token, "password": NEW_PASSWORD})
    assert api.status_code == 409
    assert api.json()["detail"] == "This invitation has expired. Ask for a new one."
    user = session.exec(select(User).where(User.email == "late@example.org")).one()
    session.refresh(user)
    assert user.password_hash is None and not user.is_active


def test_unknown_link_is_404(client: TestClient) -> None:
    page = client.get("/invitations/not-a-real-token-at-all")
    assert page.status_code == 404
    assert "not valid" in page.text


def test_password_reset_sets_the_password_and_ends_other_sessions(client: TestClient, session: Session) -> None:
    user = make_user(session, email="reset@example.org")
    other_browser = sign_in(TestClient(client.app, follow_redirects=False), session, user)
    api = bearer(session, user)
    assert other_browser.get("/account").status_code == 200
    asked = post_form(client, "/forgot-password", {"email": "reset@example.org"})
    assert asked.status_code == 303
    # The same answer for an unknown address, and no e-mail.
    assert post_form(client, "/forgot-password", {"email": "unknown@example.org"}).status_code == 303
    assert emails_to(session, "unknown@example.org") == []
    path, token = link_in_last_email(session, "reset@example.org")
    assert client.get(path).status_code == 200
    short = post_form(client, path, {"password": "short", "password_confirm": "short"})
    assert short.status_code == 422
    assert "at least 10 characters" in short.text
    done = post_form(client, path, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
    assert done.status_code == 303
    # Every browser session of the user is over; the API token is a separate credential with its own expiry.
    gone = other_browser.get("/account")
    assert gone.status_code == 303
    assert gone.headers["location"].startswith("/login?next=")
    active = session.exec(select(WebSession).where(WebSession.user_id == user.id)).all()
    for row in active:
        session.refresh(row)
    assert all(row.revoked_at is not None for row in active)
    assert client.get("/api/v1/me", headers=api).status_code == 200
    old = client.post("/api/v1/auth/token", data={"username": "reset@example.org", "password": PASSWORD})
    assert old.status_code == 401
    login = post_form(client, "/login", {"email": "reset@example.org", "password": NEW_PASSWORD})
    assert login.status_code == 303
    assert login.cookies.get(SESSION_COOKIE)
    reused = client.post("/api/v1/password-resets/confirm", json={"token": token, "password": "another-password-1"})
    assert reused.status_code == 409
    assert reused.json()["detail"].startswith("This password reset link has already been used.")
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "user.reset_password")).first() is not None


def test_expired_reset_link_is_refused(client: TestClient, session: Session) -> None:
    make_user(session, email="slow@example.org")
    assert client.post("/api/v1/password-resets", data={"email": "slow@example.org"}).status_code == 202
    path, token = link_in_last_email(session, "slow@example.org")
    expire(session, token, TokenPurpose.password_reset)
    page = client.get(path)
    assert page.status_code == 409
    assert "This password reset link has expired." in page.text
    api = client.post("/api/v1/password-resets/confirm", json={"token": token, "password": NEW_PASSWORD})
    assert api.status_code == 409
    assert client.post("/api/v1/auth/token", data={"username": "slow@example.org", "password": PASSWORD}).is_success
