"""The admissions API: the same rules as the pages, with problem details and the right status for bad input."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select
from typer.testing import CliRunner

from cli import app
from cohorts.repository import FormRepository
from incubator.db import utcnow
from incubator.jobs import registered_jobs
from incubator.models import OutboxEmail
from tests.cohorts.builders import add_reviewers, make_cohort, make_founder_startup, make_pm
from tests.support.factories import bearer


def test_founder_applies_through_the_api_and_bad_input_gets_clear_statuses(
    client: TestClient, session: Session
) -> None:
    now = utcnow().replace(tzinfo=None)
    pm = make_pm(session)
    cohort = make_cohort(
        session, pm=pm, opens=now - timedelta(days=1), closes=now + timedelta(days=3), blind=True,
        reviewers_per_application=1, capacity=1,
    )  # fmt: skip
    (mentor,) = add_reviewers(session, cohort=cohort, pm=pm, count=1)
    founder, startup = make_founder_startup(session)
    as_founder, as_pm, as_mentor = bearer(session, founder), bearer(session, pm), bearer(session, mentor)
    pitch, _bio, deck = FormRepository(session).questions(cohort.id)

    listed = client.get("/api/v1/cohorts", headers=as_founder).json()
    assert any(c["id"] == str(cohort.id) for c in listed["items"])
    created = client.post(
        f"/api/v1/cohorts/{cohort.id}/applications", json={"startup_id": str(startup.id)}, headers=as_founder
    )
    assert created.status_code == 201
    app_id = created.json()["id"]
    twice = client.post(
        f"/api/v1/cohorts/{cohort.id}/applications", json={"startup_id": str(startup.id)}, headers=as_founder
    )
    assert twice.status_code == 409 and "already has an application" in twice.json()["detail"]
    missing = client.post(f"/api/v1/applications/{app_id}/submit", headers=as_founder)
    assert missing.status_code == 422 and f"q_{pitch.id}" in missing.json()["errors"]
    not_pdf = client.post(
        f"/api/v1/applications/{app_id}/files/{deck.id}", files={"file": ("deck.pdf", b"<html>", "application/pdf")},
        headers=as_founder,
    )  # fmt: skip
    assert not_pdf.status_code == 422
    client.put(
        f"/api/v1/applications/{app_id}/answers", json={"answers": {str(pitch.id): "Casein"}}, headers=as_founder
    )
    assert client.post(f"/api/v1/applications/{app_id}/submit", headers=as_founder).status_code == 200
    assert client.post(f"/api/v1/applications/{app_id}/submit", headers=as_founder).status_code == 409

    # Review through the API: the mentor must declare before reading, and scores must be on the scale.
    assert client.post(f"/api/v1/cohorts/{cohort.id}/review-assignments/auto", json={}, headers=as_pm).json() == {
        "assigned": 1
    }
    assert client.get(f"/api/v1/applications/{app_id}", headers=as_mentor).status_code == 403
    (assignment,) = client.get("/api/v1/review-assignments", headers=as_mentor).json()
    declared = client.post(
        f"/api/v1/review-assignments/{assignment['id']}/declaration", json={"has_conflict": False}, headers=as_mentor
    )
    assert declared.json()["status"] == "cleared"
    blind = client.get(f"/api/v1/applications/{app_id}", headers=as_mentor).json()
    assert blind["blind"] and blind["founders"] == [] and founder.email not in str(blind)
    criteria = client.get(f"/api/v1/cohorts/{cohort.id}/criteria", headers=as_mentor).json()
    bad = {"scores": {c["id"]: 0 for c in criteria}, "recommendation": "accept"}
    assert client.post(f"/api/v1/applications/{app_id}/reviews", json=bad, headers=as_mentor).status_code == 422
    good = {"scores": {c["id"]: 4 for c in criteria}, "recommendation": "accept", "comment": "Good"}
    assert client.post(f"/api/v1/applications/{app_id}/reviews", json=good, headers=as_mentor).status_code == 201
    assert client.get(f"/api/v1/applications/{app_id}/reviews", headers=as_founder).json() == []  # not shared
    assert client.get(f"/api/v1/applications/{app_id}/reviews", headers=as_pm).json()[0]["comment"] == "Good"

    # Ranking and CSV, decisions, capacity, release (twice is a 409), confirm.
    ranking = client.get(f"/api/v1/cohorts/{cohort.id}/ranking", headers=as_pm).json()
    assert ranking[0]["raw_mean"] == 4.0 and ranking[0]["reviews"] == 1
    assert "startup" in client.get(f"/api/v1/cohorts/{cohort.id}/ranking.csv", headers=as_pm).text.splitlines()[0]
    decided = client.post(
        f"/api/v1/cohorts/{cohort.id}/decisions", json={"application_id": app_id, "outcome": "accept"}, headers=as_pm
    )
    assert decided.status_code == 201 and decided.json()["released_at"] is None
    assert client.get(f"/api/v1/applications/{app_id}", headers=as_founder).json()["decision"] is None  # pending
    preview = client.get(f"/api/v1/cohorts/{cohort.id}/decisions/preview", headers=as_pm).json()
    assert preview[0]["to"] == [founder.email]
    assert client.post(f"/api/v1/cohorts/{cohort.id}/decisions/release", headers=as_pm).json() == {
        "released": 1,
        "emails": 1,
    }
    assert client.post(f"/api/v1/cohorts/{cohort.id}/decisions/release", headers=as_pm).status_code == 409
    assert client.get(f"/api/v1/applications/{app_id}", headers=as_founder).json()["decision"] == "accept"
    enrolled = client.post(f"/api/v1/applications/{app_id}/confirm", headers=as_founder)
    assert enrolled.status_code == 200 and enrolled.json()["status"] == "active"
    assert len(client.get(f"/api/v1/cohorts/{cohort.id}/enrollments", headers=as_pm).json()) == 1


def test_reminder_command_and_job_are_registered(session: Session) -> None:
    assert "cohorts.remind_reviewers" in registered_jobs()
    pm = make_pm(session)
    cohort = make_cohort(session, pm=pm, reviewers_per_application=1)
    (mentor,) = add_reviewers(session, cohort=cohort, pm=pm, count=1)
    from tests.cohorts.builders import submitted_application

    submitted_application(session, cohort=cohort)
    from cohorts import service

    service.auto_assign(session, cohort=cohort, actor=pm)
    cohort.review_due_at = utcnow() - timedelta(days=1)
    session.add(cohort)
    session.commit()
    result = CliRunner().invoke(app, ["cohorts", "remind-reviewers"])
    assert result.exit_code == 0, result.output
    assert "1 reviewer(s) reminded" in result.output
    assert session.exec(select(OutboxEmail).where(OutboxEmail.to_address == mentor.email)).one()
