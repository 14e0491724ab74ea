"""HTML pages of the kernel: log-in and out, invitations, password reset, the dashboard, account and admin."""

from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from incubator import service
from incubator.config import get_settings
from incubator.deps import SESSION_COOKIE, AdminPage, OptionalPageUser, PageUser, SessionDep, verify_csrf
from incubator.errors import AppError
from incubator.models import ROLE_LABELS, Role, TokenPurpose
from incubator.pagination import PageParams, page_params
from incubator.plugins import panels_for
from incubator.repository import ApiTokenRepository, AuditRepository, UserRepository
from incubator.schemas import ForgotForm, InvitationCreate, LoginForm, PasswordForm, PersonalTokenCreate
from incubator.web import flash, form_values, parse_form, redirect, render

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)
Paging = Annotated[PageParams, Depends(page_params)]
ROLE_OPTIONS = [(r.value, ROLE_LABELS[r]) for r in Role]


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/", response_class=HTMLResponse, name="dashboard")
def dashboard(request: Request, session: SessionDep, user: OptionalPageUser) -> Response:
    """Each role's dashboard; the public landing page when nobody is signed in."""
    panels = [Markup(panel.render(request, session, user)) for panel in panels_for(user)]  # noqa: S704
    template = "dashboard.html" if user else "landing.html"
    return render(request, template, {"panels": panels})


@router.get("/login", response_class=HTMLResponse, name="auth.login")
def login_form(request: Request, user: OptionalPageUser, next: str | None = None) -> Response:
    """The log-in form."""
    if user is not None:
        return redirect(request, _safe_next(next))
    return render(request, "auth/login.html", {"values": {}, "errors": {}, "next": _safe_next(next)})


@router.post("/login", response_class=HTMLResponse, name="auth.login.submit")
async def login(request: Request, session: SessionDep) -> Response:
    values = form_values(await request.form())
    target = _safe_next(values.get("next"))
    data, errors = parse_form(LoginForm, values)
    if data is None:
        return render(request, "auth/login.html", {"values": values, "errors": errors, "next": target}, status_code=422)
    outcome = service.authenticate(session, email=data.email, password=data.password, ip_address=_client_ip(request))
    if outcome.user is None:
        assert outcome.error is not None
        values.pop("password", None)
        return render(
            request,
            "auth/login.html",
            {"values": values, "errors": {"__all__": outcome.error.detail}, "next": target},
            status_code=outcome.error.status,
        )
    user = outcome.user
    raw = service.start_web_session(
        session, user=user, ip_address=_client_ip(request), user_agent=request.headers.get("user-agent")
    )
    flash(request, f"Welcome back, {user.full_name}.")
    response = redirect(request, target)
    response.set_cookie(
        SESSION_COOKIE,
        raw,
        httponly=True,
        samesite="lax",
        secure=get_settings().cookie_secure,
        max_age=get_settings().session_days * 86400,
    )
    return response


@router.post("/logout", name="auth.logout")
def logout(request: Request, session: SessionDep) -> Response:
    service.end_web_session(session, raw_token=request.cookies.get(SESSION_COOKIE))
    flash(request, "You are logged out.", "info")
    response = redirect(request, "/login")
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/forgot-password", response_class=HTMLResponse, name="auth.forgot")
def forgot_form(request: Request) -> Response:
    return render(request, "auth/forgot.html", {"values": {}, "errors": {}})


@router.post("/forgot-password", response_class=HTMLResponse, name="auth.forgot.submit")
async def forgot(request: Request, session: SessionDep) -> Response:
    values = form_values(await request.form())
    data, errors = parse_form(ForgotForm, values)
    if data is None:
        return render(request, "auth/forgot.html", {"values": values, "errors": errors}, status_code=422)
    service.request_password_reset(session, email=data.email)
    flash(request, "If an account exists for that e-mail, a reset link is on its way.", "info")
    return redirect(request, "/login")


