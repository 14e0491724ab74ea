"""Admissions rules on SQLite and PostgreSQL: deadline, capacity, blind review, scores after submitting, and the
other bad inputs of the issue, each with its clear message and status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from cohorts import service
from cohorts.deps import load_application
from cohorts.errors import (
    AlreadyReleased,
    AssignmentImpossible,
    CapacityExceeded,
    ConflictNotDeclared,
    DeadlinePassed,
    DuplicateApplication,
    MissingAnswers,
)
from cohorts.models import ApplicationStatus, AssignmentStatus, DecisionOutcome, Enrollment
from cohorts.repository import ApplicationRepository, FormRepository, ReviewRepository
from cohorts.schemas import QuestionUpdate, ReviewCreate
from cohorts.views import build_application_view
from incubator.errors import InvalidTransition, NotFound, PayloadTooLarge, ValidationFailed
from incubator.models import AuditEvent, OutboxEmail
from startups.models import Sector
from tests.cohorts.builders import (
    NOW,
    add_reviewers,
    assignment_of,
    make_cohort,
    make_founder_startup,
    make_pm,
    review,
    submitted_application,
)

# --- deadline, in the cohort's time zone --------------------------------------------------------------------


def test_deadline_is_checked_on_the_server_in_the_cohorts_time_zone(session: Session) -> None:
    pm = make_pm(session)
    # 17:00 in Shanghai is 09:00 UTC.
    cohort = make_cohort(session, pm=pm, timezone="Asia/Shanghai", closes=datetime(2027, 3, 31, 17, 0))
    assert cohort.applications_close_at == datetime(2027, 3, 31, 9, 0, tzinfo=UTC)
    founder, startup = make_founder_startup(session)
    app = service.start_application(session, cohort=cohort, startup=startup, actor=founder, now=NOW)
    first = FormRepository(session).questions(cohort.id)[0]
    service.save_answers(session, application=app, answers={first.id: "Pitch"}, actor=founder)
    late = datetime(2027, 3, 31, 9, 0, 1, tzinfo=UTC)  # 17:00:01 in Shanghai; still the morning in London
    with pytest.raises(DeadlinePassed, match=r"31 Mar 2027 17:00 \(Asia/Shanghai\)") as exc:
        service.submit_application(session, application=app, actor=founder, now=late)
    assert exc.value.status == 409
    assert app.status == ApplicationStatus.draft  # nothing lost: the draft is still there
    service.submit_application(session, application=app, actor=founder, now=late - timedelta(seconds=2))
    assert app.status == ApplicationStatus.submitted


def test_submitting_twice_missing_answers_and_duplicate_applications_are_refused(session: Session) -> None:
    pm = make_pm(session)
    cohort = make_cohort(session, pm=pm)
    founder, startup = make_founder_startup(session)
    app = service.start_application(session, cohort=cohort, startup=startup, actor=founder, now=NOW)
    with pytest.raises(MissingAnswers) as exc:
        service.submit_application(session, application=app, actor=founder, now=NOW)
    assert exc.value.status == 422 and len(exc.value.field_errors) == 1
    with pytest.raises(DuplicateApplication):
        service.start_application(session, cohort=cohort, startup=startup, actor=founder, now=NOW)
    first = FormRepository(session).questions(cohort.id)[0]
    service.save_answers(session, application=app, answers={first.id: "Pitch"}, actor=founder)
    service.submit_application(session, application=app, actor=founder, now=NOW)
    with pytest.raises(InvalidTransition, match="already been submitted"):
        service.submit_application(session, application=app, actor=founder, now=NOW)
    # Withdrawn, the startup may apply again: one *live* application per startup per cohort.
    service.withdraw_application(session, application=app, actor=founder)
    again = service.start_application(session, cohort=cohort, startup=startup, actor=founder, now=NOW)
    session.flush()
    assert again.id != app.id


def test_non_pdf_and_oversized_uploads_are_refused(session: Session) -> None:
    pm = make_pm(session)
    cohort = make_cohort(session, pm=pm)
    founder, startup = make_founder_startup(session)
    app = service.start_application(session, cohort=cohort, startup=startup, actor=founder, now=NOW)
    deck = FormRepository(session).questions(cohort.id)[2]
    with pytest.raises(ValidationFailed) as exc:
        service.save_answers(session, application=app, answers={}, files={deck.id: ("x.pdf", b"MZ\x90")}, actor=founder)
    assert exc.value.field_errors == {f"q_{deck.id}": "This file is not a PDF."}
    with pytest.raises(PayloadTooLarge):
        big = b"%PDF-" + b"0" * (10 * 1024 * 1024)
        service.save_answers(session, application=app, answers={}, files={deck.id: ("x.pdf", big)}, actor=founder)
    service.save_answers(
        session, application=app, answers={}, files={deck.id: ("d.pdf", b"%PDF-1.4 ok")}, actor=founder
    )
    assert ApplicationRepository(session).answers(app.id)[0].file_name == "d.pdf"


def test_editing_the_form_never_changes_earlier_answers(session: Session) -> None:
    pm = make_pm(session)
    cohort = make_cohort(session, pm=pm)
    app, _, _ = submitted_application(session, cohort=cohort)
    first = FormRepository(session).questions(cohort.id)[0]
    service.update_question(session, question=first, data=QuestionUpdate(prompt="Your pitch in 10 words"), actor=pm)
    answer = ApplicationRepository(session).answers(app.id)[0]
    assert (answer.prompt, answer.value) == ("Pitch", "We ferment proteins.")


# --- capacity --------------------------------------------------------------------------------------------------


def test_accepting_beyond_capacity_is_refused_and_confirming_enforces_it(session: Session) -> None:
    pm = make_pm(session)
    cohort = make_cohort(session, pm=pm, capacity=1)
    (a1, f1, _), (a2, _, _) = (
        submitted_application(session, cohort=cohort),
        submitted_application(session, cohort=cohort),
    )
    service.record_decision(session, application=a1, outcome=DecisionOutcome.accept, note="", actor=pm)
    with pytest.raises(CapacityExceeded, match="1 places") as exc:
        service.record_decision(session, application=a2, outcome=DecisionOutcome.accept, note="", actor=pm)
    assert exc.value.status == 409
    service.record_decision(session, application=a2, outcome=DecisionOutcome.waitlist, note="", actor=pm)
    service.release_decisions(session, cohort=cohort, actor=pm)
    enrollment = service.confirm_place(session, application=a1, actor=f1)
    assert enrollment.startup_id == a1.startup_id and a1.status == ApplicationStatus.enrolled
    with pytest.raises(InvalidTransition):
        service.confirm_place(session, application=a1, actor=f1)
    assert len(session.exec(select(Enrollment).where(Enrollment.cohort_id == cohort.id)).all()) == 1


def test_declining_offers_the_place_to_the_best_ranked_waitlisted_startup(session: Session) -> None:
    pm = make_pm(session)
    cohort = make_cohort(session, pm=pm, capacity=1, reviewers_per_application=1)
    (reviewer,) = add_reviewers(session, cohort=cohort, pm=pm, count=1)
    accepted, f1, _ = submitted_application(session, cohort=cohort)
    weaker, _, _ = submitted_application(session, cohort=cohort)
    stronger, stronger_founder, _ = submitted_application(session, cohort=cohort)
    service.auto_assign(session, cohort=cohort, actor=pm)
    for app, scores in ((accepted, [5, 5]), (weaker, [2, 2]), (stronger, [4, 4])):
        review(session, assignment=assignment_of(session, app, reviewer), reviewer=reviewer, scores=scores)
    service.record_decision(session, application=accepted, outcome=DecisionOutcome.accept, note="", actor=pm)
    for app in (weaker, stronger):
        service.record_decision(session, application=app, outcome=DecisionOutcome.waitlist, note="", actor=pm)
    service.release_decisions(session, cohort=cohort, actor=pm)
    offered = service.decline_place(session, application=accepted, actor=f1)
    assert offered is not None and offered.id == stronger.id
    assert stronger.status == ApplicationStatus.accepted and weaker.status == ApplicationStatus.waitlisted
    offer = session.exec(
        select(OutboxEmail)
        .where(OutboxEmail.to_address == stronger_founder.email, OutboxEmail.kind == "decision")
        .order_by(OutboxEmail.created_at.desc())  # type: ignore[attr-defined]
    ).first()
    assert offer is not None
    assert offer.subject == f"You have a place in {cohort.name}" and "A place opened up" in offer.body_text


def test_releasing_twice_is_a_409_and_nothing_is_sent_before(session: Session) -> None:
    pm = make_pm(session)
    cohort = make_cohort(session, pm=pm)
    app, founder, _ = submitted_application(session, cohort=cohort)
    service.record_decision(session, application=app, outcome=DecisionOutcome.reject, note="", actor=pm)
    assert not session.exec(select(OutboxEmail).where(OutboxEmail.to_address == founder.email)).all()
    preview = service.release_preview(session, cohort=cohort)
    assert preview[0].to == [founder.email] and "not able to offer" in preview[0].body
    assert service.release_decisions(session, cohort=cohort, actor=pm) == (1, 1)
    sent = session.exec(select(OutboxEmail).where(OutboxEmail.to_address == founder.email)).one()
    assert sent.body_text == preview[0].body
    with pytest.raises(AlreadyReleased) as exc:
        service.release_decisions(session, cohort=cohort, actor=pm)
    assert exc.value.status == 409
    with pytest.raises(AlreadyReleased):
        service.record_decision(session, application=app, outcome=DecisionOutcome.accept, note="", actor=pm)
    actions = set(
        session.exec(select(AuditEvent.action).where(AuditEvent.object_id.in_([str(app.id), str(cohort.id)]))).all()
    )  # type: ignore[attr-defined]
    assert {"decision.record", "decision.release"} <= actions


# --- review: conflicts, blind review, scores after submitting -------------------------------------------------


def test_reviewer_cannot_open_an_unassigned_application_or_before_declaring(session: Session) -> None:
    pm = make_pm(session)
    cohort = make_cohort(session, pm=pm, reviewers_per_application=1)
    (reviewer, other) = add_reviewers(session, cohort=cohort, pm=pm, count=2)
    app, _, _ = submitted_application(session, cohort=cohort)
    service.assign_by_hand(session, cohort=cohort, application_ids=[app.id], reviewer_id=reviewer.id, actor=pm)
    with pytest.raises(NotFound):
        load_application(session, other, app.id)
    with pytest.raises(ConflictNotDeclared) as exc:
        load_application(session, reviewer, app.id)
    assert exc.value.status == 403
    assignment = assignment_of(session, app, reviewer)
    with pytest.raises(ConflictNotDeclared):
        service.submit_review(
            session, assignment=assignment, data=ReviewCreate(scores={}, recommendation="accept"), actor=reviewer
        )
    service.declare_no_conflict(session, assignment=assignment, actor=reviewer)
    assert load_application(session, reviewer, app.id)[0].id == app.id


def test_scores_outside_the_scale_are_refused(session: Session) -> None:
    pm = make_pm(session)
    cohort = make_cohort(session, pm=pm, reviewers_per_application=1)
    (reviewer,) = add_reviewers(session, cohort=cohort, pm=pm, count=1)
    app, _, _ = submitted_application(session, cohort=cohort)
    service.auto_assign(session, cohort=cohort, actor=pm)
    assignment = assignment_of(session, app, reviewer)
    service.declare_no_conflict(session, assignment=assignment, actor=reviewer)
    c1, c2 = FormRepository(session).criteria(cohort.id)
    with pytest.raises(ValidationFailed) as exc:
        service.submit_review(
            session, assignment=assignment, data=ReviewCreate(scores={c1.id: 6, c2.id: 3}, recommendation="accept"),
            actor=reviewer,
        )  # fmt: skip
    assert exc.value.field_errors == {f"score_{c1.id}": "Scores are from 1 to 5."}
    assert assignment.status == AssignmentStatus.cleared


def test_declaring_a_conflict_hands_back_reassigns_and_tells_the_programme_manager(session: Session) -> None:
    pm = make_pm(session)
    cohort = make_cohort(session, pm=pm, reviewers_per_application=1)
    r1, r2 = add_reviewers(session, cohort=cohort, pm=pm, count=2)
    app, _, startup = submitted_application(session, cohort=cohort)
    service.assign_by_hand(session, cohort=cohort, application_ids=[app.id], reviewer_id=r1.id, actor=pm)
    service.declare_conflict(session, assignment=assignment_of(session, app, r1), reason="I advise them", actor=r1)
    assert assignment_of(session, app, r2).status == AssignmentStatus.assigned  # the replacement
    assert ReviewRepository(session).conflict(r1.id, startup.id) is not None
    mail = session.exec(select(OutboxEmail).where(OutboxEmail.to_address == pm.email)).one()
    assert "I advise them" in mail.body_text and "replacement reviewer was assigned" in mail.body_text
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "review.conflict_declared")).first()
    # Auto-assignment never gives the conflicted reviewer that startup again.
    with pytest.raises(Exception):  # noqa: B017 - the hand-assignment refuses too
        service.assign_by_hand(session, cohort=cohort, application_ids=[app.id], reviewer_id=r1.id, actor=pm)


def test_auto_assign_raises_409_when_capacity_is_short_and_assigns_nothing(session: Session) -> None:
    pm = make_pm(session)
    cohort = make_cohort(session, pm=pm, reviewers_per_application=2)
    add_reviewers(session, cohort=cohort, pm=pm, count=2, capacity=1)
    apps = [submitted_application(session, cohort=cohort)[0] for _ in range(2)]
    with pytest.raises(AssignmentImpossible) as exc:
        service.auto_assign(session, cohort=cohort, actor=pm)
    assert exc.value.status == 409
    assert all(not ReviewRepository(session).for_application(a.id) for a in apps)


def test_blind_review_hides_founders_and_identifying_answers_from_reviewers_only(session: Session) -> None:
    pm = make_pm(session)
    cohort = make_cohort(session, pm=pm, blind=True, reviewers_per_application=1)
    (reviewer,) = add_reviewers(session, cohort=cohort, pm=pm, count=1)
    app, founder, startup = submitted_application(session, cohort=cohort)
    bio = FormRepository(session).questions(cohort.id)[1]
    answer = ApplicationRepository(session).answers(app.id)[0]
    answer_value = answer.value
    session.add(
        type(answer)(application_id=app.id, question_id=bio.id, prompt=bio.prompt, kind=bio.kind, identifying=True,
                     value=f"{founder.full_name}, PhD Cambridge", position=2)
    )  # fmt: skip
    session.flush()
    service.auto_assign(session, cohort=cohort, actor=pm)
    service.declare_no_conflict(session, assignment=assignment_of(session, app, reviewer), actor=reviewer)
    seen = build_application_view(session, viewer=reviewer, application=app, startup=startup, cohort=cohort)
    assert seen.blind and seen.founders == []
    assert [(a.value, a.hidden) for a in seen.answers] == [(answer_value, False), (None, True)]
    assert founder.email not in seen.model_dump_json() and founder.full_name not in seen.model_dump_json()
    staff = build_application_view(session, viewer=pm, application=app, startup=startup, cohort=cohort)
    assert staff.founders[0].email == founder.email and not staff.answers[1].hidden
    cohort.blind_review = False
    open_view = build_application_view(session, viewer=reviewer, application=app, startup=startup, cohort=cohort)
    assert open_view.founders and not open_view.answers[1].hidden


@pytest.mark.parametrize("visible_after_submit", [True, False])
def test_reviewers_see_other_scores_only_after_submitting_their_own(
    session: Session, visible_after_submit: bool
) -> None:
    pm = make_pm(session)
    cohort = make_cohort(session, pm=pm, reviewers_per_application=2, scores_after_submit=visible_after_submit)
    r1, r2 = add_reviewers(session, cohort=cohort, pm=pm, count=2)
    app, founder, startup = submitted_application(session, cohort=cohort, sector=Sector.climate)
    service.auto_assign(session, cohort=cohort, actor=pm)
    review(session, assignment=assignment_of(session, app, r1), reviewer=r1, scores=[5, 4])
    service.declare_no_conflict(session, assignment=assignment_of(session, app, r2), actor=r2)

    def seen_by(user: object) -> list[float]:
        view = build_application_view(session, viewer=user, application=app, startup=startup, cohort=cohort)  # type: ignore[arg-type]
        return [r.weighted_total for r in view.reviews]

    assert seen_by(r2) == []  # before submitting: nothing of the others
    review(session, assignment=assignment_of(session, app, r2), reviewer=r2, scores=[1, 1], declare=False)
    others = [pytest.approx(14 / 3, abs=1e-3)] if visible_after_submit else []
    assert seen_by(r2) == [*others, 1.0]
    assert sorted(seen_by(pm)) == [1.0, pytest.approx(14 / 3, abs=1e-3)]
    assert seen_by(founder) == []  # the founder sees nothing reviewers wrote until it is shared
    service.share_feedback(session, application=app, shared=True, actor=pm)
    founder_view = build_application_view(session, viewer=founder, application=app, startup=startup, cohort=cohort)
    assert [r.reviewer_name for r in founder_view.reviews] == [None, None] and all(
        not r.scores for r in founder_view.reviews
    )


def test_late_reviewers_get_one_reminder_through_the_outbox(session: Session) -> None:
    pm = make_pm(session)
    cohort = make_cohort(session, pm=pm, reviewers_per_application=1)
    (reviewer,) = add_reviewers(session, cohort=cohort, pm=pm, count=1)
    submitted_application(session, cohort=cohort)
    service.auto_assign(session, cohort=cohort, actor=pm)
    cohort.review_due_at = NOW
    session.add(cohort)
    session.flush()
    assert service.remind_late_reviewers(session, now=NOW - timedelta(hours=1)) == 0
    assert service.remind_late_reviewers(session, now=NOW + timedelta(hours=1)) == 1
    assert service.remind_late_reviewers(session, now=NOW + timedelta(hours=2)) == 0  # not again the same day
    mail = session.exec(select(OutboxEmail).where(OutboxEmail.to_address == reviewer.email)).one()
    assert "past their deadline" in mail.body_text


def test_withdrawing_an_accepted_offer_frees_the_place_for_the_waiting_list(session: Session) -> None:
    pm = make_pm(session)
    cohort = make_cohort(session, pm=pm, capacity=1)
    accepted, founder, _ = submitted_application(session, cohort=cohort)
    waiting, _, _ = submitted_application(session, cohort=cohort)
    service.record_decision(session, application=accepted, outcome=DecisionOutcome.accept, note="", actor=pm)
    service.record_decision(session, application=waiting, outcome=DecisionOutcome.waitlist, note="", actor=pm)
    service.release_decisions(session, cohort=cohort, actor=pm)
    service.withdraw_application(session, application=accepted, actor=founder)
    assert waiting.status == ApplicationStatus.accepted


def test_funnel_counts_each_stage(session: Session) -> None:
    from cohorts.repository import ApplicationRepository

    pm = make_pm(session)
    cohort = make_cohort(session, pm=pm, reviewers_per_application=1, capacity=3)
    (reviewer,) = add_reviewers(session, cohort=cohort, pm=pm, count=1)
    apps = [submitted_application(session, cohort=cohort) for _ in range(3)]
    founder, startup = make_founder_startup(session)
    service.start_application(session, cohort=cohort, startup=startup, actor=founder, now=NOW)  # a draft: not counted
    service.auto_assign(session, cohort=cohort, actor=pm)
    review(session, assignment=assignment_of(session, apps[0][0], reviewer), reviewer=reviewer, scores=[3, 3])
    service.schedule_interview(session, application=apps[0][0], at=datetime(2027, 3, 2, 10, 0), note="", actor=pm)
    outcomes = [DecisionOutcome.accept, DecisionOutcome.accept, DecisionOutcome.reject]
    for (app, _, _), outcome in zip(apps, outcomes, strict=True):
        service.record_decision(session, application=app, outcome=outcome, note="", actor=pm)
    service.release_decisions(session, cohort=cohort, actor=pm)
    service.confirm_place(session, application=apps[0][0], actor=apps[0][1])
    assert ApplicationRepository(session).funnel(cohort.id) == {
        "Submitted": 3, "Reviewed": 1, "Interviewed": 1, "Accepted": 2, "Enrolled": 1,
    }  # fmt: skip
