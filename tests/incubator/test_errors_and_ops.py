"""Bad input gets the right status and a clear message; operations endpoints; request ids; settings."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlmodel import Session, select

from incubator import health
from incubator.config import DEFAULT_SECRET, Settings, get_settings
from incubator.models import ApiToken, LoginAttempt, Role
from tests.support.factories import bearer, make_user, post_form, sign_in


def _problem(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body = response.json()
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == response.status_code
    return body


def test_malformed_json_is_422_problem(client: TestClient, session: Session) -> None:
    headers = {**bearer(session, make_user(session)), "Content-Type": "application/json"}
    response = client.post("/api/v1/me/tokens", content=b'{"name": ', headers=headers)
    assert response.status_code == 422
    body = _problem(response)
    assert body["errors"]
    not_utf8 = client.post("/api/v1/me/tokens", content=b"\xff\xfe\x00", headers=headers)
    assert not_utf8.status_code == 422
    assert "body" in _problem(not_utf8)["errors"]


def test_wrong_types_are_422_with_errors_by_field(client: TestClient, session: Session) -> None:
    user = make_user(session)
    response = client.post(
        "/api/v1/me/tokens", json={"name": "", "expires_in_days": "soon"}, headers=bearer(session, user)
    )
    assert response.status_code == 422
    errors = _problem(response)["errors"]
    assert set(errors) == {"name", "expires_in_days"}
    assert session.exec(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.personal)).first() is None
    bad_query = client.get("/api/v1/startups?limit=0", headers=bearer(session, user))
    assert bad_query.status_code == 422
    assert "query.limit" in _problem(bad_query)["errors"]
    bad_path = client.get("/api/v1/startups/not-a-uuid", headers=bearer(session, user))
    assert bad_path.status_code == 422


def test_oversized_request_is_413_and_writes_nothing(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "max_request_bytes", 1000)
    api = client.post("/api/v1/auth/token", data={"username": "x@example.org", "password": "p" * 2000})
    assert api.status_code == 413
    assert "at most" in _problem(api)["detail"]
    assert api.headers["x-request-id"]
    page = post_form(client, "/login", {"email": "big@example.org", "password": "p" * 2000})
    assert page.status_code == 413
    assert session.exec(select(LoginAttempt)).first() is None
    assert client.post("/api/v1/auth/token", data={"username": "x@example.org", "password": "p"}).status_code == 401


def test_unknown_url_is_an_html_page_for_browsers_and_problem_json_under_api(client: TestClient) -> None:
    page = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "Page not found" in page.text
    assert "There is nothing at this address" in page.text
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404
    assert _problem(api)["title"] == "Page not found"


def test_forbidden_page_is_an_html_page(client: TestClient, session: Session) -> None:
    sign_in(client, session, make_user(session, roles=[Role.mentor]))
    response = client.get("/admin/users")
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "This needs the role of administrator" in response.text


def test_anonymous_page_goes_to_login_with_next(client: TestClient) -> None:
    response = client.get("/account?tab=tokens")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/account%3Ftab%3Dtokens"


def test_every_response_has_a_request_id(client: TestClient, session: Session) -> None:
    for response in (
        client.get("/"),
        client.get("/login"),
        client.get("/api/v1/me"),
        client.get("/no-such-page"),
        client.get("/healthz"),
        client.get("/static/css/app.css"),
    ):
        assert len(response.headers["x-request-id"]) >= 16, response
    echoed = client.get("/healthz", headers={"X-Request-ID": "abc-123.def"})
    assert echoed.headers["x-request-id"] == "abc-123.def"
    unsafe = client.get("/healthz", headers={"X-Request-ID": "<script>"})
    assert unsafe.headers["x-request-id"] != "<script>"


def test_health_ready_and_metrics(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready"}
    monkeypatch.setattr(health, "head_revisions", lambda: frozenset({"a-newer-revision"}))
    behind = client.get("/readyz")
    assert behind.status_code == 503
    assert behind.json()["status"] == "migrating"
    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    assert 'incubator_http_requests_total{method="GET",route="/healthz",status="200"}' in metrics.text
    assert "incubator_http_request_seconds_bucket" in metrics.text


def test_settings_refuse_the_default_secret_outside_development() -> None:
    for environment in ("test", "production"):
        with pytest.raises(ValidationError, match="INCUBATOR_SECRET_KEY must be set"):
            Settings(environment=environment, secret_key=DEFAULT_SECRET, _env_file=None)
    with pytest.raises(ValidationError, match="at least 32 characters"):
        Settings(environment="production", secret_key="short", _env_file=None)
    assert Settings(environment="development", secret_key=DEFAULT_SECRET, _env_file=None).secret_key
    assert Settings(environment="production", secret_key="x" * 40, _env_file=None).cookie_secure
