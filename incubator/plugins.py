"""The registries the kernel provides and the packages fill: routers, navigation, dashboard panels, CLI, demo data.

The kernel never imports a package to find them; the composition root (`main.py`) passes each package's
`PLUGIN` to `install`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from fastapi import APIRouter

from incubator.models import Role

if TYPE_CHECKING:
    import typer
    from fastapi import Request
    from sqlmodel import Session

    from incubator.models import User

ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class NavItem:
    label: str
    path: str
    roles: frozenset[Role]
    order: int = 100


@dataclass(frozen=True)
class DashboardPanel:
    """A block on the dashboard at `/`, for the roles given (or `ANONYMOUS` for the public landing page).

    `render` returns HTML (already escaped by its template) for that user, loading what it shows itself.
    """

    name: str
    roles: frozenset[Role | str]
    render: Callable[[Request, Session, User | None], str]
    order: int = 100


@dataclass(frozen=True)
class DemoStep:
    name: str
    order: int
    load: Callable[[Session], None]


@dataclass
class Plugin:
    name: str
    api_routers: list[APIRouter] = field(default_factory=list)
    page_routers: list[APIRouter] = field(default_factory=list)
    nav: list[NavItem] = field(default_factory=list)
    dashboard: list[DashboardPanel] = field(default_factory=list)
    demo: list[DemoStep] = field(default_factory=list)
    cli: typer.Typer | None = None
    # Called once at start-up: subscribe to events, register jobs and periodic tasks.
    setup: Callable[[], Any] | None = None


_nav: list[NavItem] = []
_panels: list[DashboardPanel] = []
_demo: list[DemoStep] = []
_installed: list[str] = []


def install(plugin: Plugin) -> None:
    if plugin.name in _installed:
        return
    _installed.append(plugin.name)
    _nav.extend(plugin.nav)
    _panels.extend(plugin.dashboard)
    _demo.extend(plugin.demo)
    if plugin.setup is not None:
        plugin.setup()


class HasRoles(Protocol):
    @property
    def role_set(self) -> frozenset[Role]: ...


def nav_for(user: HasRoles | None) -> list[NavItem]:
    if user is None:
        return []
    held = user.role_set
    return sorted((item for item in _nav if Role.admin in held or item.roles & held), key=lambda i: (i.order, i.label))


def panels_for(user: User | None) -> list[DashboardPanel]:
    if user is None:
        wanted: set[Role | str] = {ANONYMOUS}
    else:
        wanted = set(user.role_set)
    return sorted((p for p in _panels if p.roles & wanted), key=lambda p: (p.order, p.name))


def demo_steps() -> list[DemoStep]:
    return sorted(_demo, key=lambda d: d.order)
