"""Every route of the app against its declared rule, for anonymous and each role, on each database."""

from __future__ import annotations

import time

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session

from main import app as the_app
from tests.authz.framework import check_matrix, endpoints, missing_and_stale


def test_every_route_has_a_rule() -> None:
    problems = missing_and_stale(the_app)
    assert not problems, "\n".join(problems)


def test_matrix(client: TestClient, session: Session, app: FastAPI) -> None:
    started = time.perf_counter()
    problems, requests = check_matrix(the_app, client, session)
    elapsed = time.perf_counter() - started
    assert requests >= len(endpoints(the_app)), "the matrix made fewer requests than there are routes"
    assert not problems, f"{len(problems)} authorisation problem(s) in {requests} requests:\n" + "\n".join(problems)
    assert elapsed < 60, f"the matrix took {elapsed:.0f}s; keep it well under a minute"


def test_a_route_without_a_rule_is_reported() -> None:
    probe = FastAPI()

    @probe.get("/api/v1/probe-without-rule")
    def _probe() -> dict[str, str]:
        return {}

    problems = missing_and_stale(probe)
    assert any(p.startswith("GET /api/v1/probe-without-rule has no authorisation rule") for p in problems), problems


def test_verdicts() -> None:
    from tests.authz.framework import Endpoint, verdict
    from tests.authz.rule import SIGNED_IN, only

    page = Endpoint("GET", "/x", "page")
    api = Endpoint("GET", "/api/v1/x", "api")
    assert verdict("anonymous", SIGNED_IN, page, 303, "/login?next=/x") is None
    assert verdict("anonymous", SIGNED_IN, page, 200, "") is not None
    assert verdict("anonymous", SIGNED_IN, api, 401, "") is None
    assert verdict("founder", only(), api, 403, "") is None
    assert verdict("founder", only(), api, 404, "") is not None
    assert verdict("founder", only(hidden_as_404=True), api, 404, "") is None
    assert verdict("admin", only(), api, 403, "") is not None
    assert verdict("admin", only(), page, 303, "/login?next=/x") is not None
    assert verdict("admin", only(), api, 500, "") is not None
    assert verdict("admin", only(), api, 422, "") is None
