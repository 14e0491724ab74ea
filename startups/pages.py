"""HTML pages for startups: founder sign-up, the directory and the profile the founders edit."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from incubator.config import get_settings
from incubator.deps import SESSION_COOKIE, OptionalPageUser, PageUser, SessionDep, verify_csrf
from incubator.errors import AppError, PermissionDenied
from incubator.pagination import PageParams, page_params
from incubator.service import start_web_session
from incubator.web import flash, form_values, parse_form, redirect, render
from startups import service
from startups.deps import EditablePageStartup, PageStartup
from startups.models import BiosafetyLevel, MemberRole, Sector, Stage, StartupStatus
from startups.repository import StartupRepository
from startups.schemas import MemberAdd, SignupForm, StartupForm, StartupUpdate

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)
Paging = Annotated[PageParams, Depends(page_params)]
SECTORS = [(s.value, s.label) for s in Sector]
OPTIONS = {
    "sectors": SECTORS,
    "stages": [(s.value, s.label) for s in Stage],
    "biosafety_levels": [(b.value, b.label) for b in BiosafetyLevel],
    "statuses": [(s.value, s.value.capitalize()) for s in StartupStatus],
    "trls": [(str(i), f"TRL {i}") for i in range(1, 10)],
    "member_roles": [(r.value, r.value.capitalize()) for r in MemberRole],
}


@router.get("/signup", response_class=HTMLResponse, name="startups.signup")
def signup_form(request: Request, user: OptionalPageUser) -> Response:
    """Founder sign-up."""
    if user is not None:
        return redirect(request, "/")
    return render(request, "auth/signup.html", {"values": {}, "errors": {}, "sectors": SECTORS})


@router.post("/signup", response_class=HTMLResponse, name="startups.signup.submit")
async def signup(request: Request, session: SessionDep) -> Response:
    values = form_values(await request.form())
    values["accept_terms"] = values.get("accept_terms") in ("on", "true", "1")
    data, errors = parse_form(SignupForm, values)
    if data is not None:
        try:
            user, _ = service.sign_up_founder(
                session,
                full_name=data.full_name,
                email=data.email,
                password=data.password,
                startup_name=data.startup_name,
                sector=data.sector,
            )
        except AppError as exc:
            errors = exc.field_errors or {"__all__": exc.detail}
    if errors or data is None:
        values.pop("password", None)
        values.pop("password_confirm", None)
        return render(
            request,
            "auth/signup.html",
            {"values": values, "errors": errors, "sectors": SECTORS},
            status_code=422,
        )
    raw = start_web_session(
        session,
        user=user,
        ip_address=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )
    flash(
        request,
        f"Welcome, {user.full_name}. Complete your startup's profile so programmes can get to know you.",
    )
    response = redirect(request, "/")
    response.set_cookie(
        SESSION_COOKIE,
        raw,
        httponly=True,
        samesite="lax",
        secure=get_settings().cookie_secure,
        max_age=get_settings().session_days * 86400,
    )
    return response


@router.get("/startups", response_class=HTMLResponse, name="startups.list")
def startup_list(
    request: Request,
    session: SessionDep,
    user: PageUser,
    paging: Paging,
    q: Annotated[str | None, Query(max_length=100)] = None,
    sector: Annotated[str | None, Query(max_length=40)] = None,
    sort: Annotated[str, Query(pattern="^(name|created|trl|sector)$")] = "name",
    dir: Annotated[str, Query(pattern="^(asc|desc)$")] = "asc",
) -> Response:
    """The startups you may see, searchable and sortable."""
    chosen = Sector(sector) if sector is not None and sector in Sector.__members__ else None
    page = StartupRepository(session).search(user, paging, query=q, sector=chosen, sort=sort, descending=dir == "desc")
    params = {k: v for k, v in {"q": q, "sector": chosen.value if chosen else None}.items() if v}
    return render(
        request,
        "startups/list.html",
        {
            "page": page,
            "q": q or "",
            "sector": chosen.value if chosen else "",
            "sort": sort,
            "dir": dir,
            "params": params,
            **OPTIONS,
        },
    )


@router.get("/startups/{startup_id}", response_class=HTMLResponse, name="startups.detail")
def startup_detail(request: Request, session: SessionDep, user: PageUser, startup: PageStartup) -> Response:
    """A startup's profile, team and TRL history."""
    repo = StartupRepository(session)
    return render(
        request,
        "startups/detail.html",
        {
            "startup": startup,
            "members": repo.members(startup.id),
            "history": repo.trl_history(startup.id),
            "can_edit": service.can_edit(session, user, startup),
            "values": {},
            "errors": {},
            **OPTIONS,
        },
    )


@router.get("/startups/{startup_id}/edit", response_class=HTMLResponse, name="startups.edit")
def startup_edit_form(request: Request, session: SessionDep, user: PageUser, startup: EditablePageStartup) -> Response:
    values = StartupForm.model_validate(
        {k: getattr(startup, k) for k in StartupForm.model_fields if hasattr(startup, k)}
    ).model_dump(mode="json")
    return render(request, "startups/edit.html", {"startup": startup, "values": values, "errors": {}, **OPTIONS})


@router.post("/startups/{startup_id}/edit", response_class=HTMLResponse, name="startups.edit.submit")
async def startup_edit(request: Request, session: SessionDep, user: PageUser, startup: EditablePageStartup) -> Response:
    values = form_values(await request.form())
    data, errors = parse_form(StartupForm, values)
    if data is not None:
        update = StartupUpdate.model_validate(data.model_dump(exclude_unset=False))
        try:
            service.update_startup(session, startup=startup, data=update, actor=user)
        except AppError as exc:
            if isinstance(exc, PermissionDenied):
                raise
            errors = exc.field_errors or {"__all__": exc.detail}
    if errors:
        return render(
            request,
            "startups/edit.html",
            {"startup": startup, "values": values, "errors": errors, **OPTIONS},
            status_code=422,
        )
    flash(request, "Profile saved.")
    return redirect(request, f"/startups/{startup.id}")


@router.post("/startups/{startup_id}/members", response_class=HTMLResponse, name="startups.members.add")
async def member_add(request: Request, session: SessionDep, user: PageUser, startup: EditablePageStartup) -> Response:
    values = form_values(await request.form())
    data, errors = parse_form(MemberAdd, values)
    if data is not None:
        try:
            service.add_member(session, startup=startup, email=data.email, role=data.role, actor=user)
        except AppError as exc:
            if isinstance(exc, PermissionDenied):
                raise
            errors = exc.field_errors or {"__all__": exc.detail}
    if errors:
        repo = StartupRepository(session)
        return render(
            request,
            "startups/detail.html",
            {
                "startup": startup,
                "members": repo.members(startup.id),
                "history": repo.trl_history(startup.id),
                "can_edit": service.can_edit(session, user, startup),
                "values": values,
                "errors": errors,
                **OPTIONS,
            },
            status_code=422,
        )
    flash(request, "Added to the team.")
    return redirect(request, f"/startups/{startup.id}")


@router.post("/startups/{startup_id}/members/{user_id}/remove", name="startups.members.remove")
def member_remove(
    request: Request, session: SessionDep, user: PageUser, startup: EditablePageStartup, user_id: uuid.UUID
) -> Response:
    service.remove_member(session, startup=startup, user_id=user_id, actor=user)
    flash(request, "Removed from the team.")
    return redirect(request, f"/startups/{startup.id}")
