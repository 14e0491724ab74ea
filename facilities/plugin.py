"""What the facilities package contributes: directory, bookings, services, charges and reports; the founder's
dashboard panel; demo data; the charge job and CLI."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import Request
from sqlmodel import Session

from facilities import api, cli, demo, jobs, pages, service
from facilities.models import BookingStatus
from facilities.repository import BookingRepository, ChargeRepository, SiteRepository, staff_summary, startups_of
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


def _staff_panel(request: Request, session: Session, user: User | None) -> str:
    now = utcnow()
    month = now.date().replace(day=1)
    start = datetime.combine(month, datetime.min.time(), UTC)
    end = datetime.combine(service.next_month(month), datetime.min.time(), UTC)
    counts = staff_summary(session, start, end)
    totals = ChargeRepository(session).totals_by_site_category(month, service.next_month(month))
    by_currency: dict[str, int] = {}
    for _site, currency, _category, amount in totals:
        by_currency[currency] = by_currency.get(currency, 0) + amount
    return render_fragment(
        request, "panels/facilities_staff.html", {"counts": counts, "by_currency": by_currency, "month": month}
    )


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
    dashboard=[
        DashboardPanel("founder-facilities", frozenset({Role.founder}), _founder_panel, order=20),
        DashboardPanel("staff-facilities", frozenset({Role.finance, Role.program_manager}), _staff_panel, order=60),
    ],
    demo=[DemoStep("facilities", 40, demo.load)],
    cli=cli.app,
    setup=_setup,
)
