"""What a viewer may see of an application: the one place that applies blind review and shared feedback.

Both the page and the API build their view here, so the rules cannot drift apart:
- programme managers see everything;
- the startup's team sees its answers and history, the decision once released, and reviewers' comments only when
  the programme manager has shared them (never who wrote them);
- a reviewer (after declaring no conflict) sees the answers; under blind review the founders' names and e-mails
  and the answers to questions marked identifying are withheld (the startup's name stays, so conflicts can be
  declared); other reviewers' scores appear only after the reviewer submitted their own, and only when the
  cohort allows it.
"""

from __future__ import annotations

import csv
import io

from sqlmodel import Session

from cohorts.models import Application, AssignmentStatus, Cohort
from cohorts.repository import ApplicationRepository, DecisionRepository, ReviewRepository, is_staff
from cohorts.schemas import AnswerView, ApplicationView, FounderView, HistoryEntry, RankingRow, ReviewView
from incubator.models import User
from startups.models import Startup


def build_application_view(
    session: Session, *, viewer: User, application: Application, startup: Startup, cohort: Cohort
) -> ApplicationView:
    apps = ApplicationRepository(session)
    staff = is_staff(viewer)
    member = not staff and apps.is_member(viewer.id, startup.id)
    reviewer = not staff and not member
    blind = reviewer and cohort.blind_review

    founders = [] if blind else [FounderView(full_name=u.full_name, email=u.email) for u in apps.founders(startup.id)]
    answers = [
        AnswerView(
            question_id=a.question_id,
            prompt=a.prompt,
            kind=a.kind,
            value=None if blind and a.identifying else a.value,
            file_name=None if blind and a.identifying else a.file_name,
            hidden=blind and a.identifying,
        )
        for a in apps.answers(application.id)
    ]
    reviews: list[ReviewView] = []
    review_rows = ReviewRepository(session).reviews_for(application.id)
    if staff:
        reviews = [_review(r, u.full_name) for r, u in review_rows]
    elif member:
        if application.feedback_shared:
            reviews = [_review(r, None, comments_only=True) for r, _ in review_rows]
    else:
        own = ReviewRepository(session).assignment_of(application.id, viewer.id)
        submitted = own is not None and own.status == AssignmentStatus.submitted
        for r, u in review_rows:
            if r.reviewer_id == viewer.id:
                reviews.append(_review(r, u.full_name))
            elif submitted and cohort.scores_visible_after_submit:
                reviews.append(_review(r, "Another reviewer"))
    decision = DecisionRepository(session).for_application(application.id)
    show_decision = decision is not None and (staff or decision.released_at is not None)
    if reviewer:
        show_decision = False
    return ApplicationView(
        id=application.id,
        cohort_id=cohort.id,
        cohort_name=cohort.name,
        startup_id=startup.id,
        startup_name=startup.name,
        sector=startup.sector.value,
        status=application.status,
        submitted_at=application.submitted_at,
        interview_at=application.interview_at if not reviewer else None,
        interview_note=application.interview_note if staff or member else None,
        blind=blind,
        founders=founders,
        answers=answers,
        history=[] if reviewer else [
            HistoryEntry(from_status=e.from_status, to_status=e.to_status, note=e.note, at=e.at)
            for e in apps.history(application.id)
        ],
        reviews=reviews,
        decision=decision.outcome if decision and show_decision else None,
        decision_response=decision.response if decision and show_decision else None,
    )  # fmt: skip


def _review(review: object, name: str | None, *, comments_only: bool = False) -> ReviewView:
    from cohorts.models import Review

    assert isinstance(review, Review)
    return ReviewView(
        reviewer_name=name,
        scores={} if comments_only else dict(review.scores),
        weighted_total=0.0 if comments_only else review.weighted_total,
        comment=review.comment,
        recommendation=review.recommendation,
        submitted_at=review.submitted_at,
    )


def ranking_csv(rows: list[RankingRow]) -> str:
    """The ranking table as CSV (the same columns on the page and in the API)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["rank", "application_id", "startup", "sector", "status", "reviews", "raw_mean", "median", "normalised",
         "disagreement", "decision"]
    )  # fmt: skip
    for r in rows:
        writer.writerow(
            [r.rank, r.application_id, _cell(r.startup_name), r.sector, r.status.value, r.reviews,
             _num(r.raw_mean), _num(r.median), _num(r.normalised), _num(r.disagreement),
             r.decision.value if r.decision else ""]
        )  # fmt: skip
    return buffer.getvalue()


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def _cell(text: str) -> str:
    # A cell starting with = + - @ is a formula to a spreadsheet; prefix it so it stays text.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
