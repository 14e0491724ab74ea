"""The ranking page needs the same number of queries for a cohort of 10 applications as for 40 (3 reviews each)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlmodel import Session

from cohorts.demo import generate_reviewed_cohort
from tests.cohorts.builders import make_pm
from tests.support.factories import sign_in


@contextmanager
def counting(session: Session) -> Iterator[list[str]]:
    statements: list[str] = []
    connection = session.connection()

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(connection, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", before)


def _ranking_queries(client: TestClient, session: Session, applications: int) -> tuple[int, str]:
    cohort = generate_reviewed_cohort(session, applications=applications, reviews_per_application=3, reviewers=6)
    session.commit()
    url = f"/cohorts/{cohort.id}/ranking"
    client.get(url)  # warm caches (templates, compiled statements) outside the count
    with counting(session) as statements:
        page = client.get(url)
    assert page.status_code == 200
    return len(statements), page.text


def test_ranking_page_query_count_is_constant(client: TestClient, session: Session) -> None:
    sign_in(client, session, make_pm(session))
    small, small_page = _ranking_queries(client, session, 10)
    large, large_page = _ranking_queries(client, session, 40)
    assert small_page.count("<tr>") == 11 and large_page.count("<tr>") == 41  # header + one row per application
    print(f"ranking page: {small} statements at 10 applications, {large} at 40")
    assert small == large, f"{small} statements for 10 applications, {large} for 40"
    assert 0 < large <= 15
