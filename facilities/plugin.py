"""What the facilities package contributes: directory, bookings, services, charges and reports; the founder's
dashboard panel; demo data; the charge job and CLI."""

from __future__ import annotations

from fastapi import Request
from sqlmodel import Session

from facilities import api, cli, demo, jobs, pages, service
from facilities.models import BookingStatus
from facilities.repository import BookingRepository, SiteRepository, startups_of
from incubator.db import utcnow
from incubator.jobs import register_job
from incubator.models import Role, User
from incubator.plugins import DashboardPanel, DemoStep, NavItem, Plugin
from incubator.web import render_fragment

EVERYONE = frozenset({Role.founder, Role.program_manager, Role.finance, Role.mentor, Role.investor})


def _founder_panel(request: Request, session: Session, user: User | None) -> str:
    assert user is not None
    now = utcnow()
    upcoming = [
        row
        for row in BookingRepository(session).for_user_feed(user.id, now)
        if row[0].status == BookingStatus.confirmed
    ][:3]
    allowances = []
    for startup in startups_of(session, user):
        for site in SiteRepository(session).all():
            view = service.allowance_left(session, startup_id=startup.id, site=site, day=service.local_date(site, now))
            if view.plan_name is not None:
                allowances.append((startup, view))
    return render_fragment(request, "panels/facilities_founder.html", {"upcoming": upcoming, "allowances": allowances})


def _setup() -> None:
    register_job(jobs.GENERATE_CHARGES, jobs.generate_charges_job)


PLUGIN = Plugin(
    name="facilities",
    api_routers=[api.router, api.feed_router],
    page_routers=[pages.router],
    nav=[
        NavItem("Facilities", "/facilities", EVERYONE, order=30),
        NavItem("My facilities", "/facilities/mine", frozenset({Role.founder}), order=31),
        NavItem("All bookings", "/facilities/bookings", frozenset({Role.finance, Role.program_manager}), order=31),
        NavItem("Service orders", "/facilities/orders", frozenset({Role.finance, Role.program_manager}), order=32),
        NavItem("Charges", "/facilities/charges", frozenset({Role.finance}), order=33),
        NavItem("Sites", "/facilities/sites", frozenset({Role.finance}), order=36),
        NavItem("Facility reports", "/facilities/reports", frozenset({Role.finance, Role.program_manager}), order=34),
        NavItem("Training", "/facilities/qualifications", frozenset({Role.finance, Role.program_manager}), order=35),
    ],
    dashboard=[DashboardPanel("founder-facilities", frozenset({Role.founder}), _founder_panel, order=20)],
    demo=[DemoStep("facilities", 40, demo.load)],
    cli=cli.app,
    setup=_setup,
)
