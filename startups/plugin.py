"""What the startups package contributes: sign-up, the startup pages and API, dashboard panels, demo data."""

from __future__ import annotations

from fastapi import Request
from sqlmodel import Session

from incubator.models import Role, User
from incubator.plugins import DashboardPanel, DemoStep, NavItem, Plugin
from incubator.web import render_fragment
from startups import api, demo, pages
from startups.repository import StartupRepository


def _founder_panel(request: Request, session: Session, user: User | None) -> str:
    assert user is not None
    mine = StartupRepository(session).for_member(user.id)
    return render_fragment(request, "panels/founder_startups.html", {"startups": mine})


def _staff_panel(request: Request, session: Session, user: User | None) -> str:
    repo = StartupRepository(session)
    return render_fragment(
        request, "panels/staff_startups.html", {"total": repo.count(), "by_sector": repo.count_by_sector()}
    )


PLUGIN = Plugin(
    name="startups",
    api_routers=[api.router],
    page_routers=[pages.router],
    nav=[
        NavItem(
            "Startups",
            "/startups",
            frozenset({Role.founder, Role.program_manager, Role.finance, Role.mentor, Role.investor}),
            order=10,
        )
    ],
    dashboard=[
        DashboardPanel("founder-startups", frozenset({Role.founder}), _founder_panel, order=10),
        DashboardPanel("staff-startups", frozenset({Role.program_manager}), _staff_panel, order=50),
    ],
    demo=[DemoStep("startups", 20, demo.load)],
)
