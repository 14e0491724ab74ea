"""Who may reach the routes of admissions (DESIGN.md section 4).

Programme managers run cohorts, review assignment, ranking and decisions. A founder applies with their own startup
and acts on its application; a reviewer (mentor or programme manager) reaches only applications assigned to them,
after declaring no conflict. Applications and assignments a user may not see answer 404.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from cohorts import service
from cohorts.models import QuestionKind
from cohorts.repository import FormRepository, ReviewRepository
from cohorts.schemas import CohortCreate, CriterionCreate, ProgrammeCreate, QuestionCreate
from incubator.db import utcnow
from incubator.models import User
from tests.authz.rule import SIGNED_IN, Rule, only
from tests.support.factories import make_startup, make_user

PM = only("program_manager")
REVIEWERS = only("mentor", "program_manager")
READ_APPLICATION = only("founder", "program_manager", "mentor", hidden_as_404=True)
# The startup's own team only: programme staff read the application but do not write it (admins neither).
TEAM = Rule(frozenset({"founder"}), hidden_as_404=True)
OWN_ASSIGNMENT = only("mentor", hidden_as_404=True)
API = "/api/v1"

RULES: dict[tuple[str, str], Rule] = {
    ("GET", f"{API}/programmes"): SIGNED_IN,
    ("POST", f"{API}/programmes"): PM,
    ("GET", f"{API}/cohorts"): SIGNED_IN,
    ("POST", f"{API}/cohorts"): PM,
    ("GET", f"{API}/cohorts/{{cohort_id}}"): SIGNED_IN,
    ("PATCH", f"{API}/cohorts/{{cohort_id}}"): PM,
    **{("POST", f"{API}/cohorts/{{cohort_id}}/{a}"): PM for a in ("open", "review", "start", "demo-day", "complete")},
    ("GET", f"{API}/cohorts/{{cohort_id}}/questions"): SIGNED_IN,
    ("POST", f"{API}/cohorts/{{cohort_id}}/questions"): PM,
    ("PATCH", f"{API}/questions/{{question_id}}"): PM,
    ("GET", f"{API}/cohorts/{{cohort_id}}/criteria"): REVIEWERS,
    ("POST", f"{API}/cohorts/{{cohort_id}}/criteria"): PM,
    ("GET", f"{API}/cohorts/{{cohort_id}}/reviewers"): PM,
    ("POST", f"{API}/cohorts/{{cohort_id}}/reviewers"): PM,
    ("POST", f"{API}/cohorts/{{cohort_id}}/conflicts"): PM,
    ("GET", f"{API}/cohorts/{{cohort_id}}/applications"): PM,
    ("POST", f"{API}/cohorts/{{cohort_id}}/applications"): only("founder"),
    ("GET", f"{API}/applications"): SIGNED_IN,
    ("GET", f"{API}/applications/{{application_id}}"): READ_APPLICATION,
    ("PUT", f"{API}/applications/{{application_id}}/answers"): TEAM,
    ("POST", f"{API}/applications/{{application_id}}/files/{{question_id}}"): TEAM,
    ("GET", f"{API}/applications/{{application_id}}/files/{{question_id}}"): READ_APPLICATION,
    ("POST", f"{API}/applications/{{application_id}}/submit"): TEAM,
    ("POST", f"{API}/applications/{{application_id}}/withdraw"): TEAM,
    ("POST", f"{API}/applications/{{application_id}}/interview"): PM,
    ("POST", f"{API}/applications/{{application_id}}/confirm"): TEAM,
    ("POST", f"{API}/applications/{{application_id}}/decline"): TEAM,
    ("GET", f"{API}/applications/{{application_id}}/reviews"): READ_APPLICATION,
    ("POST", f"{API}/applications/{{application_id}}/reviews"): only("mentor", "program_manager", hidden_as_404=True),
    ("GET", f"{API}/review-assignments"): REVIEWERS,
    ("POST", f"{API}/cohorts/{{cohort_id}}/review-assignments"): PM,
    ("POST", f"{API}/cohorts/{{cohort_id}}/review-assignments/auto"): PM,
    ("POST", f"{API}/review-assignments/{{assignment_id}}/declaration"): OWN_ASSIGNMENT,
    ("GET", f"{API}/cohorts/{{cohort_id}}/ranking"): PM,
    ("GET", f"{API}/cohorts/{{cohort_id}}/ranking.csv"): PM,
    ("GET", f"{API}/cohorts/{{cohort_id}}/decisions"): PM,
    ("POST", f"{API}/cohorts/{{cohort_id}}/decisions"): PM,
    ("GET", f"{API}/cohorts/{{cohort_id}}/decisions/preview"): PM,
    ("POST", f"{API}/cohorts/{{cohort_id}}/decisions/release"): PM,
    ("GET", f"{API}/cohorts/{{cohort_id}}/enrollments"): PM,
    # Pages
    ("GET", "/cohorts"): SIGNED_IN,
    ("GET", "/cohorts/new"): PM,
    ("POST", "/cohorts/new"): PM,
    ("POST", "/programmes"): PM,
    ("GET", "/cohorts/{cohort_id}"): SIGNED_IN,
    ("POST", "/cohorts/{cohort_id}/status/{action}"): PM,
    ("POST", "/cohorts/{cohort_id}/settings"): PM,
    ("POST", "/cohorts/{cohort_id}/questions"): PM,
    ("POST", "/cohorts/{cohort_id}/criteria"): PM,
    ("POST", "/cohorts/{cohort_id}/questions/{question_id}/retire"): PM,
    ("POST", "/cohorts/{cohort_id}/conflicts"): PM,
    ("POST", "/cohorts/{cohort_id}/reviewers"): PM,
    ("GET", "/cohorts/{cohort_id}/applications"): PM,
    ("POST", "/cohorts/{cohort_id}/assign"): PM,
    ("POST", "/cohorts/{cohort_id}/auto-assign"): PM,
    ("GET", "/cohorts/{cohort_id}/ranking"): PM,
    ("GET", "/cohorts/{cohort_id}/ranking.csv"): PM,
    ("POST", "/cohorts/{cohort_id}/decisions"): PM,
    ("GET", "/cohorts/{cohort_id}/release"): PM,
    ("POST", "/cohorts/{cohort_id}/release"): PM,
    ("POST", "/cohorts/{cohort_id}/apply"): only("founder"),
    ("GET", "/applications/{application_id}"): READ_APPLICATION,
    ("POST", "/applications/{application_id}/answers"): TEAM,
    ("GET", "/applications/{application_id}/files/{question_id}"): READ_APPLICATION,
    ("POST", "/applications/{application_id}/withdraw"): TEAM,
    ("POST", "/applications/{application_id}/confirm"): TEAM,
    ("POST", "/applications/{application_id}/decline"): TEAM,
    ("POST", "/applications/{application_id}/share-feedback"): PM,
    ("POST", "/applications/{application_id}/hide-feedback"): PM,
    ("POST", "/applications/{application_id}/interview"): PM,
    ("GET", "/reviews"): REVIEWERS,
    ("POST", "/review-assignments/{assignment_id}/declaration"): OWN_ASSIGNMENT,
    ("POST", "/review-assignments/{assignment_id}/review"): OWN_ASSIGNMENT,
}


def world(session: Session, users: dict[str, User]) -> dict[str, str]:
    """An open cohort with a form, a rubric, the mentor in its pool, and the founder's submitted application
    assigned to the mentor, who has declared no conflict."""
    pm = make_user(session, roles=[users["program_manager"].roles[0].role], email="matrix-cohorts-pm@example.org")
    programme = service.create_programme(session, data=ProgrammeCreate(name="Matrix Accelerator"), actor=pm)
    now = utcnow().replace(tzinfo=None)
    cohort = service.create_cohort(
        session,
        data=CohortCreate(
            programme_id=programme.id, name="Matrix cohort", applications_open=now - timedelta(days=1),
            applications_close=now + timedelta(days=30), start_date=(now + timedelta(days=60)).date(),
            reviewers_per_application=1,
        ),
        actor=pm,
    )  # fmt: skip
    question = service.add_question(
        session, cohort=cohort, data=QuestionCreate(prompt="Pitch", kind=QuestionKind.short_text), actor=pm
    )
    service.add_criterion(session, cohort=cohort, data=CriterionCreate(name="Science"), actor=pm)
    service.open_cohort(session, cohort=cohort, actor=pm)
    service.add_reviewer(session, cohort=cohort, email=users["mentor"].email, capacity=5, tags=[], actor=pm)
    founder = users["founder"]
    startup = make_startup(session, name="Matrix Admissions Bio", founder=founder)
    app = service.start_application(session, cohort=cohort, startup=startup, actor=founder)
    service.save_answers(session, application=app, answers={question.id: "Pitch"}, actor=founder)
    service.submit_application(session, application=app, actor=founder)
    service.auto_assign(session, cohort=cohort, actor=pm)
    assignment = ReviewRepository(session).assignment_of(app.id, users["mentor"].id)
    assert assignment is not None
    service.declare_no_conflict(session, assignment=assignment, actor=users["mentor"])
    assert FormRepository(session).questions(cohort.id)
    return {
        "cohort_id": str(cohort.id),
        "application_id": str(app.id),
        "assignment_id": str(assignment.id),
        "question_id": str(question.id),
        "action": "open",
    }
