"""The admissions journey over HTTP through the pages (TestClient), plus the panels and the CSV export."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from cohorts.models import Application, ApplicationStatus, AssignmentStatus, Enrollment, ReviewAssignment
from cohorts.repository import FormRepository, ReviewRepository
from incubator.db import utcnow
from incubator.models import OutboxEmail
from startups.models import Sector
from tests.cohorts.builders import add_reviewers, make_cohort, make_founder_startup, make_pm
from tests.support.factories import ensure_csrf, post_form, sign_in


def _open_cohort(session: Session, **kwargs: object):  # type: ignore[no-untyped-def]
    now = utcnow().replace(tzinfo=None)
    pm = make_pm(session)
    cohort = make_cohort(
        session,
        pm=pm,
        opens=now - timedelta(days=1),
        closes=now + timedelta(days=7),
        **kwargs,  # type: ignore[arg-type]
    )
    return pm, cohort


def test_public_landing_lists_open_cohorts_with_their_deadline(client: TestClient, session: Session) -> None:
    _, cohort = _open_cohort(session, timezone="Europe/London")
    page = client.get("/")
    assert page.status_code == 200
    assert cohort.name in page.text and "Europe/London" in page.text and "Apply by" in page.text


def test_whole_journey_through_the_pages(client: TestClient, session: Session) -> None:
    pm, cohort = _open_cohort(session, blind=True, reviewers_per_application=1, capacity=2)
    r1, r2 = add_reviewers(session, cohort=cohort, pm=pm, count=2, capacity=5, tags=["climate"])
    founder, startup = make_founder_startup(session, sector=Sector.climate)
    pitch, bio, deck = FormRepository(session).questions(cohort.id)

    # The founder applies, saves a draft, uploads a deck and submits.
    sign_in(client, session, founder)
    assert "Your applications" in client.get("/").text
    response = post_form(client, f"/cohorts/{cohort.id}/apply", {"startup_id": str(startup.id)})
    assert response.status_code == 303
    app_url = response.headers["location"]
    token = ensure_csrf(client)
    bad = client.post(
        f"{app_url}/answers",
        data={"csrf_token": token, f"q_{pitch.id}": "Gas fermentation", "action": "save"},
        files={f"q_{deck.id}": ("deck.pdf", b"not a pdf", "application/pdf")},
    )
    assert bad.status_code == 422 and "This file is not a PDF." in bad.text and "Gas fermentation" in bad.text
    saved = client.post(
        f"{app_url}/answers",
        data={"csrf_token": token, f"q_{pitch.id}": "Gas fermentation", f"q_{bio.id}": f"{founder.full_name}, PhD"},
        files={f"q_{deck.id}": ("deck.pdf", b"%PDF-1.7 deck", "application/pdf")},
    )
    assert saved.status_code == 303
    submitted = client.post(
        f"{app_url}/answers", data={"csrf_token": token, f"q_{pitch.id}": "Gas fermentation", "action": "submit"}
    )
    assert submitted.status_code == 303
    app = session.exec(select(Application).where(Application.startup_id == startup.id)).one()
    session.refresh(app)
    assert app.status == ApplicationStatus.submitted
    assert client.get(f"/applications/{app.id}/files/{deck.id}").content == b"%PDF-1.7 deck"

    # The programme manager assigns reviewers automatically.
    sign_in(client, session, pm)
    assert post_form(client, f"/cohorts/{cohort.id}/auto-assign").status_code == 303
    (first,) = [a for a, _ in ReviewRepository(session).for_application(app.id)]
    reviewer = r1 if first.reviewer_id == r1.id else r2
    other = r2 if reviewer is r1 else r1

    # That reviewer declares a conflict: the application goes to the other one.
    sign_in(client, session, reviewer)
    assert client.get(f"/applications/{app.id}").status_code == 403  # before declaring
    post_form(client, f"/review-assignments/{first.id}/declaration", {"has_conflict": "1", "reason": "Advisor"})
    replacement = session.exec(
        select(ReviewAssignment).where(
            ReviewAssignment.application_id == app.id, ReviewAssignment.reviewer_id == other.id
        )
    ).one()
    assert replacement.status == AssignmentStatus.assigned
    assert client.get(f"/applications/{app.id}").status_code == 404  # handed back: no longer theirs

    # The other declares no conflict and reviews, blind.
    sign_in(client, session, other)
    assert "Reviews to do" in client.get("/").text
    post_form(client, f"/review-assignments/{replacement.id}/declaration", {"has_conflict": "0"})
    page = client.get(f"/applications/{app.id}")
    assert page.status_code == 200 and "Hidden for blind review" in page.text
    assert founder.email not in page.text and founder.full_name not in page.text
    c1, c2 = FormRepository(session).criteria(cohort.id)
    out_of_scale = post_form(
        client, f"/review-assignments/{replacement.id}/review",
        {f"score_{c1.id}": "7", f"score_{c2.id}": "3", "recommendation": "accept"},
    )  # fmt: skip
    assert out_of_scale.status_code == 422 and "Scores are from 1 to 5." in out_of_scale.text
    done = post_form(
        client, f"/review-assignments/{replacement.id}/review",
        {f"score_{c1.id}": "5", f"score_{c2.id}": "4", "recommendation": "accept", "comment": "Strong team"},
    )  # fmt: skip
    assert done.status_code == 303

    # The programme manager ranks, exports, decides and releases.
    sign_in(client, session, pm)
    ranking = client.get(f"/cohorts/{cohort.id}/ranking")
    assert ranking.status_code == 200 and startup.name in ranking.text and "4.67" in ranking.text
    exported = client.get(f"/cohorts/{cohort.id}/ranking.csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert exported.headers["content-type"].startswith("text/csv") and rows[0]["startup"] == startup.name
    assert (
        post_form(
            client, f"/cohorts/{cohort.id}/decisions", {"application_id": str(app.id), "outcome": "accept"}
        ).status_code
        == 303
    )
    preview = client.get(f"/cohorts/{cohort.id}/release")
    assert "You have a place in" in preview.text and founder.email in preview.text
    assert not session.exec(select(OutboxEmail).where(OutboxEmail.to_address == founder.email)).all()
    assert post_form(client, f"/cohorts/{cohort.id}/release").status_code == 303
    again = post_form(client, f"/cohorts/{cohort.id}/release")
    assert again.status_code == 409
    mail = session.exec(select(OutboxEmail).where(OutboxEmail.to_address == founder.email)).one()
    link = re.search(r"http://testserver(/applications/\S+)", mail.body_text)
    assert link is not None
    dashboard = client.get("/")
    assert "<svg" in dashboard.text and "Admissions funnel" in dashboard.text and "<script" not in dashboard.text

    # The founder sees the decision, confirms and is enrolled.
    sign_in(client, session, founder)
    page = client.get(link.group(1))
    assert "offered a place" in page.text
    assert post_form(client, f"/applications/{app.id}/confirm").status_code == 303
    assert session.exec(select(Enrollment).where(Enrollment.startup_id == startup.id)).one()
    assert "You are enrolled" in client.get(f"/applications/{app.id}").text


def test_staff_pages_render(client: TestClient, session: Session) -> None:
    pm, cohort = _open_cohort(session)
    sign_in(client, session, pm)
    for url in ("/cohorts", "/cohorts/new", f"/cohorts/{cohort.id}", f"/cohorts/{cohort.id}/applications",
                f"/cohorts/{cohort.id}/ranking", f"/cohorts/{cohort.id}/release", "/reviews"):  # fmt: skip
        assert client.get(url).status_code == 200, url
    bad = post_form(client, f"/cohorts/{cohort.id}/questions", {"prompt": "", "kind": "single_choice"})
    assert bad.status_code == 422
    created = post_form(
        client, "/cohorts/new",
        {"programme_id": str(cohort.programme_id), "name": "Autumn 2027", "timezone": "Asia/Shanghai",
         "applications_open": "2027-06-01T09:00", "applications_close": "2027-07-01T17:00", "start_date": "2027-09-01",
         "capacity": "10"},
    )  # fmt: skip
    assert created.status_code == 303
    detail = client.get(created.headers["location"])
    assert "Asia/Shanghai" in detail.text and "1 Jan 2028" in detail.text  # four months by default


def test_programme_manager_retires_a_question_and_records_a_conflict(client: TestClient, session: Session) -> None:
    pm, cohort = _open_cohort(session, reviewers_per_application=1)
    (mentor,) = add_reviewers(session, cohort=cohort, pm=pm, count=1)
    founder, startup = make_founder_startup(session)
    from cohorts import service

    service.start_application(session, cohort=cohort, startup=startup, actor=founder)
    session.commit()
    sign_in(client, session, pm)
    assert f"{startup.name}</option>" in client.get(f"/cohorts/{cohort.id}").text
    question = FormRepository(session).questions(cohort.id)[1]
    assert post_form(client, f"/cohorts/{cohort.id}/questions/{question.id}/retire").status_code == 303
    assert question.id not in [q.id for q in FormRepository(session).questions(cohort.id)]
    recorded = post_form(
        client, f"/cohorts/{cohort.id}/conflicts",
        {"user_id": str(mentor.id), "startup_id": str(startup.id), "reason": "Board member"},
    )  # fmt: skip
    assert recorded.status_code == 303
    assert ReviewRepository(session).conflict(mentor.id, startup.id) is not None


def test_a_refused_submission_keeps_the_draft(client: TestClient, session: Session) -> None:
    _pm, cohort = _open_cohort(session)
    founder, startup = make_founder_startup(session)
    from cohorts import service

    app = service.start_application(session, cohort=cohort, startup=startup, actor=founder)
    session.commit()
    _pitch, bio, _deck = FormRepository(session).questions(cohort.id)
    sign_in(client, session, founder)
    response = post_form(client, f"/applications/{app.id}/answers", {f"q_{bio.id}": "PhD, Delft", "action": "submit"})
    assert response.status_code == 422 and "This answer is required." in response.text
    from cohorts.repository import ApplicationRepository

    assert [a.value for a in ApplicationRepository(session).answers(app.id) if a.value] == ["PhD, Delft"]


def test_landing_says_when_no_cohort_is_open(client: TestClient, session: Session) -> None:
    page = client.get("/")
    assert "No cohorts are open for applications right now." in page.text


def test_programme_manager_builds_the_form_rubric_pool_and_settings_through_the_pages(
    client: TestClient, session: Session
) -> None:
    pm, cohort = _open_cohort(session)
    from incubator.models import Role
    from tests.support.factories import make_user

    mentor = make_user(session, roles=[Role.mentor])
    sign_in(client, session, pm)
    url = f"/cohorts/{cohort.id}"
    added = post_form(
        client, f"{url}/questions",
        {"prompt": "Stage", "kind": "single_choice", "choices": "Idea\nPilot", "required": "1", "identifying": "1"},
    )  # fmt: skip
    assert added.status_code == 303, added.text[:2000]
    stage = FormRepository(session).questions(cohort.id)[-1]
    assert (stage.prompt, stage.choices, stage.required, stage.identifying) == ("Stage", ["Idea", "Pilot"], True, True)
    criterion = post_form(client, f"{url}/criteria", {"name": "Impact", "weight": "2", "levels": "a\nb\nc\nd\ne"})
    assert criterion.status_code == 303
    assert FormRepository(session).criteria(cohort.id)[-1].levels == ["a", "b", "c", "d", "e"]
    pool = post_form(client, f"{url}/reviewers", {"email": mentor.email, "capacity": "7", "tags": "climate"})
    assert pool.status_code == 303
    (row,) = [r for r, u in ReviewRepository(session).reviewers(cohort.id) if u.id == mentor.id]
    assert (row.capacity, row.tags) == (7, ["climate"])
    settings = post_form(
        client, f"{url}/settings",
        {"capacity": "4", "reviewers_per_application": "3", "review_due_at": "2027-04-01T17:00", "blind_review": "1"},
    )  # fmt: skip
    assert settings.status_code == 303, settings.text[:2000]
    session.refresh(cohort)
    assert (cohort.capacity, cohort.reviewers_per_application, cohort.blind_review) == (4, 3, True)
    assert not cohort.scores_visible_after_submit  # an unticked box is a "no"
    assert cohort.review_due_at is not None


def test_interview_feedback_and_declining_through_the_pages(client: TestClient, session: Session) -> None:
    from cohorts import service
    from cohorts.models import DecisionOutcome
    from tests.cohorts.builders import submitted_application

    pm, cohort = _open_cohort(session, timezone="Asia/Shanghai", capacity=1)
    now = utcnow()
    app, founder, _ = submitted_application(session, cohort=cohort, now=now)
    waiting, _, _ = submitted_application(session, cohort=cohort, now=now)
    sign_in(client, session, pm)
    bad = post_form(client, f"/applications/{app.id}/interview", {"at": "not a time"})
    assert bad.status_code == 422
    ok = post_form(client, f"/applications/{app.id}/interview", {"at": "2027-03-02T10:00", "note": "Video call"})
    assert ok.status_code == 303
    session.refresh(app)
    assert app.status == ApplicationStatus.interview and app.interview_at.hour == 2  # 10:00 in Shanghai is 02:00 UTC
    assert post_form(client, f"/applications/{app.id}/share-feedback").status_code == 303
    service.record_decision(session, application=app, outcome=DecisionOutcome.accept, note="", actor=pm)
    service.record_decision(session, application=waiting, outcome=DecisionOutcome.waitlist, note="", actor=pm)
    service.release_decisions(session, cohort=cohort, actor=pm)
    session.commit()
    sign_in(client, session, founder)
    page = client.get(f"/applications/{app.id}")
    assert "Video call" in page.text and "Interview" in page.text
    assert post_form(client, f"/applications/{app.id}/decline").status_code == 303
    session.refresh(waiting)
    assert waiting.status == ApplicationStatus.accepted


def test_bulk_assignment_by_hand_and_withdrawal_through_the_pages(client: TestClient, session: Session) -> None:
    from tests.cohorts.builders import submitted_application

    pm, cohort = _open_cohort(session)
    (mentor,) = add_reviewers(session, cohort=cohort, pm=pm, count=1, capacity=1)
    now = utcnow()
    (a1, founder, _), (a2, _, _) = (submitted_application(session, cohort=cohort, now=now) for _ in range(2))
    sign_in(client, session, pm)
    listing = client.get(f"/cohorts/{cohort.id}/applications?status=submitted")
    assert str(a1.id) in listing.text and mentor.full_name in listing.text
    token = ensure_csrf(client)
    over = client.post(
        f"/cohorts/{cohort.id}/assign",
        data={"csrf_token": token, "application_id": [str(a1.id), str(a2.id)], "reviewer_id": str(mentor.id)},
    )
    assert over.status_code == 409 and "capacity of 1" in over.text  # nothing half-done: no assignment kept
    assert not ReviewRepository(session).for_application(a1.id)
    one = client.post(
        f"/cohorts/{cohort.id}/assign",
        data={"csrf_token": token, "application_id": [str(a1.id)], "reviewer_id": str(mentor.id)},
    )
    assert one.status_code == 303 and len(ReviewRepository(session).for_application(a1.id)) == 1
    sign_in(client, session, founder)
    assert post_form(client, f"/applications/{a1.id}/withdraw").status_code == 303
    session.refresh(a1)
    assert a1.status == ApplicationStatus.withdrawn
    (assignment, _) = ReviewRepository(session).for_application(a1.id)[0]
    assert assignment.status == AssignmentStatus.removed
