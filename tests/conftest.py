"""Test harness: every database test runs on SQLite and, when `INCUBATOR_TEST_DATABASE_URL` is set, on PostgreSQL.

Each worker of pytest-xdist gets its own databases, built once with `alembic upgrade head`. Each test runs inside a
transaction on one connection that is rolled back at the end; the app's sessions join it through savepoints, so a
request's commit is real for the rest of the test and gone afterwards.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="incubator-tests-"))
os.environ.update(
    {
        "INCUBATOR_ENVIRONMENT": "test",
        "INCUBATOR_SECRET_KEY": "test-secret-key-that-is-long-enough-for-tests-0123456789",
        "INCUBATOR_DATABASE_PATH": str(_TMP / "default.db"),
        "INCUBATOR_STORAGE_DIR": str(_TMP / "uploads"),
        "INCUBATOR_ARGON2_TIME_COST": "1",
        "INCUBATOR_ARGON2_MEMORY_KIB": "1024",
        "INCUBATOR_EMAIL_BACKEND": "console",
        "INCUBATOR_BASE_URL": "http://testserver",
    }
)
for _key in ("INCUBATOR_DATABASE_URL", "INCUBATOR_STRIPE_SECRET_KEY", "INCUBATOR_STRIPE_PUBLISHABLE_KEY"):
    os.environ.pop(_key, None)

import pytest  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session  # noqa: E402

from incubator import db as kernel_db  # noqa: E402
from incubator.migrations import upgrade  # noqa: E402
from main import app as the_app  # noqa: E402
from tests.support import backends  # noqa: E402

pytest_plugins = [
    "tests.support.report",
    "tests.support.live",
    "tests.support.smtp",
    "tests.support.stripe_server",
    "tests.support.browser",
]


@pytest.fixture(scope="session")
def worker_id_str(request: pytest.FixtureRequest) -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


_engines: dict[str, Engine] = {}


def _engine(backend: str, worker: str) -> Engine:
    if backend not in _engines:
        url = backends.database_url(backend, worker, _TMP)
        upgrade(url)
        _engines[backend] = kernel_db.create_db_engine(url)
    return _engines[backend]


@pytest.fixture(params=backends.BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name = str(request.param)
    backends.require(name)
    return name


@pytest.fixture
def engine(backend: str, worker_id_str: str) -> Engine:
    return _engine(backend, worker_id_str)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session in a transaction rolled back after the test; the app's sessions join the same transaction."""
    connection = engine.connect()
    transaction = connection.begin()

    def factory() -> Session:
        return Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)

    kernel_db.use_session_factory(factory)
    test_session = factory()
    try:
        yield test_session
    finally:
        kernel_db.use_session_factory(None)
        test_session.close()
        if transaction.is_active:
            transaction.rollback()
        connection.close()


@pytest.fixture
def client(session: Session) -> Iterator[TestClient]:
    with TestClient(the_app, base_url="http://testserver", follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def app() -> object:
    return the_app


@pytest.fixture
def tmp_dir() -> Path:
    return _TMP


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    for engine in _engines.values():
        engine.dispose()
    _ = sa
