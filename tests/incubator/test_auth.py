"""Log-in, throttling, CSRF, sessions and tokens."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from incubator.config import get_settings
from incubator.deps import SESSION_COOKIE
from incubator.models import ApiToken, AuditEvent, LoginAttempt, OutboxEmail, Role, User, WebSession
from incubator.security import csrf_token_for, token_hash
from tests.support.factories import PASSWORD, bearer, make_user, post_form, sign_in

WRONG = "The e-mail or password is wrong."


def _failures(session: Session, email: str) -> int:
    stmt = select(func.count()).select_from(LoginAttempt).where(LoginAttempt.email == email)
    return int(session.exec(stmt).one())


def test_wrong_password_and_unknown_email_get_the_same_message(client: TestClient, session: Session) -> None:
    make_user(session, email="known@example.org")
    wrong = client.post("/api/v1/auth/token", data={"username": "known@example.org", "password": "nope-nope-nope"})
    unknown = client.post("/api/v1/auth/token", data={"username": "nobody@example.org", "password": PASSWORD})
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["detail"] == WRONG
    page_wrong = post_form(client, "/login", {"email": "known@example.org", "password": "nope-nope-nope"})
    page_unknown = post_form(client, "/login", {"email": "nobody@example.org", "password": PASSWORD})
    for response in (page_wrong, page_unknown):
        assert response.status_code == 401
        assert WRONG in response.text
        assert SESSION_COOKIE not in response.cookies
    # The right password works, through both doors.
    assert client.post("/api/v1/auth/token", data={"username": "KNOWN@example.org", "password": PASSWORD}).json()[
        "access_token"
    ]
    ok = post_form(client, "/login", {"email": "known@example.org", "password": PASSWORD})
    assert ok.status_code == 303
    assert ok.cookies.get(SESSION_COOKIE)


def test_login_is_throttled_per_account_and_failures_are_stored(client: TestClient, session: Session) -> None:
    email = "throttled@example.org"
    make_user(session, email=email)
    limit = get_settings().login_max_failures
    for _ in range(limit):
        response = client.post("/api/v1/auth/token", data={"username": email, "password": "wrong-password"})
        assert response.status_code == 401
    # The failed attempts committed although each request answered with an error.
    assert _failures(session, email) == limit
    blocked = client.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
    assert blocked.status_code == 429
    assert "Too many failed log-ins for this account" in blocked.json()["detail"]
    page = post_form(client, "/login", {"email": email, "password": PASSWORD})
    assert page.status_code == 429
    assert "Too many failed log-ins for this account" in page.text
    # Other accounts are not affected.
    make_user(session, email="other@example.org")
    assert client.post("/api/v1/auth/token", data={"username": "other@example.org", "password": PASSWORD}).is_success


def test_login_is_throttled_per_address(client: TestClient, session: Session) -> None:
    limit = get_settings().login_max_failures * 4
    for n in range(limit):
        failed = client.post("/api/v1/auth/token", data={"username": f"spray{n}@example.org", "password": "wrong-pw"})
        assert failed.status_code == 401
    make_user(session, email="victim@example.org")
    blocked = client.post("/api/v1/auth/token", data={"username": "victim@example.org", "password": PASSWORD})
    assert blocked.status_code == 429
    assert "from your network" in blocked.json()["detail"]


def test_successful_login_clears_the_failures(client: TestClient, session: Session) -> None:
    make_user(session, email="forgetful@example.org")
    for _ in range(get_settings().login_max_failures - 1):
        client.post("/api/v1/auth/token", data={"username": "forgetful@example.org", "password": "wrong-password"})
    assert client.post(
        "/api/v1/auth/token", data={"username": "forgetful@example.org", "password": PASSWORD}
    ).is_success
    assert _failures(session, "forgetful@example.org") == 0


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_form_without_a_valid_csrf_token_is_refused_and_writes_nothing(
    client: TestClient, session: Session, token: str | None
) -> None:
    admin = make_user(session, roles=[Role.admin])
    sign_in(client, session, admin)
    data = {"email": "invitee@example.org", "full_name": "In Vitee", "roles": ["mentor"]}
    if token is not None:
        data["csrf_token"] = token
    response = client.post("/admin/invitations", data=data)
    assert response.status_code == 403
    assert "did not come from this site" in response.text
    assert session.exec(select(User).where(User.email == "invitee@example.org")).first() is None
    assert session.exec(select(OutboxEmail).where(OutboxEmail.to_address == "invitee@example.org")).first() is None
    # The same form with its token goes through.
    data.pop("csrf_token", None)
    assert post_form(client, "/admin/invitations", data).status_code == 303
    assert session.exec(select(User).where(User.email == "invitee@example.org")).first() is not None


def test_csrf_token_of_another_browser_is_refused(client: TestClient, session: Session) -> None:
    user = make_user(session)
    sign_in(client, session, user)
    response = client.post("/account/tokens", data={"name": "x", "csrf_token": csrf_token_for("another-browser")})
    assert response.status_code == 403
    assert session.exec(select(ApiToken).where(ApiToken.user_id == user.id, col(ApiToken.personal))).first() is None


def test_logout_revokes_the_server_side_session(client: TestClient, session: Session) -> None:
    sign_in(client, session, make_user(session))
    raw = client.cookies.get(SESSION_COOKIE)
    assert raw
    assert client.get("/account").status_code == 200
    response = post_form(client, "/logout")
    assert response.status_code == 303
    row = session.exec(select(WebSession).where(WebSession.token_hash == token_hash(raw))).one()
    session.refresh(row)
    assert row.revoked_at is not None
    # A copy of the old cookie no longer works.
    client.cookies.set(SESSION_COOKIE, raw)
    again = client.get("/account")
    assert again.status_code == 303
    assert again.headers["location"].startswith("/login?next=")


def test_personal_access_token_create_use_revoke(client: TestClient, session: Session) -> None:
    user = make_user(session, roles=[Role.mentor])
    headers = bearer(session, user)
    created = client.post("/api/v1/me/tokens", json={"name": "ci script", "expires_in_days": 30}, headers=headers)
    assert created.status_code == 201, created.text
    body = created.json()
    secret = body["token"]
    assert secret.startswith("inc_")
    # Stored hashed: the secret itself is nowhere in the database.
    stored = session.exec(select(ApiToken)).all()
    assert all(t.token_hash != secret for t in stored)
    pat = {"Authorization": f"Bearer {secret}"}
    me = client.get("/api/v1/me", headers=pat)
    assert me.status_code == 200
    assert me.json()["email"] == user.email
    listed = client.get("/api/v1/me/tokens", headers=headers).json()
    assert [t["name"] for t in listed] == ["ci script"]
    assert "token" not in listed[0]
    assert client.delete(f"/api/v1/me/tokens/{body['id']}", headers=headers).status_code == 204
    refused = client.get("/api/v1/me", headers=pat)
    assert refused.status_code == 401
    assert refused.json()["detail"] == "The token is unknown, expired or revoked."
    assert client.delete(f"/api/v1/me/tokens/{body['id']}", headers=headers).status_code == 409
    actions = {e.action for e in session.exec(select(AuditEvent).where(AuditEvent.actor_id == user.id)).all()}
    assert {"token.create", "token.revoke"} <= actions


def test_someone_elses_token_cannot_be_revoked(client: TestClient, session: Session) -> None:
    owner = make_user(session)
    created = client.post("/api/v1/me/tokens", json={"name": "mine"}, headers=bearer(session, owner)).json()
    other = bearer(session, make_user(session))
    assert client.delete(f"/api/v1/me/tokens/{created['id']}", headers=other).status_code == 404
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {created['token']}"}).status_code == 200


def test_account_page_creates_and_revokes_a_token(client: TestClient, session: Session) -> None:
    user = make_user(session)
    sign_in(client, session, user)
    page = client.get("/account")
    assert page.status_code == 200
    assert user.email in page.text
    created = post_form(client, "/account/tokens", {"name": "laptop", "expires_in_days": "30"})
    assert created.status_code == 201
    token = session.exec(select(ApiToken).where(ApiToken.user_id == user.id, col(ApiToken.personal))).one()
    assert token.prefix in created.text
    revoked = post_form(client, f"/account/tokens/{token.id}/revoke")
    assert revoked.status_code == 303
    session.refresh(token)
    assert token.revoked_at is not None


def test_bad_bearer_tokens_are_refused(client: TestClient) -> None:
    assert client.get("/api/v1/me").status_code == 401
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_inactive_user_cannot_log_in(client: TestClient, session: Session) -> None:
    user = make_user(session, email="gone@example.org")
    headers = bearer(session, user)
    user.is_active = False
    session.add(user)
    session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    response = client.post("/api/v1/auth/token", data={"username": "gone@example.org", "password": PASSWORD})
    assert response.status_code == 401
    assert response.json()["detail"] == WRONG
