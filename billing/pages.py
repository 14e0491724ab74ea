"""HTML pages of billing."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from incubator.deps import verify_csrf

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)
