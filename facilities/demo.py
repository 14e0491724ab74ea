"""Demo facilities: a Shenzhen biofoundry billing in CNY and a London lab billing in GBP, their space, equipment,
services and tiers, memberships and leases of the demo startups, two months of bookings and orders (October and
November 2026), and the charges of those months."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from facilities import service
from facilities.models import (
    OrderStatus,
    PlanTier,
    Resource,
    ResourceCategory,
    ServiceCategory,
    ServiceUnit,
    Site,
    SpaceKind,
)
from incubator.db import utcnow
from incubator.errors import AppError
from incubator.models import User
from incubator.repository import UserRepository
from startups.models import BiosafetyLevel, Startup
from startups.repository import StartupRepository

H = 60  # minutes in an hour

SITES = [
    {
        "name": "London Bioprocess Lab",
        "code": "LDN",
        "address": "12 Wood Lane, London W12 7RQ, United Kingdom",
        "timezone": "Europe/London",
        "currency": "GBP",
        "legal_name": "Incubator Labs London Ltd",
        "legal_address": "12 Wood Lane, London W12 7RQ, United Kingdom",
        "tax_id": "GB 123 4567 89",
        "bank_details": "Sort code 20-00-00, account 12345678",
        "invoice_footer": "Payment within 30 days. Thank you for building with us.",
    },
    {
        "name": "Shenzhen Biofoundry",
        "code": "SZX",
        "address": "88 Gaoxin South 7th Road, Nanshan District, Shenzhen 518057, China",
        "timezone": "Asia/Shanghai",
        "currency": "CNY",
        "legal_name": "深圳孵化器生物铸造有限公司 (Shenzhen Incubator Biofoundry Co., Ltd.)",
        "legal_address": "88 Gaoxin South 7th Road, Nanshan District, Shenzhen",
        "tax_id": "91440300MA5XXXXXX1",
        "bank_details": "China Merchants Bank, Shenzhen Branch, 7559 0000 0000 0001",
        "invoice_footer": "请于30天内付款。Payment within 30 days.",
    },
]
TAXES = {"LDN": ("VAT", "0.2000", date(2011, 1, 4)), "SZX": ("VAT (services)", "0.0600", date(2019, 4, 1))}

# name, kind, biosafety, area m2, capacity, monthly price (major units)
SPACES = {
    "LDN": [
        *[(f"Desk {i}", SpaceKind.desk, BiosafetyLevel.none, 6, 1, 350) for i in range(1, 7)],
        ("Private office A", SpaceKind.private_office, BiosafetyLevel.none, 24, 4, 2400),
        ("Private office B", SpaceKind.private_office, BiosafetyLevel.none, 18, 3, 1900),
        *[(f"Lab bench {i}", SpaceKind.lab_bench, BiosafetyLevel.bsl1, 8, 2, 1200) for i in range(1, 5)],
        ("BSL-2 suite", SpaceKind.lab_suite, BiosafetyLevel.bsl2, 40, 4, 4500),
        ("-80 °C freezer shelf", SpaceKind.cold_storage, BiosafetyLevel.none, 1, 1, 90),
    ],
    "SZX": [
        *[(f"工位 Desk {i}", SpaceKind.desk, BiosafetyLevel.none, 6, 1, 2000) for i in range(1, 5)],
        ("Office 301", SpaceKind.private_office, BiosafetyLevel.none, 30, 5, 12000),
        *[(f"Lab bench {i}", SpaceKind.lab_bench, BiosafetyLevel.bsl1, 8, 2, 6000) for i in range(1, 4)],
        ("BSL-2 suite", SpaceKind.lab_suite, BiosafetyLevel.bsl2, 45, 4, 26000),
        ("Pilot-plant bay 1", SpaceKind.pilot_plant_bay, BiosafetyLevel.bsl1, 120, 6, 45000),
        ("Cold room 4 °C", SpaceKind.cold_storage, BiosafetyLevel.none, 10, 1, 1500),
    ],
}


def _res(name: str, category: ResourceCategory, volume: int | None, rate: int, **rules: Any) -> dict[str, Any]:
    return {"name": name, "category": category, "volume_litres": volume, "hourly_rate": rate, **rules}


RESOURCES = {
    "LDN": [
        _res(
            "Bench fermenter 5 L (Biostat B)",
            ResourceCategory.fermenter,
            5,
            45,
            min_minutes=2 * H,
            max_minutes=72 * H,
            increment_minutes=H,
            buffer_minutes=H,
            max_days_ahead=30,
            cancel_cutoff_hours=24,
            late_fee=50,
            biosafety_level=BiosafetyLevel.bsl1,
        ),
        _res(
            "Pilot fermenter 300 L",
            ResourceCategory.fermenter,
            300,
            180,
            min_minutes=4 * H,
            max_minutes=7 * 24 * H,
            increment_minutes=H,
            buffer_minutes=4 * H,
            max_days_ahead=60,
            cancel_cutoff_hours=72,
            late_fee=500,
            biosafety_level=BiosafetyLevel.bsl1,
            description="Stainless steel, CIP/SIP; four hours of cleaning and sterilisation after each run.",
        ),
        _res(
            "HPLC (Agilent 1260)",
            ResourceCategory.chromatography,
            None,
            35,
            min_minutes=H,
            max_minutes=12 * H,
            increment_minutes=30,
            buffer_minutes=15,
            max_days_ahead=21,
            cancel_cutoff_hours=12,
            late_fee=20,
            biosafety_level=BiosafetyLevel.none,
        ),
        _res(
            "LC-MS Q-TOF",
            ResourceCategory.mass_spectrometry,
            None,
            80,
            min_minutes=2 * H,
            max_minutes=12 * H,
            increment_minutes=30,
            buffer_minutes=30,
            max_days_ahead=21,
            cancel_cutoff_hours=24,
            late_fee=60,
            biosafety_level=BiosafetyLevel.none,
        ),
        _res(
            "Biosafety cabinet (BSL-2 suite)",
            ResourceCategory.other,
            None,
            15,
            min_minutes=H,
            max_minutes=8 * H,
            increment_minutes=30,
            buffer_minutes=30,
            max_days_ahead=14,
            cancel_cutoff_hours=12,
            late_fee=10,
            biosafety_level=BiosafetyLevel.bsl2,
        ),
    ],
    "SZX": [
        _res(
            "Bench fermenter 5 L",
            ResourceCategory.fermenter,
            5,
            300,
            min_minutes=2 * H,
            max_minutes=72 * H,
            increment_minutes=H,
            buffer_minutes=H,
            max_days_ahead=30,
            cancel_cutoff_hours=24,
            late_fee=300,
            biosafety_level=BiosafetyLevel.bsl1,
        ),
        _res(
            "Pilot fermenter 300 L",
            ResourceCategory.fermenter,
            300,
            1200,
            min_minutes=4 * H,
            max_minutes=7 * 24 * H,
            increment_minutes=H,
            buffer_minutes=4 * H,
            max_days_ahead=60,
            cancel_cutoff_hours=72,
            late_fee=3000,
            biosafety_level=BiosafetyLevel.bsl1,
        ),
        _res(
            "Production fermenter 3,000 L",
            ResourceCategory.fermenter,
            3000,
            4500,
            min_minutes=8 * H,
            max_minutes=14 * 24 * H,
            increment_minutes=2 * H,
            buffer_minutes=12 * H,
            max_days_ahead=90,
            cancel_cutoff_hours=7 * 24,
            late_fee=20000,
            biosafety_level=BiosafetyLevel.bsl1,
            description="Pilot-to-production scale; twelve hours of cleaning and sterilisation after each run.",
        ),
        _res(
            "HPLC (Shimadzu LC-2050)",
            ResourceCategory.chromatography,
            None,
            250,
            min_minutes=H,
            max_minutes=12 * H,
            increment_minutes=30,
            buffer_minutes=15,
            max_days_ahead=21,
            cancel_cutoff_hours=12,
            late_fee=150,
            biosafety_level=BiosafetyLevel.none,
        ),
    ],
}

# name, category, unit, price (major units), needs quote, description
SERVICES = {
    "LDN": [
        (
            "HPLC analysis",
            ServiceCategory.analytical,
            ServiceUnit.per_sample,
            60,
            False,
            "Titre and purity per sample.",
        ),
        ("Endotoxin test (LAL)", ServiceCategory.analytical, ServiceUnit.per_sample, 85, False, ""),
        (
            "GMP readiness audit",
            ServiceCategory.certification,
            ServiceUnit.fixed,
            0,
            True,
            "A two-day audit against EU GMP Annex 1, with a written gap report.",
        ),
        (
            "Freedom-to-operate search",
            ServiceCategory.ip_legal,
            ServiceUnit.fixed,
            0,
            True,
            "Patent landscape by our IP partners.",
        ),
        (
            "Legal advice",
            ServiceCategory.ip_legal,
            ServiceUnit.per_hour,
            180,
            False,
            "Contracts, licensing, SAFE notes.",
        ),
    ],
    "SZX": [
        ("GC-MS analysis", ServiceCategory.analytical, ServiceUnit.per_sample, 400, False, ""),
        ("Sterility test", ServiceCategory.analytical, ServiceUnit.per_sample, 900, False, ""),
        ("ISO 22000 certification support", ServiceCategory.certification, ServiceUnit.fixed, 0, True, ""),
        ("Patent filing support (CNIPA)", ServiceCategory.ip_legal, ServiceUnit.fixed, 0, True, ""),
    ],
}

# tier, monthly fee, included hours, discount, days ahead (per site)
PLANS = {
    "LDN": [
        (PlanTier.gold, 1500, 20, "0.15", 90),
        (PlanTier.silver, 900, 10, "0.10", 60),
        (PlanTier.bronze, 400, 4, "0.05", 30),
    ],
    "SZX": [
        (PlanTier.gold, 12000, 20, "0.15", 90),
        (PlanTier.silver, 7000, 10, "0.10", 60),
        (PlanTier.bronze, 3000, 4, "0.05", 30),
    ],
}

# startup, site, tier, start, end
MEMBERSHIPS = [
    ("Fermentis Labs", "LDN", PlanTier.gold, date(2026, 9, 1), None),
    ("Fermentis Labs", "SZX", PlanTier.bronze, date(2026, 10, 15), None),
    ("HelixForge", "LDN", PlanTier.silver, date(2026, 10, 1), None),
    ("Mycelia Materials", "LDN", PlanTier.bronze, date(2026, 10, 12), date(2027, 4, 12)),
    ("Verdant Enzymes", "SZX", PlanTier.gold, date(2026, 9, 1), None),
    ("Carbonloop", "SZX", PlanTier.silver, date(2026, 11, 3), None),
    ("Lactica", "LDN", PlanTier.silver, date(2026, 8, 1), date(2026, 11, 16)),
]
# startup, site, space, start, end
LEASES = [
    ("Fermentis Labs", "LDN", "Lab bench 1", date(2026, 9, 15), None),
    ("Fermentis Labs", "LDN", "Desk 1", date(2026, 10, 1), None),
    ("Fermentis Labs", "SZX", "Office 301", date(2026, 10, 10), date(2027, 4, 10)),
    ("HelixForge", "LDN", "BSL-2 suite", date(2026, 10, 1), date(2027, 3, 31)),
    ("Mycelia Materials", "LDN", "Lab bench 2", date(2026, 10, 12), None),
    ("Mycelia Materials", "LDN", "Desk 2", date(2026, 10, 12), None),
    ("Verdant Enzymes", "SZX", "Pilot-plant bay 1", date(2026, 9, 1), None),
    ("Verdant Enzymes", "SZX", "Lab bench 1", date(2026, 9, 1), None),
    ("Carbonloop", "SZX", "Lab bench 2", date(2026, 11, 3), None),
    ("Lactica", "LDN", "Private office A", date(2026, 8, 1), date(2026, 11, 16)),
    ("Assay Arc", "LDN", "-80 °C freezer shelf", date(2026, 10, 20), None),
]
# Who books what (startups with a founder trained on the site's equipment).
BOOKERS = {
    "LDN": ["Fermentis Labs", "HelixForge", "Mycelia Materials", "Lactica"],
    "SZX": ["Verdant Enzymes", "Carbonloop", "Fermentis Labs"],
}


def load(session: Session) -> None:
    finance = UserRepository(session).by_email("finance@demo.example.org")
    pm = UserRepository(session).by_email("pm@demo.example.org")
    if finance is None or pm is None:
        return
    startups = StartupRepository(session)
    sites: dict[str, Site] = {}
    spaces: dict[tuple[str, str], object] = {}
    resources: dict[str, list[Resource]] = {}
    plans = {}
    catalogue = {}
    for values in SITES:
        site = service.create_site(session, actor=finance, **values)
        sites[site.code] = site
        name, rate, effective = TAXES[site.code]
        service.add_tax_rate(session, site=site, name=name, rate=Decimal(rate), effective_date=effective, actor=finance)
        for sname, kind, bsl, area, cap, price in SPACES[site.code]:
            spaces[(site.code, sname)] = service.create_space(
                session,
                site=site,
                actor=finance,
                name=sname,
                kind=kind,
                biosafety_level=bsl,
                area_m2=Decimal(area),
                capacity=cap,
                monthly_price_minor=price * 100,
            )
        resources[site.code] = []
        for spec in RESOURCES[site.code]:
            spec = dict(spec)
            volume = spec.pop("volume_litres")
            resources[site.code].append(
                service.create_resource(
                    session,
                    site=site,
                    actor=finance,
                    name=spec.pop("name"),
                    category=spec.pop("category"),
                    volume_litres=Decimal(volume) if volume is not None else None,
                    hourly_rate_minor=int(spec.pop("hourly_rate")) * 100,
                    late_cancel_fee_minor=int(spec.pop("late_fee")) * 100,
                    requires_training=True,
                    description=str(spec.pop("description", "")),
                    **spec,
                )
            )
        for sname, category, unit, price, quote, description in SERVICES[site.code]:
            catalogue[(site.code, sname)] = service.create_service(
                session,
                site=site,
                actor=finance,
                name=sname,
                category=category,
                unit=unit,
                unit_price_minor=price * 100,
                needs_quote=quote,
                description=description,
            )
        for tier, fee, hours, discount, ahead in PLANS[site.code]:
            included = (
                [catalogue[(site.code, "HPLC analysis")].id] if (site.code, tier) == ("LDN", PlanTier.gold) else []
            )
            plans[(site.code, tier)] = service.create_plan(
                session,
                site=site,
                actor=finance,
                name=f"{tier.value.capitalize()} ({site.code})",
                tier=tier,
                monthly_fee_minor=fee * 100,
                included_minutes=hours * H,
                discount_rate=Decimal(discount),
                booking_days_ahead=ahead,
                included_service_ids=included,
            )
    # A maintenance week for the London 300 L vessel in October.
    london_300 = resources["LDN"][1]
    service.add_maintenance_block(
        session,
        resource=london_300,
        actor=finance,
        reason="Annual pressure-vessel inspection",
        start_at=datetime(2026, 10, 19, 8, tzinfo=UTC),
        end_at=datetime(2026, 10, 21, 17, tzinfo=UTC),
    )

    def startup(name: str) -> Startup:
        found = startups.by_name(name)
        assert found is not None, name
        return found

    for name, code, tier, start, end in MEMBERSHIPS:
        service.create_membership(
            session,
            startup_id=startup(name).id,
            plan=plans[(code, tier)],
            start_date=start,
            end_date=end,
            actor=finance,
        )
    for name, code, space_name, start, end in LEASES:
        service.create_lease(
            session,
            startup_id=startup(name).id,
            space=spaces[(code, space_name)],  # type: ignore[arg-type]
            start_date=start,
            end_date=end,
            actor=finance,
        )

    # Training and clearances: every booker's founder on their site's equipment (the demo founder on London's
    # fermenters and HPLC, and Shenzhen's 300 L), with one expired record to show the gate.
    founders: dict[str, User] = {}
    for code, names in BOOKERS.items():
        for name in names:
            s = startup(name)
            members = startups.members(s.id)
            founders[name] = members[0][1]
            level = BiosafetyLevel.bsl2 if s.biosafety_level == BiosafetyLevel.bsl2 else BiosafetyLevel.bsl1
            if not any(c.level == level for c in _clearances(session, s)):
                service.grant_clearance(
                    session,
                    startup_id=s.id,
                    level=level,
                    granted_date=date(2026, 9, 1),
                    expires_date=date(2027, 8, 31),
                    actor=pm,
                )
            for resource in resources[code]:
                if (
                    name == "Fermentis Labs"
                    and code == "LDN"
                    and resource.category == ResourceCategory.mass_spectrometry
                ):
                    continue  # not trained on the LC-MS: booking it shows the training gate
                if name == "Fermentis Labs" and code == "SZX" and resource.volume_litres != Decimal(300):
                    continue
                service.record_training(
                    session,
                    user_id=founders[name].id,
                    resource=resource,
                    qualified_date=date(2026, 9, 1),
                    expires_date=date(2027, 9, 1),
                    actor=pm,
                )
    founder = founders["Fermentis Labs"]
    service.record_training(
        session,
        user_id=founder.id,
        resource=resources["LDN"][3],
        qualified_date=date(2025, 6, 1),
        expires_date=date(2026, 6, 1),
        actor=pm,
    )

    _bookings(session, sites, resources, founders)
    _orders(session, sites, catalogue, founders, finance, startup)
    for site in sites.values():
        for period in (date(2026, 10, 1), date(2026, 11, 1)):
            service.generate_charges(session, site=site, period=period)


def _clearances(session: Session, startup: Startup) -> list:  # type: ignore[type-arg]
    from facilities.repository import QualificationRepository

    return QualificationRepository(session).clearances(startup.id)


def _bookings(
    session: Session, sites: dict[str, Site], resources: dict[str, list[Resource]], founders: dict[str, User]
) -> None:
    """About three bookings a week per machine through October and November, some cancelled (a few late)."""
    rng = random.Random(40)
    real_now = utcnow()
    used: dict[tuple[str, int], int] = {}
    for code, site in sites.items():
        tz = ZoneInfo(site.timezone)
        for resource in resources[code]:
            day = date(2026, 10, 1)
            while day < date(2026, 12, 1):
                if rng.random() < 0.45:
                    name = rng.choice(BOOKERS[code])
                    if resource.biosafety_level == BiosafetyLevel.bsl2 and name not in ("HelixForge",):
                        day += timedelta(days=1)
                        continue
                    hours = max(resource.min_minutes // H, rng.choice([2, 3, 4, 6, 8, 24, 48]))
                    hours = min(hours, resource.max_minutes // H)
                    if name == "Fermentis Labs":
                        # The demo founder keeps part of this month's included hours, to see them drop and return.
                        hours = min(hours, 4)
                        month = (code, day.month)
                        if used.get(month, 0) + hours > 10:
                            day += timedelta(days=1)
                            continue
                        used[month] = used.get(month, 0) + hours
                    step = resource.increment_minutes // H or 1
                    hours -= hours % step
                    start_hour = rng.choice([8, 9, 10, 13, 14]) // step * step
                    start = datetime.combine(day, time(start_hour), tzinfo=tz).astimezone(UTC)
                    end = start + timedelta(hours=hours)
                    booked_at = min(real_now, start - timedelta(days=2))
                    try:
                        with session.begin_nested():
                            booking = service.book(
                                session,
                                resource=resource,
                                startup_id=_startup_of(session, name).id,
                                user=founders[name],
                                start_at=start,
                                end_at=end,
                                now=booked_at,
                                purpose=rng.choice(["Seed train", "Titre optimisation", "Scale-up run", "QC", ""]),
                            )
                            roll = rng.random() if start < real_now else 1.0
                            if roll < 0.08:
                                service.cancel_booking(
                                    session, booking=booking, actor=founders[name], now=start - timedelta(hours=2)
                                )
                            elif roll < 0.16:
                                service.cancel_booking(
                                    session, booking=booking, actor=founders[name], now=booked_at + timedelta(hours=1)
                                )
                    except AppError:
                        pass  # the slot was taken or broke a rule; the demo simply skips it
                    day += timedelta(days=max(1, hours // 24))
                day += timedelta(days=1)


def _startup_of(session: Session, name: str) -> Startup:
    found = StartupRepository(session).by_name(name)
    assert found is not None
    return found


def _orders(session, sites, catalogue, founders, finance, startup) -> None:  # type: ignore[no-untyped-def]
    """Orders at every stage; the delivered ones dated in October and November."""
    plans = [
        ("Fermentis Labs", "LDN", "HPLC analysis", 12, date(2026, 10, 14), OrderStatus.delivered, None),
        (
            "Fermentis Labs",
            "LDN",
            "Endotoxin test (LAL)",
            6,
            date(2026, 11, 6),
            OrderStatus.delivered,
            ("Courier to external lab", 4500, "0.10"),
        ),
        ("Fermentis Labs", "LDN", "Freedom-to-operate search", 1, None, OrderStatus.quoted, None),
        ("HelixForge", "LDN", "GMP readiness audit", 1, None, OrderStatus.in_progress, None),
        ("Mycelia Materials", "LDN", "Legal advice", 3, date(2026, 11, 12), OrderStatus.delivered, None),
        (
            "Verdant Enzymes",
            "SZX",
            "GC-MS analysis",
            20,
            date(2026, 10, 22),
            OrderStatus.delivered,
            ("Outside GC-MS lab invoice", 320000, "0.12"),
        ),
        ("Verdant Enzymes", "SZX", "ISO 22000 certification support", 1, None, OrderStatus.requested, None),
        ("Carbonloop", "SZX", "Sterility test", 4, None, OrderStatus.requested, None),
    ]
    for name, code, svc_name, qty, delivered, status, pass_through in plans:
        svc = catalogue[(code, svc_name)]
        order = service.request_order(
            session,
            service=svc,
            startup_id=startup(name).id,
            user=founders.get(name) or finance,
            quantity=Decimal(qty),
            notes="",
        )
        if svc.needs_quote and status != OrderStatus.requested:
            service.quote_order(
                session,
                order=order,
                actor=finance,
                amount_minor=(480000 if code == "LDN" else 3500000),
                note="Fixed price, two weeks",
            )
            if status == OrderStatus.quoted:
                continue
            service.accept_order(session, order=order, actor=founders.get(name) or finance)
        if status == OrderStatus.requested:
            continue
        if pass_through:
            desc, cost, margin = pass_through
            service.add_pass_through_cost(
                session, order=order, actor=finance, description=desc, cost_minor=cost, margin_rate=Decimal(margin)
            )
        service.start_order(session, order=order, actor=finance)
        if status == OrderStatus.delivered and delivered is not None:
            # Back-dated delivery: the demo tells a story of two months; the charge step picks it up by date.
            order.status = OrderStatus.delivered
            order.delivered_date = delivered
            order.delivered_at = datetime.combine(delivered, time(15), tzinfo=UTC)
            order.created_at = order.delivered_at - timedelta(days=9)
            order.started_at = order.delivered_at - timedelta(days=7)
            session.add(order)
            session.flush()