def _token_page(
    request: Request,
    session: SessionDep,
    token: str,
    purpose: TokenPurpose,
    heading: str,
    status: int = 200,
    errors: dict[str, str] | None = None,
) -> Response:
    service.check_one_time_token(session, raw=token, purpose=purpose)
    return render(
        request,
        "auth/reset.html",
        {
            "heading": heading,
            "token": token,
            "action_url": request.url.path,
            "values": {},
            "errors": errors or {},
        },
        status_code=status,
    )


@router.get("/reset-password/{token}", response_class=HTMLResponse, name="auth.reset")
def reset_form(request: Request, session: SessionDep, token: str) -> Response:
    return _token_page(request, session, token, TokenPurpose.password_reset, "Choose a new password")


@router.post("/reset-password/{token}", response_class=HTMLResponse, name="auth.reset.submit")
async def reset(request: Request, session: SessionDep, token: str) -> Response:
    data, errors = parse_form(PasswordForm, form_values(await request.form()))
    if data is None:
        return _token_page(request, session, token, TokenPurpose.password_reset, "Choose a new password", 422, errors)
    service.reset_password(session, raw=token, password=data.password)
    flash(request, "Your password is changed. Log in with it now.")
    return redirect(request, "/login")


@router.get("/invitations/{token}", response_class=HTMLResponse, name="auth.invitation")
def invitation_form(request: Request, session: SessionDep, token: str) -> Response:
    return _token_page(request, session, token, TokenPurpose.invitation, "Accept your invitation")


@router.post("/invitations/{token}", response_class=HTMLResponse, name="auth.invitation.submit")
async def invitation_accept(request: Request, session: SessionDep, token: str) -> Response:
    data, errors = parse_form(PasswordForm, form_values(await request.form()))
    if data is None:
        return _token_page(request, session, token, TokenPurpose.invitation, "Accept your invitation", 422, errors)
    user = service.accept_invitation(session, raw=token, password=data.password)
    flash(request, f"Welcome, {user.full_name}. Your account is ready: log in with your new password.")
    return redirect(request, "/login")


@router.get("/account", response_class=HTMLResponse, name="account")
def account(request: Request, session: SessionDep, user: PageUser) -> Response:
    """Your profile and personal access tokens."""
    tokens = ApiTokenRepository(session).personal_for_user(user.id)
    return render(
        request,
        "account.html",
        {"profile": user, "tokens": tokens, "new_token": None, "values": {}, "errors": {}},
    )


@router.post("/account/tokens", response_class=HTMLResponse, name="account.tokens.create")
async def account_token_create(request: Request, session: SessionDep, user: PageUser) -> Response:
    values = form_values(await request.form())
    data, errors = parse_form(PersonalTokenCreate, values)
    new_token = None
    if data is not None:
        _, new_token = service.create_personal_token(
            session, user=user, name=data.name, expires_in_days=data.expires_in_days
        )
    tokens = ApiTokenRepository(session).personal_for_user(user.id)
    return render(
        request,
        "account.html",
        {
            "profile": user,
            "tokens": tokens,
            "new_token": new_token,
            "values": values if errors else {},
            "errors": errors,
        },
        status_code=422 if errors else 201,
    )


@router.post("/account/tokens/{token_id}/revoke", name="account.tokens.revoke")
def account_token_revoke(request: Request, session: SessionDep, user: PageUser, token_id: uuid.UUID) -> Response:
    service.revoke_personal_token(session, user=user, token_id=token_id)
    flash(request, "The token is revoked.")
    return redirect(request, "/account")


@router.get("/admin/users", response_class=HTMLResponse, name="admin.users")
def admin_users(
    request: Request,
    session: SessionDep,
    _: AdminPage,
    paging: Paging,
    q: Annotated[str | None, Query(max_length=100)] = None,
    role: Role | None = None,
    sort: Annotated[str, Query(pattern="^(name|email|created|last_login)$")] = "name",
    dir: Annotated[str, Query(pattern="^(asc|desc)$")] = "asc",
) -> Response:
    """Users: search, filter by role, sort, page."""
    page = UserRepository(session).search(paging, query=q, role=role, sort=sort, descending=dir == "desc")
    params = {k: v for k, v in {"q": q, "role": role.value if role else None}.items() if v}
    return render(
        request,
        "admin/users.html",
        {
            "page": page,
            "q": q or "",
            "role": role.value if role else "",
            "sort": sort,
            "dir": dir,
            "params": params,
            "query_string": urlencode(params),
            "role_options": ROLE_OPTIONS,
        },
    )


