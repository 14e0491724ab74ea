"""Sensitive actions leave audit events, which only administrators see."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from incubator.models import Role
from tests.support.factories import bearer, make_user, post_form, sign_in


def test_user_update_and_invite_are_audited_and_visible_to_admins_only(client: TestClient, session: Session) -> None:
    admin = make_user(session, roles=[Role.admin], email="boss@example.org")
    target = make_user(session, roles=[Role.mentor], full_name="Old Name")
    headers = bearer(session, admin)
    updated = client.patch(
        f"/api/v1/users/{target.id}",
        json={"full_name": "New Name", "roles": ["mentor", "investor"]},
        headers={**headers, "X-Request-ID": "audit-req-1"},
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["roles"] == ["investor", "mentor"]
    invited = client.post(
        "/api/v1/invitations",
        json={"email": "pm@example.org", "full_name": "Pat Manager", "roles": ["program_manager"]},
        headers=headers,
    )
    assert invited.status_code == 201

    events = client.get("/api/v1/audit-events", params={"action": "user.update"}, headers=headers).json()
    assert events["total"] == 1
    event = events["items"][0]
    assert event["actor_label"] == "boss@example.org"
    assert event["object_id"] == str(target.id)
    assert event["before"] == {"full_name": "Old Name", "roles": ["mentor"], "is_active": True}
    assert event["after"] == {"full_name": "New Name", "roles": ["investor", "mentor"], "is_active": True}
    assert event["request_id"] == "audit-req-1"
    invites = client.get("/api/v1/audit-events", params={"action": "user.invite"}, headers=headers).json()
    assert invites["total"] == 1
    assert "pm@example.org" in invites["items"][0]["summary"]

    # No change, no event.
    client.patch(f"/api/v1/users/{target.id}", json={"full_name": "New Name"}, headers=headers)
    assert client.get("/api/v1/audit-events", params={"action": "user.update"}, headers=headers).json()["total"] == 1

    for role in (Role.founder, Role.program_manager, Role.finance, Role.mentor, Role.investor):
        other = bearer(session, make_user(session, roles=[role]))
        assert client.get("/api/v1/audit-events", headers=other).status_code == 403

    sign_in(client, session, admin)
    page = client.get("/admin/audit", params={"action": "user.update"})
    assert page.status_code == 200
    assert "user.update" in page.text
    sign_in(client, session, make_user(session, roles=[Role.program_manager]))
    assert client.get("/admin/audit").status_code == 403


def test_admin_edits_a_user_on_the_page(client: TestClient, session: Session) -> None:
    admin = make_user(session, roles=[Role.admin])
    target = make_user(session, roles=[Role.mentor])
    sign_in(client, session, admin)
    assert client.get(f"/admin/users/{target.id}").status_code == 200
    empty = post_form(client, f"/admin/users/{target.id}", {"full_name": "", "is_active": "on"})
    assert empty.status_code == 422
    assert "Choose at least one role." in empty.text
    saved = post_form(
        client, f"/admin/users/{target.id}", {"full_name": "Renamed", "roles": ["mentor", "finance"], "is_active": "on"}
    )
    assert saved.status_code == 303
    session.refresh(target)
    assert target.full_name == "Renamed"
    assert target.role_set == {Role.mentor, Role.finance}
    history = client.get(f"/admin/users/{target.id}")
    assert "user.update" in history.text or "Updated" in history.text


def test_admin_cannot_lock_themselves_out(client: TestClient, session: Session) -> None:
    admin = make_user(session, roles=[Role.admin])
    response = client.patch(f"/api/v1/users/{admin.id}", json={"roles": ["mentor"]}, headers=bearer(session, admin))
    assert response.status_code == 409
    assert "your own administrator access" in response.json()["detail"]
    session.refresh(admin)
    assert Role.admin in admin.role_set
