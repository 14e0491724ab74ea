"""Composition root: builds the FastAPI app from the packages' plugins."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

import billing.plugin
import cohorts.plugin
import facilities.plugin
import incubator.plugin
import investors.plugin
import mentors.plugin
import startups.plugin
from incubator.config import ROOT, get_settings
from incubator.handlers import install_error_handlers
from incubator.observability import KernelMiddleware, configure_logging
from incubator.plugins import Plugin, install

# Order matters only for routes that could shadow each other; lower packages first.
PLUGINS: list[Plugin] = [
    incubator.plugin.PLUGIN,
    startups.plugin.PLUGIN,
    cohorts.plugin.PLUGIN,
    mentors.plugin.PLUGIN,
    investors.plugin.PLUGIN,
    facilities.plugin.PLUGIN,
    billing.plugin.PLUGIN,
]

API_DESCRIPTION = """
The JSON API of Incubator. Every page of the web application is backed by the same service layer as these routes.

Authenticate with `POST /api/v1/auth/token` (OAuth2 password flow) or a personal access token, and send
`Authorization: Bearer <token>`. Lists are paged with `limit` and `offset` and return a `total`. Errors are
problem details (`type`, `title`, `status`, `detail`, and `errors` by field for 422).
"""


def install_plugins() -> None:
    for plugin in PLUGINS:
        install(plugin)


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    # What is loaded at start-up (modules, routes, templates) lives as long as the process: freezing it keeps the
    # full collections that a large page triggers from rescanning it (measured: the ranking page of 1,000
    # applications went from ~60 ms CPU with every other request at ~180 ms, to ~60 ms with rare ~100 ms).
    gc.collect()
    gc.freeze()
    yield


def install_api_docs(app: FastAPI) -> None:
    """The interactive API docs at /docs, with Swagger UI's assets served by the app itself."""
    assets = "/api-docs-assets"
    app.mount(assets, StaticFiles(directory=swagger_ui_path), name="api_docs_assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Incubator API",
            swagger_js_url=f"{assets}/swagger-ui-bundle.js",
            swagger_css_url=f"{assets}/swagger-ui.css",
            swagger_favicon_url=f"{assets}/favicon-32x32.png",
            oauth2_redirect_url="/docs/oauth2-redirect",
        )

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def docs_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()


def create_app() -> FastAPI:
    settings = get_settings()
    configure_logging(settings.log_level)
    install_plugins()
    app = FastAPI(
        title="Incubator",
        version="0.1.0",
        description=API_DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served below with Swagger UI's files from the installed package, not from a CDN
        redoc_url=None,
        # The middleware refuses a too-large Content-Length up front; this also stops a chunked body that grows
        # past the limit while it is read.
        max_body_size=settings.max_request_bytes,
    )
    app.add_middleware(KernelMiddleware)
    install_error_handlers(app)
    for plugin in PLUGINS:
        for router in plugin.api_routers:
            app.include_router(router)
    for plugin in PLUGINS:
        for router in plugin.page_routers:
            app.include_router(router)
    install_api_docs(app)
    app.mount("/static", StaticFiles(directory=ROOT / "static"), name="static")
    return app


app = create_app()
