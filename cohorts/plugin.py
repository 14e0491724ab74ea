"""What the cohorts package contributes: admissions pages and API, dashboard panels, demo data, CLI and jobs."""

from __future__ import annotations

from typing import Any

import typer
from fastapi import Request
from markupsafe import Markup
from sqlmodel import Session

from cohorts import api, demo, pages
from cohorts.charts import funnel_svg
from cohorts.models import CohortStatus
from cohorts.repository import ApplicationRepository, CohortRepository, ReviewRepository
from incubator.db import unit_of_work, utcnow
from incubator.jobs import Progress, register_job, register_periodic
from incubator.models import Role, User
from incubator.plugins import ANONYMOUS, DashboardPanel, DemoStep, NavItem, Plugin
from incubator.web import render_fragment


def _open_cohorts_panel(request: Request, session: Session, user: User | None) -> str:
    rows = CohortRepository(session).open_for_applications(utcnow())
    return render_fragment(request, "panels/cohorts_open.html", {"rows": rows, "signed_in": user is not None})


def _founder_panel(request: Request, session: Session, user: User | None) -> str:
    assert user is not None
    rows = ApplicationRepository(session).of_member(user.id)
    open_rows = CohortRepository(session).open_for_applications(utcnow())
    return render_fragment(request, "panels/founder_applications.html", {"rows": rows, "open_rows": open_rows})


def _reviewer_panel(request: Request, session: Session, user: User | None) -> str:
    assert user is not None
    rows = ReviewRepository(session).todo(user.id)
    return render_fragment(request, "panels/reviews_todo.html", {"rows": rows})


def _funnel_panel(request: Request, session: Session, user: User | None) -> str:
    cohorts = [c for c, _ in CohortRepository(session).with_programmes() if c.status != CohortStatus.planning]
    charts: list[tuple[Any, Markup]] = []
    for cohort in cohorts[:2]:
        counts = ApplicationRepository(session).funnel(cohort.id)
        charts.append((cohort, Markup(funnel_svg(counts, title=cohort.name))))  # noqa: S704 - pygal escapes labels
    return render_fragment(request, "panels/admissions_funnel.html", {"charts": charts})


def remind_reviewers_job(session: Session, payload: dict[str, Any], progress: Progress) -> None:
    from cohorts.service import remind_late_reviewers

    remind_late_reviewers(session)


def _remind_periodically() -> None:
    from cohorts.service import remind_late_reviewers

    with unit_of_work() as session:
        remind_late_reviewers(session)


def setup() -> None:
    register_job("cohorts.remind_reviewers", remind_reviewers_job)
    # Reminders repeat at most once a day per assignment (see remind_late_reviewers), so hourly checks are cheap.
    register_periodic("cohorts.remind_reviewers", 3600, _remind_periodically)


cli = typer.Typer(help="Admissions: cohorts and review.", no_args_is_help=True)


@cli.command("remind-reviewers")
def remind_reviewers_command() -> None:
    """E-mail reviewers whose reviews are past the cohort's review deadline (through the outbox)."""
    from cohorts.service import remind_late_reviewers

    with unit_of_work() as session:
        count = remind_late_reviewers(session)
    typer.echo(f"{count} reviewer(s) reminded.")


PLUGIN = Plugin(
    name="cohorts",
    api_routers=[api.router],
    page_routers=[pages.router],
    nav=[
        NavItem("Cohorts", "/cohorts", frozenset({Role.program_manager, Role.founder}), order=20),
        NavItem("Reviews", "/reviews", frozenset({Role.mentor, Role.program_manager}), order=25),
    ],
    dashboard=[
        DashboardPanel("cohorts-open", frozenset({ANONYMOUS}), _open_cohorts_panel, order=10),
        DashboardPanel("founder-applications", frozenset({Role.founder}), _founder_panel, order=15),
        DashboardPanel("reviews-todo", frozenset({Role.mentor}), _reviewer_panel, order=20),
        DashboardPanel("admissions-funnel", frozenset({Role.program_manager}), _funnel_panel, order=20),
    ],
    demo=[DemoStep("cohorts", 30, demo.load)],
    cli=cli,
    setup=setup,
)
