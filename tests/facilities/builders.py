"""Builders for facilities tests, keyword-only, committing like the kernel's factories."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from facilities.models import (
    BiosafetyClearance,
    Membership,
    Plan,
    PlanTier,
    Resource,
    ResourceCategory,
    Service,
    ServiceUnit,
    Site,
    Space,
    SpaceKind,
    Training,
)
from incubator.models import User
from startups.models import BiosafetyLevel, Startup

_seq = itertools.count(1)
# A fixed "now" well inside a month, so windows and cut-offs are deterministic.
NOW = datetime(2026, 11, 9, 8, 0, tzinfo=UTC)


def make_site(
    session: Session, *, currency: str = "GBP", timezone: str = "Europe/London", code: str | None = None
) -> Site:
    n = next(_seq)
    site = Site(name=f"Site {n}", code=code or f"S{n}", currency=currency, timezone=timezone)
    session.add(site)
    session.commit()
    return site


def make_resource(session: Session, *, site: Site, **values: Any) -> Resource:
    defaults: dict[str, Any] = {
        "name": f"Fermenter {next(_seq)}",
        "category": ResourceCategory.fermenter,
        "volume_litres": Decimal(300),
        "hourly_rate_minor": 6000,
        "min_minutes": 60,
        "max_minutes": 12 * 60,
        "increment_minutes": 30,
        "max_days_ahead": 30,
        "buffer_minutes": 60,
        "cancel_cutoff_hours": 24,
        "late_cancel_fee_minor": 5000,
        "requires_training": False,
    }
    defaults.update(values)
    resource = Resource(site_id=site.id, **defaults)
    session.add(resource)
    session.commit()
    return resource


def make_space(session: Session, *, site: Site, price: int = 30000, kind: SpaceKind = SpaceKind.lab_bench) -> Space:
    space = Space(site_id=site.id, name=f"Bench {next(_seq)}", kind=kind, monthly_price_minor=price)
    session.add(space)
    session.commit()
    return space


def make_plan(
    session: Session,
    *,
    site: Site,
    tier: PlanTier = PlanTier.silver,
    fee: int = 100000,
    included_minutes: int = 240,
    discount: str = "0.10",
) -> Plan:
    plan = Plan(
        site_id=site.id,
        name=f"{tier.value.capitalize()}",
        tier=tier,
        monthly_fee_minor=fee,
        included_minutes=included_minutes,
        discount_rate=Decimal(discount),
        booking_days_ahead=60,
    )
    session.add(plan)
    session.commit()
    return plan


def make_membership(
    session: Session, *, startup: Startup, plan: Plan, start: date = date(2026, 1, 1), end: date | None = None
) -> Membership:
    membership = Membership(
        startup_id=startup.id,
        site_id=plan.site_id,
        plan_id=plan.id,
        start_date=start,
        end_date=end,
        monthly_fee_minor=plan.monthly_fee_minor,
    )
    session.add(membership)
    session.commit()
    return membership


def make_service(session: Session, *, site: Site, price: int = 20000, needs_quote: bool = False) -> Service:
    service = Service(
        site_id=site.id,
        name=f"HPLC analysis {next(_seq)}",
        unit=ServiceUnit.per_sample,
        unit_price_minor=price,
        needs_quote=needs_quote,
    )
    session.add(service)
    session.commit()
    return service


def train(session: Session, *, user: User, resource: Resource, expires: date | None = None) -> Training:
    training = Training(user_id=user.id, resource_id=resource.id, qualified_date=date(2026, 1, 1), expires_date=expires)
    session.add(training)
    session.commit()
    return training


def clear(
    session: Session, *, startup: Startup, level: BiosafetyLevel, expires: date = date(2027, 12, 31)
) -> BiosafetyClearance:
    clearance = BiosafetyClearance(
        startup_id=startup.id, level=level, granted_date=date(2026, 1, 1), expires_date=expires
    )
    session.add(clearance)
    session.commit()
    return clearance


def slot(day_offset: int, hour: int, hours: float = 2.0) -> tuple[datetime, datetime]:
    """A slot `day_offset` days after NOW's date at `hour` UTC (London is on UTC in November)."""
    start = datetime(NOW.year, NOW.month, NOW.day, hour, 0, tzinfo=UTC) + timedelta(days=day_offset)
    return start, start + timedelta(minutes=int(hours * 60))
