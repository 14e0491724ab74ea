"""Request ids on every log line and response, Prometheus metrics, the CSRF cookie and the request size limit.

One plain ASGI middleware does all four: it is on every request's path, so it stays cheap.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from incubator.config import get_settings
from incubator.context import client_ip_var, request_id_var
from incubator.security import new_token
from incubator.web import CSRF_COOKIE

REQUESTS = Counter("incubator_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "incubator_http_request_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5),
)
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get() or "-"
        return True


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"))
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger("incubator")
    root.handlers = [handler]
    root.setLevel(level)
    root.propagate = False


def metrics_payload() -> tuple[bytes, str]:
    return generate_latest(), CONTENT_TYPE_LATEST


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _has_cookie(scope: Scope, name: str) -> str | None:
    raw = _header(scope, b"cookie")
    if not raw:
        return None
    for part in raw.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name and value:
            return value
    return None


class KernelMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        settings = get_settings()
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and _SAFE_ID.match(incoming) else uuid.uuid4().hex
        client = scope.get("client")
        rid_token = request_id_var.set(request_id)
        ip_token = client_ip_var.set(client[0] if client else None)
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        csrf_cookie = _has_cookie(scope, CSRF_COOKIE)
        new_csrf = None
        if csrf_cookie is None and not scope["path"].startswith("/api/"):
            new_csrf = new_token(16)
            state["csrf_binding"] = new_csrf
        started = time.perf_counter()
        status_holder = {"status": 500}

        length = _header(scope, b"content-length")
        if length is not None and length.isdigit() and int(length) > settings.max_request_bytes:
            await _too_large(send, request_id, settings.max_request_bytes)
            self._observe(scope, 413, started)
            request_id_var.reset(rid_token)
            client_ip_var.reset(ip_token)
            return

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                if new_csrf is not None:
                    secure = "; Secure" if settings.cookie_secure else ""
                    headers.append(
                        (
                            b"set-cookie",
                            f"{CSRF_COOKIE}={new_csrf}; Path=/; HttpOnly; SameSite=Lax{secure}".encode(),
                        )
                    )
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            self._observe(scope, status_holder["status"], started)
            request_id_var.reset(rid_token)
            client_ip_var.reset(ip_token)

    @staticmethod
    def _observe(scope: Scope, status: int, started: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or "unmatched"
        method = scope.get("method", "GET")
        REQUESTS.labels(method, template, str(status)).inc()
        LATENCY.labels(method, template).observe(time.perf_counter() - started)


async def _too_large(send: Send, request_id: str, limit: int) -> None:
    body = (
        '{"type":"about:blank#too-large","title":"Too large","status":413,'
        f'"detail":"Requests may be at most {limit // (1024 * 1024)} MiB."}}'
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"x-request-id", request_id.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
