"""Schemathesis against the app's own `/openapi.json`, in process: no 500s, and answers that match their schemas.

Every operation of the API is called with generated input, as an administrator (who may reach every route), on
the rolled-back `session` of the test database. SQLite only: the PostgreSQL half of the suite checks the same
routes through the authorisation matrix and the behaviour tests; what this finds (a route answering something its
schema does not declare, or crashing on odd input) does not depend on the database.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks
from sqlmodel import Session

from incubator.models import Role
from main import app
from tests.support.factories import bearer, make_user

schema = schemathesis.openapi.from_asgi("/openapi.json", app)
CHECKS = [checks.not_a_server_error, checks.response_schema_conformance, checks.status_code_conformance]


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture
def admin_headers(session: Session) -> dict[str, str]:
    return bearer(session, make_user(session, roles=[Role.admin], email="schemathesis-admin@example.org"))


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case: schemathesis.Case, admin_headers: dict[str, str]) -> None:
    case.call_and_validate(headers=admin_headers, checks=CHECKS)
