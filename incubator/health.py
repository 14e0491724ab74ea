"""Operational endpoints: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from incubator.db import new_session
from incubator.migrations import current_revisions, head_revisions
from incubator.observability import metrics_payload

router = APIRouter(tags=["operations"])


@router.get("/healthz", name="ops.healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", name="ops.readyz", responses={503: {"description": "Not ready"}})
def readyz() -> JSONResponse:
    """The database answers and its schema is at the latest migration."""
    try:
        with new_session() as session:
            current = current_revisions(session.connection())
    except SQLAlchemyError as exc:
        return JSONResponse({"status": "unavailable", "detail": f"database: {type(exc).__name__}"}, status_code=503)
    heads = head_revisions()
    if current != heads:
        return JSONResponse(
            {
                "status": "migrating",
                "detail": "the database is not at the latest migration: run `incubator db upgrade`",
            },
            status_code=503,
        )
    return JSONResponse({"status": "ready"})


@router.get("/metrics", name="ops.metrics", response_class=Response)
def metrics() -> Response:
    """Prometheus metrics of this process."""
    body, content_type = metrics_payload()
    return Response(body, media_type=content_type)
