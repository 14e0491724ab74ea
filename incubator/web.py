"""Helpers for HTML pages: rendering with the shell's context, flash messages, redirects and form parsing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData, UploadFile

from incubator.config import get_settings
from incubator.models import Role, User
from incubator.plugins import nav_for
from incubator.security import csrf_token_for
from incubator.templating import templates

FLASH_COOKIE = "incubator_flash"
CSRF_COOKIE = "incubator_csrf"
F = TypeVar("F", bound=BaseModel)


@dataclass(frozen=True)
class Flash:
    category: str
    message: str


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    active: bool


def _sign(payload: bytes) -> str:
    key = get_settings().secret_key.encode()
    mac = hmac.new(key, b"flash:" + payload, hashlib.sha256).hexdigest()[:32]
    return base64.urlsafe_b64encode(payload).decode() + "." + mac


def _unsign(value: str) -> list[dict[str, str]]:
    try:
        data, mac = value.rsplit(".", 1)
        payload = base64.urlsafe_b64decode(data.encode())
        expected = hmac.new(get_settings().secret_key.encode(), b"flash:" + payload, hashlib.sha256).hexdigest()[:32]
        if not hmac.compare_digest(mac, expected):
            return []
        items = json.loads(payload)
        return [i for i in items if isinstance(i, dict)][:10]
    except (ValueError, json.JSONDecodeError):
        return []


def flash(request: Request, message: str, category: str = "success") -> None:
    """Queue a message for the next page this browser sees (set on the response by `redirect`/`render`)."""
    pending: list[dict[str, str]] = getattr(request.state, "flash_out", [])
    pending.append({"category": category, "message": message})
    request.state.flash_out = pending


def _apply_flash_cookie(request: Request, response: Response, consumed: bool) -> None:
    pending = getattr(request.state, "flash_out", [])
    if pending:
        response.set_cookie(
            FLASH_COOKIE,
            _sign(json.dumps(pending).encode()),
            httponly=True,
            samesite="lax",
            secure=get_settings().cookie_secure,
            max_age=300,
        )
    elif consumed:
        response.delete_cookie(FLASH_COOKIE)


def redirect(request: Request, url: str, *, status_code: int = 303) -> RedirectResponse:
    response = RedirectResponse(url, status_code=status_code)
    _apply_flash_cookie(request, response, consumed=False)
    return response


def csrf_token(request: Request) -> str:
    binding = getattr(request.state, "csrf_binding", None) or request.cookies.get(CSRF_COOKIE, "")
    return csrf_token_for(binding)


@dataclass(frozen=True)
class UserView:
    """What the page shell shows of the signed-in user: a snapshot, so an error page rendered after a rollback
    (which expires every loaded row) still knows who is signed in."""

    id: object
    email: str
    full_name: str
    role_set: frozenset[Role]

    def has_role(self, *roles: Role) -> bool:
        return Role.admin in self.role_set or any(r in self.role_set for r in roles)


def remember_user(request: Request, user: User) -> None:
    request.state.user_view = UserView(user.id, user.email, user.full_name, user.role_set)


def current_user_of(request: Request) -> UserView | None:
    return getattr(request.state, "user_view", None)


def shell_context(request: Request) -> dict[str, Any]:
    user = current_user_of(request)
    incoming = request.cookies.get(FLASH_COOKIE)
    flashes = [Flash(i.get("category", "info"), i.get("message", "")) for i in _unsign(incoming)] if incoming else []
    request.state.flash_consumed = bool(incoming)
    path = request.url.path
    nav = [
        NavLink(
            item.label,
            item.path,
            path == item.path or (item.path != "/" and path.startswith(item.path + "/")),
        )
        for item in nav_for(user)
    ]
    return {
        "request": request,
        "current_user": user,
        "nav": nav,
        "flashes": flashes,
        "csrf_token": csrf_token(request),
        "request_id": getattr(request.state, "request_id", ""),
        "app_name": "Incubator",
    }


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    ctx = shell_context(request)
    ctx.update(context or {})
    response = templates().TemplateResponse(request, template, ctx, status_code=status_code)
    _apply_flash_cookie(request, response, consumed=getattr(request.state, "flash_consumed", False))
    return response


def render_fragment(request: Request, template: str, context: dict[str, Any]) -> str:
    """Render a partial (a dashboard panel) to a string with the shell's context."""
    ctx = shell_context(request)
    ctx.update(context)
    return templates().get_template(template).render(ctx)


def form_values(form: FormData) -> dict[str, Any]:
    """Form fields as a dict for re-rendering: repeated names become lists, files are left out."""
    values: dict[str, Any] = {}
    for key in form:
        items = [v for v in form.getlist(key) if not isinstance(v, UploadFile)]
        if not items:
            continue
        values[key] = items if len(items) > 1 else items[0]
    values.pop("csrf_token", None)
    return values


def _field_name(key: str) -> str:
    """`startup_name` -> "Startup name": how a form's error summary names a field."""
    if key.endswith("_confirm"):
        key = key.removesuffix("_confirm") + " confirmation"
    words = key.replace("_", " ").replace(".", " ").strip()
    return (words[:1].upper() + words[1:]) or "This field"


def validation_errors(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p != "body"]
        key = loc[0] if loc else "__all__"
        message = err.get("msg", "Invalid value")
        message = message.removeprefix("Value error, ")
        if err.get("type") == "missing" or (
            err.get("type") == "string_too_short" and (err.get("ctx") or {}).get("min_length") == 1
        ):
            # An empty field: say which one, since the summary at the top of the form lists them out of context.
            message = f"{_field_name(key)} is required." if key != "__all__" else "Fill in the required fields."
        errors.setdefault(key, message[:1].upper() + message[1:])
    return errors


def parse_form(model: type[F], values: dict[str, Any]) -> tuple[F | None, dict[str, str]]:
    """Validate entered values with a `XForm` model; on failure return the errors by field."""
    cleaned = {k: (v if not isinstance(v, str) else v.strip()) for k, v in values.items()}
    cleaned = {k: v for k, v in cleaned.items() if v != ""}
    try:
        return model.model_validate(cleaned), {}
    except ValidationError as exc:
        return None, validation_errors(exc)