@router.get("/admin/users/{user_id}", response_class=HTMLResponse, name="admin.user")
def admin_user(request: Request, session: SessionDep, _: AdminPage, user_id: uuid.UUID) -> Response:
    target = UserRepository(session).get_or_404(user_id)
    events = AuditRepository(session).search(PageParams(limit=20), object_type="user", object_id=str(user_id))
    return render(
        request,
        "admin/user.html",
        {"target": target, "role_options": ROLE_OPTIONS, "events": events.items, "errors": {}},
    )


@router.post("/admin/users/{user_id}", response_class=HTMLResponse, name="admin.user.update")
async def admin_user_update(request: Request, session: SessionDep, admin: AdminPage, user_id: uuid.UUID) -> Response:
    target = UserRepository(session).get_or_404(user_id)
    form = await request.form()
    roles: list[Role] = []
    for value in form.getlist("roles"):
        if isinstance(value, str) and value in Role.__members__:
            roles.append(Role(value))
    full_name = str(form.get("full_name") or "").strip()
    errors: dict[str, str] = {}
    if not roles:
        errors["roles"] = "Choose at least one role."
    if not full_name:
        errors["full_name"] = "Enter a name."
    if errors:
        events = AuditRepository(session).search(PageParams(limit=20), object_type="user", object_id=str(user_id))
        return render(
            request,
            "admin/user.html",
            {"target": target, "role_options": ROLE_OPTIONS, "events": events.items, "errors": errors},
            status_code=422,
        )
    service.update_user(
        session,
        user=target,
        actor=admin,
        full_name=full_name,
        roles=roles,
        is_active=form.get("is_active") == "on",
    )
    flash(request, f"Saved changes to {target.email}.")
    return redirect(request, f"/admin/users/{user_id}")


@router.get("/admin/invitations/new", response_class=HTMLResponse, name="admin.invite")
def admin_invite_form(request: Request, _: AdminPage) -> Response:
    return render(request, "admin/invite.html", {"values": {}, "errors": {}, "role_options": ROLE_OPTIONS})


@router.post("/admin/invitations", response_class=HTMLResponse, name="admin.invite.submit")
async def admin_invite(request: Request, session: SessionDep, admin: AdminPage) -> Response:
    form = await request.form()
    values = form_values(form)
    values["roles"] = [v for v in form.getlist("roles") if isinstance(v, str)]
    data, errors = parse_form(InvitationCreate, values)
    if data is not None:
        try:
            service.invite_user(session, email=data.email, full_name=data.full_name, roles=data.roles, actor=admin)
        except AppError as exc:
            errors = exc.field_errors or {"__all__": exc.detail}
    if errors:
        return render(
            request,
            "admin/invite.html",
            {"values": values, "errors": errors, "role_options": ROLE_OPTIONS},
            status_code=422,
        )
    assert data is not None
    flash(request, f"Invitation sent to {data.email}.")
    return redirect(request, "/admin/users")


@router.get("/admin/audit", response_class=HTMLResponse, name="admin.audit")
def admin_audit(
    request: Request,
    session: SessionDep,
    _: AdminPage,
    paging: Paging,
    action: Annotated[str | None, Query(max_length=100)] = None,
    object_type: Annotated[str | None, Query(max_length=60)] = None,
) -> Response:
    """The audit log, newest first, filterable by action and object type."""
    page = AuditRepository(session).search(paging, action=action, object_type=object_type)
    params = {k: v for k, v in {"action": action, "object_type": object_type}.items() if v}
    return render(
        request,
        "admin/audit.html",
        {"page": page, "action": action or "", "object_type": object_type or "", "params": params},
    )
