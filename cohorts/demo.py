"""Demo admissions: a running cohort with enrolled startups and an open cohort with about forty applications in
every state, a rubric, reviewers with expertise tags, submitted reviews and one declared conflict.

The open cohort is built through the service layer (so its reviews, totals and history are what the app would
have produced); the running cohort's past is written directly. Dates are relative to the moment of loading, so
the open cohort is open whenever the demo is loaded. founder@demo.example.org (Fermentis Labs) has no application
to the open cohort, so the journey can start from there.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from cohorts import scoring, service
from cohorts.models import (
    Application,
    ApplicationEvent,
    ApplicationStatus,
    AssignmentStatus,
    Cohort,
    CohortReviewer,
    CohortStatus,
    Decision,
    DecisionOutcome,
    DecisionResponse,
    Enrollment,
    QuestionKind,
    Recommendation,
    Review,
    ReviewAssignment,
)
from cohorts.repository import FormRepository, ReviewRepository
from cohorts.schemas import CohortCreate, CriterionCreate, ProgrammeCreate, QuestionCreate, ReviewCreate
from incubator.db import utcnow
from incubator.demo import DEMO_PASSWORD
from incubator.models import Role, User
from incubator.repository import UserRepository
from incubator.service import create_user
from startups.models import MemberRole, Sector, Stage, Startup, StartupMember

REVIEWERS = [
    # e-mail, name, roles, capacity, expertise
    ("mentor@demo.example.org", "Maria Lindqvist", [Role.mentor], 40, ["biomanufacturing", "food_and_agriculture"]),
    ("mentor2@demo.example.org", "Marcus Adeyemi", [Role.mentor], 40, ["synthetic_biology", "therapeutics"]),
    ("mentor3@demo.example.org", "Sun Li", [Role.mentor], 40, ["materials", "chemicals", "climate", "diagnostics"]),
]

EXTRA_STARTUPS = [
    ("Yeastwise", Sector.biomanufacturing), ("CodonCraft", Sector.synthetic_biology),
    ("Kelp Polymers", Sector.materials), ("BrewBiotics", Sector.food_and_agriculture),
    ("Enzymatic Edge", Sector.chemicals), ("Methanotroph Works", Sector.climate),
    ("Antibody Foundry", Sector.therapeutics), ("PathoSense", Sector.diagnostics),
    ("LabLoop", Sector.tools_and_automation), ("Collagen Cultures", Sector.biomanufacturing),
    ("Plasmid Press", Sector.synthetic_biology), ("Cellulose Circuits", Sector.materials),
    ("Fungal Feeds", Sector.food_and_agriculture), ("Terpene Tech", Sector.chemicals),
    ("Blue Carbon Bio", Sector.climate), ("Vaxxel", Sector.therapeutics),
    ("Microbiome Metrics", Sector.diagnostics), ("ScaleSim", Sector.tools_and_automation),
    ("Pectin Labs", Sector.food_and_agriculture), ("Spindle Proteins", Sector.biomanufacturing),
    ("Lignin Loop", Sector.chemicals), ("Biochar Genomics", Sector.climate),
]  # fmt: skip

QUESTIONS = [
    QuestionCreate(prompt="One-line pitch", kind=QuestionKind.short_text, help_text="What you make, for whom."),
    QuestionCreate(prompt="The problem and your solution", kind=QuestionKind.long_text),
    QuestionCreate(prompt="Best titre reached so far (g/L)", kind=QuestionKind.number, required=False),
    QuestionCreate(
        prompt="Largest scale run so far",
        kind=QuestionKind.single_choice,
        choices=["Bench (< 5 L)", "Pilot (5-300 L)", "Demo (300-10,000 L)", "Commercial (> 10,000 L)"],
    ),
    QuestionCreate(
        prompt="What you need from the programme",
        kind=QuestionKind.multiple_choice,
        choices=["Lab space", "Pilot plant time", "Mentoring", "Investor introductions", "IP and legal advice"],
    ),
    QuestionCreate(
        prompt="Founders' backgrounds",
        kind=QuestionKind.long_text,
        identifying=True,
        help_text="Names, universities and previous companies. Hidden from reviewers under blind review.",
    ),
    QuestionCreate(prompt="Pitch deck", kind=QuestionKind.pdf, required=False, help_text="Optional."),
]

RUBRIC = [
    CriterionCreate(name="Science and technology", weight=3,
                    levels=["Unproven idea", "Early data", "Reproducible data", "Pilot data", "Scaled and robust"]),
    CriterionCreate(name="Team", weight=2,
                    levels=["Gaps everywhere", "Key gaps", "Complete for now", "Strong", "Exceptional"]),
    CriterionCreate(name="Market", weight=2,
                    levels=["Unclear", "Small or vague", "Credible", "Large and specific", "Pull from customers"]),
    CriterionCreate(name="Scale-up readiness", weight=1,
                    levels=["No plan", "Rough plan", "Plan with costs", "Plan with partners", "Capacity secured"]),
]  # fmt: skip


def _user(session: Session, email: str, name: str, roles: list[Role]) -> User:
    return UserRepository(session).by_email(email) or create_user(
        session, email=email, full_name=name, roles=roles, password=DEMO_PASSWORD
    )


def _startups(session: Session) -> list[Startup]:
    existing = list(session.exec(select(Startup).order_by(col(Startup.created_at), col(Startup.name))).all())
    for i, (name, sector) in enumerate(EXTRA_STARTUPS):
        if any(s.name == name for s in existing):
            continue
        startup = Startup(name=name, legal_name=f"{name} Ltd", sector=sector, stage=Stage.pre_seed, trl=2 + i % 5,
                          description=f"{name}: a {sector.label.lower()} company.")  # fmt: skip
        session.add(startup)
        session.flush()
        slug = name.lower().replace(" ", "")
        # No password: these founders never log in, and hashing a password each would make loading slow.
        founder = UserRepository(session).by_email(f"founder@{slug}.example.com") or create_user(
            session, email=f"founder@{slug}.example.com", full_name=f"Founder of {name}", roles=[Role.founder]
        )
        session.add(StartupMember(startup_id=startup.id, user_id=founder.id, role=MemberRole.founder))
        existing.append(startup)
    session.flush()
    return existing


def _founder_of(session: Session, startup: Startup) -> User:
    user = session.exec(
        select(User)
        .join(StartupMember, col(StartupMember.user_id) == User.id)
        .where(StartupMember.startup_id == startup.id)
    ).first()
    assert user is not None
    return user


def _running_cohort(session: Session, programme_id: object, pm: User, startups: list[Startup]) -> None:
    cohort = Cohort(
        programme_id=programme_id,  # type: ignore[arg-type]
        name="Autumn 2026",
        description="Twelve startups taking precision fermentation and cell-free systems from bench to pilot.",
        timezone="Europe/London",
        applications_open_at=service.to_utc(datetime(2026, 5, 1, 9, 0), "Europe/London"),
        applications_close_at=service.to_utc(datetime(2026, 6, 30, 17, 0), "Europe/London"),
        start_date=date(2026, 9, 1),
        end_date=date(2027, 1, 1),
        capacity=8,
        status=CohortStatus.running,
        decisions_released_at=service.to_utc(datetime(2026, 7, 31, 12, 0), "Europe/London"),
    )
    session.add(cohort)
    session.flush()
    for startup in startups:
        app = Application(
            cohort_id=cohort.id, startup_id=startup.id, status=ApplicationStatus.enrolled,
            submitted_at=cohort.applications_open_at + timedelta(days=20),
        )  # fmt: skip
        session.add(app)
        session.flush()
        session.add(ApplicationEvent(application_id=app.id, from_status=None, to_status="enrolled", note="Demo"))
        session.add(
            Decision(
                application_id=app.id, outcome=DecisionOutcome.accept, decided_by_id=pm.id,
                released_at=cohort.decisions_released_at, response=DecisionResponse.confirmed,
                responded_at=cohort.decisions_released_at,
            )
        )  # fmt: skip
        session.add(Enrollment(cohort_id=cohort.id, startup_id=startup.id, application_id=app.id))
    session.flush()


def load(session: Session) -> None:
    rng = random.Random(2027)
    pm = _user(session, "pm@demo.example.org", "Priya Menon", [Role.program_manager])
    reviewers = {email: _user(session, email, name, roles) for email, name, roles, _, _ in REVIEWERS}
    startups = _startups(session)
    fermentis = next((s for s in startups if s.name == "Fermentis Labs"), None)
    pool = [s for s in startups if s is not fermentis]

    programme = service.create_programme(
        session,
        data=ProgrammeCreate(
            name="Biomanufacturing Accelerator", description="A four-month programme from bench to pilot."
        ),
        actor=pm,
    )
    _running_cohort(session, programme.id, pm, pool[9:14])

    now = utcnow()
    tz = "Europe/London"
    opens = service.local(now - timedelta(days=14), tz).replace(tzinfo=None, second=0, microsecond=0)
    closes = service.local(now + timedelta(days=21), tz).replace(
        tzinfo=None, hour=17, minute=0, second=0, microsecond=0
    )
    cohort = service.create_cohort(
        session,
        data=CohortCreate(
            programme_id=programme.id, name="Spring 2027",
            description="Four months of lab space, pilot-plant time, mentors and a demo day in front of investors.",
            timezone=tz, applications_open=opens, applications_close=closes,
            start_date=(now + timedelta(days=60)).date(), capacity=10, blind_review=True,
            scores_visible_after_submit=True, reviewers_per_application=2,
        ),
        actor=pm,
    )  # fmt: skip
    for q in QUESTIONS:
        service.add_question(session, cohort=cohort, data=q, actor=pm)
    for c in RUBRIC:
        service.add_criterion(session, cohort=cohort, data=c, actor=pm)
    for email, _, _, capacity, tags in REVIEWERS:
        session.add(CohortReviewer(cohort_id=cohort.id, user_id=reviewers[email].id, capacity=capacity, tags=tags))
    session.flush()
    service.open_cohort(session, cohort=cohort, actor=pm)
    cohort.review_due_at = now + timedelta(days=28)

    questions = FormRepository(session).questions(cohort.id)
    criteria = FormRepository(session).criteria(cohort.id)
    applicants = pool[:40]
    apps: list[tuple[Application, Startup, User]] = []
    for i, startup in enumerate(applicants):
        founder = _founder_of(session, startup)
        app = service.start_application(session, cohort=cohort, startup=startup, actor=founder, now=now)
        answers = {
            questions[0].id: f"{startup.name}: {startup.description or 'bio-based products'}"[:290],
            questions[1].id: f"{startup.name} {startup.description} We have run {2 + i % 6} campaigns so far.",
            questions[2].id: round(rng.uniform(0.5, 40), 1),
            questions[3].id: questions[3].choices[i % 3],
            questions[4].id: rng.sample(questions[4].choices, 2),
            questions[
                5
            ].id: f"{founder.full_name}, PhD in bioprocess engineering; previously at a contract manufacturer.",
        }
        service.save_answers(session, application=app, answers=answers, actor=founder)
        apps.append((app, startup, founder))

    # States, by position: 4 drafts stay drafts; 2 are withdrawn; the rest are submitted.
    for app, _, founder in apps[4:]:
        service.submit_application(session, application=app, actor=founder, now=now)
    for app, _, founder in apps[4:6]:
        service.withdraw_application(session, application=app, actor=founder)
    in_review = [(a, s, f) for a, s, f in apps[9:]]  # apps[6:9] stay "submitted", waiting for assignment
    service._fill(session, cohort, [(a, s) for a, s, _ in in_review], 2)

    # Reviews: most assignments are declared and reviewed; the first reviewer's last few stay open ("to do").
    repo = ReviewRepository(session)
    by_reviewer: dict[object, int] = {}
    conflict_declared = False
    for app, startup, _ in in_review:
        quality = rng.uniform(1.5, 4.5)
        for assignment, user in repo.for_application(app.id):
            if assignment.status != AssignmentStatus.assigned:
                continue
            seen = by_reviewer.get(user.id, 0)
            by_reviewer[user.id] = seen + 1
            if not conflict_declared and user.email == "mentor3@demo.example.org":
                service.declare_conflict(
                    session, assignment=assignment, reason="I advise this company on its scale-up plan.", actor=user
                )
                conflict_declared = True
                continue
            if user.email == "mentor@demo.example.org" and seen >= 9:
                continue  # still to do
            service.declare_no_conflict(session, assignment=assignment, actor=user)
            if seen >= 12:
                continue  # declared, review not written yet
            bias = {"mentor@": -0.6, "mentor2": 0.5, "mentor3": 0.0}.get(user.email[:7], 0.0)
            scores = {c.id: max(1, min(5, round(quality + bias + rng.uniform(-0.8, 0.8)))) for c in criteria}
            service.submit_review(
                session, assignment=assignment,
                data=ReviewCreate(scores=scores, comment=f"{startup.name}: clear plan; check the titre claims.",
                                  recommendation=rng.choice(["accept", "interview", "waitlist", "reject"])),
                actor=user, now=now,
            )  # fmt: skip

    # Interviews for three, decisions: a first round released (enrolled, accepted, rejected, waitlisted), then a
    # second round pending.
    ranked = [r.application_id for r in service.ranking(session, cohort=cohort)]
    by_id = {a.id: (a, s, f) for a, s, f in in_review}
    order = [by_id[i] for i in ranked if i in by_id]
    first = {
        DecisionOutcome.accept: order[:3],
        DecisionOutcome.waitlist: order[3:5],
        DecisionOutcome.reject: order[-3:],
    }
    for outcome, rows in first.items():
        for app, _, _ in rows:
            service.record_decision(session, application=app, outcome=outcome, note="", actor=pm)
    service.release_decisions(session, cohort=cohort, actor=pm, now=now)
    for app, _, founder in order[:2]:
        service.confirm_place(session, application=app, actor=founder)
    for app, _, _ in order[5:8]:
        service.schedule_interview(
            session, application=app, at=service.local(now + timedelta(days=3), tz).replace(tzinfo=None, hour=10),
            note="Video call with the programme team, 30 minutes.", actor=pm,
        )  # fmt: skip
    service.record_decision(session, application=order[8][0], outcome=DecisionOutcome.accept, note="", actor=pm)
    service.record_decision(session, application=order[9][0], outcome=DecisionOutcome.waitlist, note="", actor=pm)
    service.record_decision(session, application=order[-4][0], outcome=DecisionOutcome.reject, note="", actor=pm)
    # The demo's own e-mails (decisions, conflict notice) are not sent: they describe a past that did not happen.
    from incubator.models import OutboxEmail

    for mail in session.exec(select(OutboxEmail).where(col(OutboxEmail.kind).in_(["decision", "review"]))).all():
        session.delete(mail)
    session.flush()


def generate_reviewed_cohort(
    session: Session, *, applications: int, reviews_per_application: int = 3, reviewers: int = 20, seed: int = 1
) -> Cohort:
    """A cohort in review with `applications` submitted applications, each reviewed `reviews_per_application` times:
    written in bulk (no service calls) for the ranking benchmark and the query-count test."""
    rng = random.Random(seed)
    now = utcnow()
    tag = f"{seed}-{applications}-{rng.randrange(10**9)}"
    pm = _user(session, f"pm-{tag}@bench.example.org", "Bench PM", [Role.program_manager])
    programme = service.create_programme(session, data=ProgrammeCreate(name=f"Bench programme {tag}"), actor=pm)
    cohort = Cohort(
        programme_id=programme.id, name=f"Bench cohort {tag}", applications_open_at=now - timedelta(days=30),
        applications_close_at=now - timedelta(days=1), start_date=(now + timedelta(days=30)).date(),
        end_date=(now + timedelta(days=150)).date(), capacity=max(1, applications // 10),
        status=CohortStatus.reviewing, reviewers_per_application=reviews_per_application,
    )  # fmt: skip
    session.add(cohort)
    session.flush()
    criteria = [service.add_criterion(session, cohort=cohort, data=c, actor=pm) for c in RUBRIC]
    weights = {str(c.id): c.weight for c in criteria}
    users = [User(email=f"reviewer{i}-{tag}@bench.example.org", full_name=f"Reviewer {i}") for i in range(reviewers)]
    session.add_all(users)
    session.flush()
    startups = [Startup(name=f"Bench startup {i} {tag}", sector=rng.choice(list(Sector))) for i in range(applications)]
    session.add_all(startups)
    session.flush()
    apps = [
        Application(cohort_id=cohort.id, startup_id=s.id, status=ApplicationStatus.under_review, submitted_at=now)
        for s in startups
    ]
    session.add_all(apps)
    session.flush()
    assignments: list[ReviewAssignment] = []
    for i, app in enumerate(apps):
        for k in range(reviews_per_application):
            reviewer = users[(i + k) % reviewers]
            assignments.append(
                ReviewAssignment(application_id=app.id, reviewer_id=reviewer.id, status=AssignmentStatus.submitted)
            )
    session.add_all(assignments)
    session.flush()
    rows = []
    for a in assignments:
        scores = {str(c.id): rng.randint(1, 5) for c in criteria}
        rows.append(
            Review(
                assignment_id=a.id, application_id=a.application_id, reviewer_id=a.reviewer_id, scores=scores,
                weighted_total=round(scoring.weighted_total(scores, weights), 4), recommendation=Recommendation.accept,
            )
        )  # fmt: skip
    session.add_all(rows)
    session.flush()
    return cohort
