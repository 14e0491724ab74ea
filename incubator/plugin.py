"""What the kernel contributes to the app: its routers, navigation, admin dashboard panel and CLI."""

from __future__ import annotations

from fastapi import Request
from sqlmodel import Session

from incubator import api, demo, health, pages
from incubator.models import Role, User
from incubator.plugins import DashboardPanel, DemoStep, NavItem, Plugin
from incubator.repository import AuditRepository, UserRepository
from incubator.web import render_fragment


def _admin_panel(request: Request, session: Session, user: User | None) -> str:
    users = UserRepository(session)
    # Counted in the database: loading every user of a role to count them took seconds at 30,000 founders.
    counts = users.count_active_by_role()
    return render_fragment(request, "panels/admin.html", {"counts": counts, "total": users.count()})


def _admin_activity_panel(request: Request, session: Session, user: User | None) -> str:
    recent = AuditRepository(session).recent(8)
    return render_fragment(request, "panels/admin_activity.html", {"recent": recent})


PLUGIN = Plugin(
    name="incubator",
    api_routers=[api.router, health.router],
    page_routers=[pages.router],
    nav=[
        NavItem("Users", "/admin/users", frozenset({Role.admin}), order=900),
        NavItem("Audit log", "/admin/audit", frozenset({Role.admin}), order=910),
    ],
    dashboard=[
        DashboardPanel("admin", frozenset({Role.admin}), _admin_panel, order=900),
        DashboardPanel("admin-activity", frozenset({Role.admin}), _admin_activity_panel, order=910),
    ],
    demo=[DemoStep("users", 10, demo.load)],
)
