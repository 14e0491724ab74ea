"""Startups: founder sign-up, the profile the founders edit, the team, the directory and who sees what."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from incubator.deps import SESSION_COOKIE
from incubator.models import AuditEvent, Role, User
from startups.models import MemberRole, Sector, Startup, StartupMember, TrlEntry
from tests.support.factories import PASSWORD, bearer, make_startup, make_user, post_form, sign_in

SIGNUP = {
    "full_name": "Rosalind Yeast",
    "email": "rosalind@example.org",
    "password": PASSWORD,
    "password_confirm": PASSWORD,
    "startup_name": "Brewed Proteins",
    "sector": "synthetic_biology",
    "accept_terms": "on",
}


def _count(session: Session, model: type) -> int:
    return int(session.exec(select(func.count()).select_from(model)).one())


def _profile(startup: Startup, **changes: str) -> dict[str, str]:
    values = {
        "name": startup.name,
        "sector": startup.sector.value,
        "stage": "seed",
        "trl": str(startup.trl),
        "biosafety_level": "none",
        "description": "Precision fermentation of dairy proteins.",
        "website": "brewed.example.org",
        "founded_date": "2023-04-01",
    }
    values.update(changes)
    return values


def test_signup_creates_user_startup_and_membership_and_logs_in(client: TestClient, session: Session) -> None:
    assert client.get("/signup").status_code == 200
    response = post_form(client, "/signup", SIGNUP)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/"
    assert response.cookies.get(SESSION_COOKIE)
    user = session.exec(select(User).where(User.email == "rosalind@example.org")).one()
    assert user.role_set == {Role.founder}
    startup = session.exec(select(Startup).where(Startup.name == "Brewed Proteins")).one()
    assert startup.sector == Sector.synthetic_biology
    member = session.get(StartupMember, (startup.id, user.id))
    assert member is not None and member.role == MemberRole.founder
    dashboard = client.get("/")
    assert dashboard.status_code == 200
    assert "Rosalind Yeast" in dashboard.text
    # Signed in: the sign-up page sends them on.
    assert client.get("/signup").status_code == 303


def test_signup_with_a_taken_email_is_a_field_error_and_writes_nothing(client: TestClient, session: Session) -> None:
    make_user(session, email="rosalind@example.org")
    users, startups, audits = _count(session, User), _count(session, Startup), _count(session, AuditEvent)
    response = post_form(client, "/signup", SIGNUP)
    assert response.status_code == 422
    assert "An account with this e-mail already exists" in response.text
    assert 'value="Brewed Proteins"' in response.text
    assert PASSWORD not in response.text
    assert SESSION_COOKIE not in response.cookies
    api = client.post(
        "/api/v1/signup",
        json={k: v for k, v in SIGNUP.items() if k not in ("password_confirm", "accept_terms")},
    )
    assert api.status_code == 409
    assert "email" in api.json()["errors"]
    assert (_count(session, User), _count(session, Startup), _count(session, AuditEvent)) == (users, startups, audits)


def test_signup_form_errors_keep_the_values(client: TestClient, session: Session) -> None:
    response = post_form(client, "/signup", {**SIGNUP, "password_confirm": "different-password", "accept_terms": ""})
    assert response.status_code == 422
    assert "The two passwords differ." in response.text
    assert 'value="rosalind@example.org"' in response.text
    assert session.exec(select(User).where(User.email == "rosalind@example.org")).first() is None


def test_signup_by_api(client: TestClient, session: Session) -> None:
    body = {k: v for k, v in SIGNUP.items() if k not in ("password_confirm", "accept_terms")}
    response = client.post("/api/v1/signup", json=body)
    assert response.status_code == 201
    assert response.json()["roles"] == ["founder"]
    token = client.post("/api/v1/auth/token", data={"username": SIGNUP["email"], "password": PASSWORD}).json()
    mine = client.get("/api/v1/startups", headers={"Authorization": f"Bearer {token['access_token']}"}).json()
    assert [s["name"] for s in mine["items"]] == ["Brewed Proteins"]


def test_profile_edit_with_trl_change_writes_history_and_audit(client: TestClient, session: Session) -> None:
    founder = make_user(session)
    startup = make_startup(session, name="Brewed Proteins", founder=founder)
    sign_in(client, session, founder)
    assert client.get(f"/startups/{startup.id}/edit").status_code == 200
    saved = post_form(client, f"/startups/{startup.id}/edit", _profile(startup, trl="4", trl_note="Pilot run done"))
    assert saved.status_code == 303, saved.text
    session.refresh(startup)
    assert startup.trl == 4
    assert startup.website == "https://brewed.example.org"
    history = session.exec(select(TrlEntry).where(TrlEntry.startup_id == startup.id)).all()
    assert [(e.trl, e.note) for e in history] == [(4, "Pilot run done")]
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "startup.update")).one()
    assert event.before is not None and event.after is not None
    assert (event.before["trl"], event.after["trl"]) == (1, 4)
    assert event.actor_id == founder.id
    page = client.get(f"/startups/{startup.id}")
    assert "Pilot run done" in page.text
    api = client.get(f"/api/v1/startups/{startup.id}/trl-history", headers=bearer(session, founder)).json()
    assert [e["trl"] for e in api] == [4]
    # The same value again: no new history entry, no audit event.
    post_form(client, f"/startups/{startup.id}/edit", _profile(startup, trl="4"))
    assert len(session.exec(select(TrlEntry).where(TrlEntry.startup_id == startup.id)).all()) == 1


def test_profile_validation_rerenders_the_form_with_errors_and_values(client: TestClient, session: Session) -> None:
    founder = make_user(session)
    startup = make_startup(session, name="Brewed Proteins", founder=founder)
    sign_in(client, session, founder)
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    response = post_form(
        client,
        f"/startups/{startup.id}/edit",
        _profile(startup, trl="10", website="not a web address", founded_date=tomorrow, description="Kept text"),
    )
    assert response.status_code == 422
    assert "There is a problem" in response.text
    assert "TRL: enter 9 or less." in response.text
    assert "The founding date cannot be in the future." in response.text
    assert 'value="not a web address"' in response.text
    assert "Kept text" in response.text
    session.refresh(startup)
    assert startup.trl == 1 and startup.website is None
    api = client.patch(
        f"/api/v1/startups/{startup.id}",
        json={"trl": 10, "website": "not a web address"},
        headers=bearer(session, founder),
    )
    assert api.status_code == 422
    assert {"trl", "website"} <= set(api.json()["errors"])


def test_only_staff_change_the_status(client: TestClient, session: Session) -> None:
    founder = make_user(session)
    startup = make_startup(session, founder=founder)
    refused = client.patch(
        f"/api/v1/startups/{startup.id}", json={"status": "alumni"}, headers=bearer(session, founder)
    )
    assert refused.status_code == 403
    pm = make_user(session, roles=[Role.program_manager])
    done = client.patch(f"/api/v1/startups/{startup.id}", json={"status": "alumni"}, headers=bearer(session, pm))
    assert done.status_code == 200
    assert done.json()["status"] == "alumni"


def test_members_add_and_remove_and_the_last_founder_stays(client: TestClient, session: Session) -> None:
    founder = make_user(session)
    startup = make_startup(session, founder=founder)
    colleague = make_user(session, roles=[Role.mentor], email="colleague@example.org")
    headers = bearer(session, founder)
    url = f"/api/v1/startups/{startup.id}/members"
    added = client.post(url, json={"email": "colleague@example.org", "role": "founder"}, headers=headers)
    assert added.status_code == 201, added.text
    session.refresh(colleague)
    assert Role.founder in colleague.role_set
    assert client.post(url, json={"email": "colleague@example.org"}, headers=headers).status_code == 409
    unknown = client.post(url, json={"email": "nobody@example.org"}, headers=headers)
    assert unknown.status_code == 404
    assert unknown.json()["errors"]["email"] == "No account has this e-mail."
    assert sorted(m["email"] for m in client.get(url, headers=headers).json()) == sorted(
        [founder.email, "colleague@example.org"]
    )
    assert client.delete(f"{url}/{colleague.id}", headers=headers).status_code == 204
    last = client.delete(f"{url}/{founder.id}", headers=headers)
    assert last.status_code == 409
    assert "at least one founder" in last.json()["detail"]
    assert session.get(StartupMember, (startup.id, founder.id)) is not None
    actions = [e.action for e in session.exec(select(AuditEvent).where(AuditEvent.object_id == str(startup.id)))]
    assert "startup.member_add" in actions and "startup.member_remove" in actions


def test_members_on_the_page(client: TestClient, session: Session) -> None:
    founder = make_user(session)
    startup = make_startup(session, founder=founder)
    teammate = make_user(session, email="teammate@example.org")
    sign_in(client, session, founder)
    missing = post_form(client, f"/startups/{startup.id}/members", {"email": "nobody@example.org", "role": "member"})
    assert missing.status_code == 422
    assert "No account has this e-mail." in missing.text
    added = post_form(client, f"/startups/{startup.id}/members", {"email": "teammate@example.org", "role": "member"})
    assert added.status_code == 303
    assert session.get(StartupMember, (startup.id, teammate.id)) is not None
    removed = post_form(client, f"/startups/{startup.id}/members/{teammate.id}/remove")
    assert removed.status_code == 303
    assert session.get(StartupMember, (startup.id, teammate.id)) is None
    last = post_form(client, f"/startups/{startup.id}/members/{founder.id}/remove")
    assert last.status_code == 409
    assert "at least one founder" in last.text


def test_list_pages_sorts_and_searches(client: TestClient, session: Session) -> None:
    pm = make_user(session, roles=[Role.program_manager])
    headers = bearer(session, pm)
    names = ["Zymo Works", "Algae Forge", "Mycel Labs", "Enzyme Foundry", "Algae Bloom Bio"]
    for name in names:
        created = client.post("/api/v1/startups", json={"name": name, "trl": 3}, headers=headers)
        assert created.status_code == 201, created.text
    first = client.get("/api/v1/startups", params={"limit": 2, "sort": "name"}, headers=headers).json()
    assert first["total"] >= 5
    everything = client.get("/api/v1/startups", params={"limit": 100, "sort": "name"}, headers=headers).json()
    ordered = [s["name"] for s in everything["items"]]
    assert ordered == sorted(ordered)
    assert [s["name"] for s in first["items"]] == ordered[:2]
    second = client.get("/api/v1/startups", params={"limit": 2, "offset": 2, "sort": "name"}, headers=headers).json()
    assert [s["name"] for s in second["items"]] == ordered[2:4]
    desc = client.get("/api/v1/startups", params={"limit": 100, "sort": "name", "desc": True}, headers=headers).json()
    assert [s["name"] for s in desc["items"]] == list(reversed(ordered))
    found = client.get("/api/v1/startups", params={"q": "algae"}, headers=headers).json()
    assert sorted(s["name"] for s in found["items"]) == ["Algae Bloom Bio", "Algae Forge"]
    assert client.get("/api/v1/startups", params={"sort": "bogus"}, headers=headers).status_code == 422
    sign_in(client, session, pm)
    page = client.get("/startups", params={"q": "algae", "sort": "name", "dir": "desc"})
    assert page.status_code == 200
    assert page.text.index("Algae Forge") < page.text.index("Algae Bloom Bio")
    assert "Zymo Works" not in page.text


def test_founders_see_only_their_startups_and_staff_see_all(client: TestClient, session: Session) -> None:
    mine_founder = make_user(session)
    other_founder = make_user(session)
    mine = make_startup(session, name="Mine Bio", founder=mine_founder)
    other = make_startup(session, name="Other Bio", founder=other_founder)
    founder_view = client.get("/api/v1/startups", params={"limit": 100}, headers=bearer(session, mine_founder)).json()
    assert [s["name"] for s in founder_view["items"]] == ["Mine Bio"]
    for role in (Role.program_manager, Role.finance, Role.admin):
        staff = bearer(session, make_user(session, roles=[role]))
        names = {
            s["name"] for s in client.get("/api/v1/startups", params={"limit": 100}, headers=staff).json()["items"]
        }
        assert {"Mine Bio", "Other Bio"} <= names, role
    pm = bearer(session, make_user(session, roles=[Role.program_manager]))
    assert client.get(f"/api/v1/startups/{other.id}", headers=pm).status_code == 200
    assert client.get(f"/api/v1/startups/{other.id}", headers=bearer(session, mine_founder)).status_code == 404
    mentor = bearer(session, make_user(session, roles=[Role.mentor]))
    assert client.get("/api/v1/startups", headers=mentor).json()["total"] == 0
    sign_in(client, session, mine_founder)
    directory = client.get("/startups")
    assert "Mine Bio" in directory.text and "Other Bio" not in directory.text
    assert client.get(f"/startups/{mine.id}").status_code == 200
    assert str(mine.id) in client.get(f"/startups/{mine.id}").text


def test_a_founder_cannot_open_or_edit_another_startup(client: TestClient, session: Session) -> None:
    intruder = make_user(session)
    make_startup(session, name="Intruder Bio", founder=intruder)
    other = make_startup(session, name="Secret Bio", founder=make_user(session))
    sign_in(client, session, intruder)
    for url in (f"/startups/{other.id}", f"/startups/{other.id}/edit"):
        page = client.get(url)
        assert page.status_code == 404, url
        assert "Secret Bio" not in page.text
    posted = post_form(client, f"/startups/{other.id}/edit", _profile(other, name="Hacked"))
    assert posted.status_code == 404
    headers = bearer(session, intruder)
    assert client.get(f"/api/v1/startups/{other.id}", headers=headers).status_code == 404
    patched = client.patch(f"/api/v1/startups/{other.id}", json={"name": "Hacked"}, headers=headers)
    assert patched.status_code in (403, 404)
    joined = client.post(
        f"/api/v1/startups/{other.id}/members", json={"email": intruder.email, "role": "founder"}, headers=headers
    )
    assert joined.status_code in (403, 404)
    session.refresh(other)
    assert other.name == "Secret Bio"
    assert session.get(StartupMember, (other.id, intruder.id)) is None
    # A plain team member reads the startup but may not edit it.
    member = make_user(session)
    session.add(StartupMember(startup_id=other.id, user_id=member.id, role=MemberRole.member))
    session.commit()
    member_headers = bearer(session, member)
    assert client.get(f"/api/v1/startups/{other.id}", headers=member_headers).status_code == 200
    assert client.patch(f"/api/v1/startups/{other.id}", json={"name": "X"}, headers=member_headers).status_code == 403
