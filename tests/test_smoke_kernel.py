from fastapi.testclient import TestClient
from sqlmodel import Session

from incubator.models import Role
from tests.support.factories import PASSWORD, bearer, make_user, post_form, sign_in


def test_founder_logs_in_and_sees_dashboard(client: TestClient, session: Session) -> None:
    make_user(session, email="f@example.org", roles=[Role.founder])
    response = post_form(client, "/login", {"email": "f@example.org", "password": PASSWORD})
    assert response.status_code == 303, response.text
    page = client.get("/")
    assert page.status_code == 200
    assert "Welcome" in page.text


def test_api_me_returns_roles(client: TestClient, session: Session) -> None:
    user = make_user(session, roles=[Role.mentor, Role.investor])
    response = client.get("/api/v1/me", headers=bearer(session, user))
    assert response.status_code == 200
    assert response.json()["roles"] == ["investor", "mentor"]


def test_admin_page_forbidden_to_founder(client: TestClient, session: Session) -> None:
    sign_in(client, session, make_user(session))
    r = client.get("/admin/users")
    assert r.status_code == 403, r.text
