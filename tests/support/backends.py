"""Which databases the tests run on, and how each worker gets its own."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import pytest
import sqlalchemy as sa

BACKENDS = ["sqlite", "postgresql"]


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def postgres_base_url() -> str | None:
    url = os.environ.get("INCUBATOR_TEST_DATABASE_URL")
    if not url:
        return None
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def require(backend: str) -> None:
    """Skip a PostgreSQL test where no PostgreSQL is configured; under CI that is a failure, not a skip."""
    if backend == "postgresql" and postgres_base_url() is None:
        if in_ci():
            pytest.fail("CI must run the PostgreSQL tests: INCUBATOR_TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL not configured (set INCUBATOR_TEST_DATABASE_URL)")


def fresh_postgres_database(name: str) -> str:
    """Drop and create a database named `name` next to the configured one; return its URL."""
    base = postgres_base_url()
    assert base is not None
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise ValueError(name)
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as conn:
        conn.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
            ),
            {"n": name},
        )
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return str(sa.make_url(base).set(database=name).render_as_string(hide_password=False))


def database_url(backend: str, worker: str, tmp: Path, purpose: str = "tests") -> str:
    if backend == "sqlite":
        path = tmp / f"{purpose}-{worker}.db"
        path.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    # The checkout's path is part of the name so two checkouts testing on one server never share a database.
    checkout = hashlib.sha256(str(Path(__file__).resolve()).encode()).hexdigest()[:6]
    return fresh_postgres_database(f"incubator_{purpose}_{checkout}_{worker}".lower())
