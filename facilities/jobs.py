"""Background jobs of the facilities package."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from facilities import service
from facilities.repository import SiteRepository
from incubator.errors import NotFound
from incubator.jobs import Progress

GENERATE_CHARGES = "facilities.generate_charges"


def generate_charges_job(session: Session, payload: dict[str, Any], progress: Progress) -> None:
    """Payload: {"site_code": "LDN", "period": "2026-11"}, or no site_code for every active site."""
    period = service.parse_period(str(payload["period"]))
    repo = SiteRepository(session)
    if payload.get("site_code"):
        site = repo.by_code(str(payload["site_code"]))
        if site is None:
            raise NotFound(f"No site with the code {payload['site_code']}.")
        sites = [site]
    else:
        sites = repo.all()
    for done, site in enumerate(sites):
        progress.update(done, len(sites))
        service.run_charge_step(session, site=site, period=period, actor=None)
    progress.update(len(sites), len(sites))
