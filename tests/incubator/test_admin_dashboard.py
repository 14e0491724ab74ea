"""The administrator's dashboard counts users in the database, so it stays fast with tens of thousands of them."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import Session

from incubator import service
from incubator.models import Role
from incubator.repository import AuditRepository, UserRepository
from tests.support.factories import make_user, sign_in


def _count_in_panel(html: str, role: Role) -> int:
    found = re.search(rf'href="/admin/users\?role={role.value}">[^<]+</a></td>\s*<td class="num">(\d+)</td>', html)
    assert found, f"no row for {role.value} in the administration panel"
    return int(found.group(1))


def test_admin_dashboard_counts_active_users_of_each_role(client: TestClient, session: Session) -> None:
    admin = make_user(session, roles=[Role.admin])
    make_user(session, roles=[Role.founder])
    make_user(session, roles=[Role.founder, Role.mentor])
    gone = make_user(session, roles=[Role.founder])
    service.update_user(session, user=gone, actor=admin, is_active=False)
    session.commit()
    sign_in(client, session, admin)

    page = client.get("/")

    assert page.status_code == 200, page.text
    assert _count_in_panel(page.text, Role.founder) == 2
    assert _count_in_panel(page.text, Role.mentor) == 1
    assert _count_in_panel(page.text, Role.admin) == 1
    assert _count_in_panel(page.text, Role.investor) == 0


def test_count_active_by_role_names_every_role(session: Session) -> None:
    make_user(session, roles=[Role.finance])

    counts = UserRepository(session).count_active_by_role()

    assert set(counts) == set(Role)
    assert counts[Role.finance] == 1
    assert counts[Role.program_manager] == 0


def test_recent_audit_events_are_newest_first_and_limited(session: Session) -> None:
    admin = make_user(session, roles=[Role.admin])
    for n in range(3):
        make_user(session, roles=[Role.founder], email=f"recent{n}@example.org")
    service.update_user(session, user=admin, actor=admin, full_name="Renamed Admin")
    session.commit()

    recent = AuditRepository(session).recent(2)

    assert len(recent) == 2
    assert recent[0].occurred_at >= recent[1].occurred_at
    assert recent[0].action == "user.update"
