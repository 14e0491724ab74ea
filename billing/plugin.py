"""What the billing package contributes: API and pages, the finance navigation, jobs, the CLI and demo data."""

from __future__ import annotations

from billing import (
    api,
    cli,
    demo,
    jobs,
    models,  # noqa: F401 - the tables belong to the metadata
    pages,
)
from incubator.models import Role
from incubator.plugins import DemoStep, NavItem, Plugin

PLUGIN = Plugin(
    name="billing",
    api_routers=[api.router],
    page_routers=[pages.router],
    nav=[
        NavItem("Billing", "/billing", frozenset({Role.finance}), order=60),
        NavItem("Invoices", "/invoices", frozenset({Role.founder}), order=60),
    ],
    demo=[DemoStep("billing", 60, demo.load)],
    cli=cli.app,
    setup=jobs.setup,
)
