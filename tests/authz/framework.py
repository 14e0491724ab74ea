"""The authorisation matrix: every route of the app, a declared rule for each, and a check of each rule.

Rules live in `tests/authz/rules_<package>.py` (format in `tests/authz/rule.py`). `check_matrix` requests every
route as anonymous and as a user holding each single role, and returns one line per broken expectation.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import string
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlmodel import Session
from starlette.routing import Mount

import tests.authz
from incubator import service as accounts
from incubator.deps import SESSION_COOKIE
from incubator.models import Role, User
from incubator.web import CSRF_COOKIE
from tests.authz.rule import ANONYMOUS, ROLES, Rule
from tests.support.factories import ensure_csrf, make_user

IGNORED_METHODS = {"HEAD", "OPTIONS"}
LOGIN_REDIRECT = re.compile(r"^(https?://[^/]+)?/login\?next=")
World = Callable[[Session, dict[str, User]], dict[str, str]]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    # "api": a bearer token is sent; "page": a session cookie and a CSRF token, as a browser would.
    kind: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.path)


def rule_modules() -> list[types.ModuleType]:
    """Every `tests/authz/rules_*.py`, so a package only has to add its file."""
    modules = []
    for info in pkgutil.iter_modules(tests.authz.__path__):
        if info.name.startswith("rules_"):
            modules.append(importlib.import_module(f"tests.authz.{info.name}"))
    return sorted(modules, key=lambda m: m.__name__)


def rule_file_hint(path: str) -> str:
    """Which rules file a route most likely belongs in (for the failure message)."""
    parts = [p for p in path.split("/") if p and not p.startswith("{")]
    if parts[:2] == ["api", "v1"]:
        parts = parts[2:]
    first = parts[0] if parts else ""
    for package in ("startups", "cohorts", "mentors", "investors", "facilities", "billing"):
        if first.startswith(package[:-1]) or package in path:
            return f"tests/authz/rules_{package}.py"
    return "tests/authz/rules_<package>.py of the package that adds it (rules_incubator.py for the kernel)"


def endpoints(app: FastAPI) -> list[Endpoint]:
    """Every (method, path) the app routes, except the static files mount."""
    found: list[Endpoint] = []
    # FastAPI keeps included routers as branches; `iter_route_contexts` flattens them to the routes they add.
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, Mount):
            continue
        path, methods = context.path, context.methods
        if not isinstance(path, str) or not methods:
            raise AssertionError(f"the matrix does not know how to check the route {context.original_route!r}")
        kind = "api" if path.startswith("/api/") else "page"
        for method in sorted(set(methods) - IGNORED_METHODS):
            found.append(Endpoint(method, path, kind))
    return found


def all_rules() -> tuple[dict[tuple[str, str], Rule], list[str]]:
    rules: dict[tuple[str, str], Rule] = {}
    problems: list[str] = []
    for module in rule_modules():
        for key, rule in getattr(module, "RULES", {}).items():
            if key in rules:
                problems.append(f"{key[0]} {key[1]} has a rule in two files (one is {module.__name__})")
            if not isinstance(rule, Rule):
                problems.append(f"{key[0]} {key[1]} in {module.__name__}: not a Rule")
                continue
            unknown = rule.allowed - {ANONYMOUS, *ROLES}
            if unknown:
                problems.append(f"{key[0]} {key[1]} in {module.__name__}: unknown identities {sorted(unknown)}")
            rules[key] = rule
    return rules, problems


def missing_and_stale(app: FastAPI) -> list[str]:
    rules, problems = all_rules()
    routed = {e.key for e in endpoints(app)}
    for e in endpoints(app):
        if e.key not in rules:
            problems.append(
                f"{e.method} {e.path} has no authorisation rule: declare who may reach it in {rule_file_hint(e.path)}"
            )
    for key in sorted(set(rules) - routed):
        problems.append(f"{key[0]} {key[1]} has a rule but the app has no such route: remove or correct the rule")
    return problems


def make_identities(session: Session) -> dict[str, User]:
    """One active user per role, holding only that role."""
    return {
        role: make_user(session, roles=[Role(role)], email=f"matrix-{role}@example.org", full_name=f"Matrix {role}")
        for role in ROLES
    }


def build_world(session: Session, users: dict[str, User]) -> tuple[dict[str, str], list[str]]:
    values: dict[str, str] = {}
    problems: list[str] = []
    for module in rule_modules():
        world = getattr(module, "world", None)
        if world is None:
            continue
        for name, value in world(session, users).items():
            if name in values and values[name] != str(value):
                problems.append(f"path parameter {name!r} is given two different values (one by {module.__name__})")
            values[name] = str(value)
    session.commit()
    return values, problems


def fill_path(path: str, values: dict[str, str]) -> str:
    names = [name for _, name, _, _ in string.Formatter().parse(path) if name]
    missing = [n for n in names if n.split(":")[0] not in values]
    if missing:
        raise KeyError(
            f"{path}: no value for path parameter(s) {missing}; return them from world(session, users) "
            f"in {rule_file_hint(path)}"
        )
    filled = path
    for name in names:
        filled = filled.replace("{" + name + "}", values[name.split(":")[0]])
    return filled


class Caller:
    """Sends one request as one identity: a bearer token for the API, a fresh browser session for pages."""

    def __init__(self, client: TestClient, session: Session, users: dict[str, User]):
        self.client = client
        self.session = session
        self.users = users
        self.tokens: dict[str, str] = {}
        for name, user in users.items():
            raw, _ = accounts.issue_api_token(session, user=user)
            self.tokens[name] = raw
        session.commit()

    def request(self, identity: str, endpoint: Endpoint, url: str) -> Any:
        client = self.client
        client.cookies.clear()
        headers: dict[str, str] = {}
        if endpoint.kind == "api":
            if identity != ANONYMOUS:
                headers["Authorization"] = f"Bearer {self.tokens[identity]}"
            if endpoint.method in ("POST", "PUT", "PATCH"):
                return client.request(endpoint.method, url, json={}, headers=headers)
            return client.request(endpoint.method, url, headers=headers)
        if identity != ANONYMOUS:
            # A fresh session for each request: a route such as /logout may end the one it was given.
            raw = accounts.start_web_session(
                self.session, user=self.users[identity], ip_address="127.0.0.1", user_agent="matrix"
            )
            self.session.commit()
            client.cookies.set(SESSION_COOKIE, raw)
        token = ensure_csrf(client)
        assert client.cookies.get(CSRF_COOKIE)
        headers["X-CSRF-Token"] = token
        if endpoint.method in ("POST", "PUT", "PATCH", "DELETE"):
            return client.request(endpoint.method, url, data={"csrf_token": token}, headers=headers)
        return client.request(endpoint.method, url, headers=headers)


def verdict(identity: str, rule: Rule, endpoint: Endpoint, status: int, location: str) -> str | None:
    """None when the answer matches the rule, else what is wrong."""
    to_login = status in (302, 303, 307) and bool(LOGIN_REDIRECT.match(location))
    if status >= 500:
        return f"server error {status}"
    if identity in rule.allowed:
        if status in (401, 403) or to_login:
            return f"allowed but got {status}{' to ' + location if location else ''}"
        return None
    denied = {401, 403} | ({404} if rule.hidden_as_404 else set())
    if identity == ANONYMOUS and endpoint.kind == "page":
        if to_login or status in denied:
            return None
        return f"anonymous must be sent to /login?next=... but got {status}{' to ' + location if location else ''}"
    if status in denied:
        return None
    return f"must be refused ({'/'.join(str(s) for s in sorted(denied))}) but got {status}"


def check_matrix(app: FastAPI, client: TestClient, session: Session) -> tuple[list[str], int]:
    """Request every route as every identity; returns the failures and how many requests were made."""
    problems = missing_and_stale(app)
    rules, _ = all_rules()
    users = make_identities(session)
    values, world_problems = build_world(session, users)
    problems += world_problems
    caller = Caller(client, session, users)
    requests = 0
    for endpoint in endpoints(app):
        rule = rules.get(endpoint.key)
        if rule is None:
            continue
        try:
            url = fill_path(endpoint.path, values)
        except KeyError as exc:
            problems.append(str(exc.args[0]))
            continue
        for identity in (ANONYMOUS, *ROLES):
            requests += 1
            try:
                response = caller.request(identity, endpoint, url)
            except Exception as exc:  # the test client re-raises a server error: report it with the others
                problems.append(f"{endpoint.method} {endpoint.path} as {identity}: server error {exc!r}"[:400])
                continue
            wrong = verdict(identity, rule, endpoint, response.status_code, response.headers.get("location", ""))
            if wrong:
                problems.append(f"{endpoint.method} {endpoint.path} as {identity}: {wrong}")
    return problems, requests
