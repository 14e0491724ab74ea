"""One place that turns errors into answers: problem details for the API, HTML pages for people."""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from incubator.errors import AppError
from incubator.web import render

log = logging.getLogger("incubator.errors")
TITLES = {
    400: "Bad request",
    401: "Sign-in required",
    403: "Not allowed",
    404: "Page not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    422: "Some values need attention",
    429: "Too many attempts",
    500: "Something went wrong on our side",
    503: "Unavailable",
}


def wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") or path in ("/healthz", "/readyz", "/metrics", "/openapi.json")


def problem(
    request: Request, status: int, title: str, detail: str, slug: str, errors: dict[str, str] | None = None
) -> Response:
    if wants_json(request):
        body: dict[str, object] = {
            "type": f"about:blank#{slug}",
            "title": title,
            "status": status,
            "detail": detail,
        }
        if errors:
            body["errors"] = errors
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(body, status_code=status, media_type="application/problem+json", headers=headers)
    if status == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    return render(
        request,
        "errors/error.html",
        {"status": status, "title": title, "detail": detail, "errors": errors or {}},
        status_code=status,
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def app_error(request: Request, exc: AppError) -> Response:
        return problem(request, exc.status, exc.title, exc.detail, exc.type_slug, exc.field_errors or None)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors: dict[str, str] = {}
        for err in exc.errors():
            loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body",)) or "request"
            errors.setdefault(loc, str(err.get("msg", "invalid")))
        detail = "The request has missing or malformed values: " + "; ".join(f"{k}: {v}" for k, v in errors.items())
        return problem(request, 422, TITLES[422], detail[:1000], "validation", errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        title = TITLES.get(exc.status_code, "Error")
        detail = exc.detail if isinstance(exc.detail, str) else title
        if exc.status_code == 400 and detail == "There was an error parsing the body":
            # A body that is not JSON (or not UTF-8) is malformed input like any other: 422 with the field at fault.
            message = "The body could not be read: send JSON encoded as UTF-8."
            return problem(request, 422, TITLES[422], message, "validation", {"body": message})
        if exc.status_code == 404 and detail == "Not Found":
            detail = "There is nothing at this address. Check the link, or start again from the home page."
        response = problem(request, exc.status_code, title, detail, f"http-{exc.status_code}")
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(
            request,
            500,
            TITLES[500],
            "The error has been logged. Please try again; if it happens again, quote the request id.",
            "internal",
        )
