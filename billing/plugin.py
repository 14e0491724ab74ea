"""What the billing package contributes: API and pages, the finance navigation, jobs, the CLI and demo data."""

from __future__ import annotations

from fastapi import Request
from sqlmodel import Session

from billing import (
    api,
    cli,
    demo,
    jobs,
    models,  # noqa: F401 - the tables belong to the metadata
    pages,
    repository,
)
from incubator.db import utcnow
from incubator.models import Role, User
from incubator.plugins import DashboardPanel, DemoStep, NavItem, Plugin
from incubator.web import render_fragment


def _finance_panel(request: Request, session: Session, user: User | None) -> str:
    summary = repository.finance_summary(session, utcnow().date())
    return render_fragment(request, "panels/billing_finance.html", {"summary": summary})


def _founder_panel(request: Request, session: Session, user: User | None) -> str:
    assert user is not None
    invoices = repository.open_invoices_for_member(session, user.id)
    return render_fragment(request, "panels/billing_founder.html", {"invoices": invoices})


PLUGIN = Plugin(
    name="billing",
    api_routers=[api.router],
    page_routers=[pages.router],
    nav=[
        NavItem("Billing", "/billing", frozenset({Role.finance}), order=60),
        NavItem("Invoices", "/invoices", frozenset({Role.founder}), order=60),
    ],
    dashboard=[
        DashboardPanel("billing-finance", frozenset({Role.finance}), _finance_panel, order=20),
        DashboardPanel("billing-founder", frozenset({Role.founder}), _founder_panel, order=30),
    ],
    demo=[DemoStep("billing", 60, demo.load)],
    cli=cli.app,
    setup=jobs.setup,
)
