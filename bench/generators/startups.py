"""Startups with their founders and team members, TRL history and the audit events of their creation.

Distributions follow a real incubator's portfolio: most companies are pre-seed or seed at TRL 2-6, therapeutics and
diagnostics mostly need BSL-2 labs, older companies are more often alumni or closed, teams have one to three
founders and a few members, and TRL climbs by steps over the years.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from bench.generators import Context, register, weighted
from incubator.models import AuditEvent, Role, User, UserRole
from startups.models import BiosafetyLevel, MemberRole, Sector, Stage, Startup, StartupMember, StartupStatus, TrlEntry

CHUNK = 1000
SECTORS: dict[Sector, float] = {
    Sector.biomanufacturing: 20,
    Sector.synthetic_biology: 18,
    Sector.food_and_agriculture: 14,
    Sector.therapeutics: 12,
    Sector.materials: 9,
    Sector.diagnostics: 8,
    Sector.chemicals: 7,
    Sector.climate: 6,
    Sector.tools_and_automation: 4,
    Sector.other: 2,
}
STAGES: dict[Stage, float] = {Stage.idea: 12, Stage.pre_seed: 33, Stage.seed: 32, Stage.series_a: 16, Stage.growth: 7}
STAGE_TRL = {
    Stage.idea: (1, 3),
    Stage.pre_seed: (2, 4),
    Stage.seed: (3, 6),
    Stage.series_a: (5, 8),
    Stage.growth: (6, 9),
}
BIOSAFETY: dict[str, dict[BiosafetyLevel, float]] = {
    "clinical": {BiosafetyLevel.bsl2: 55, BiosafetyLevel.bsl1: 40, BiosafetyLevel.none: 5},
    "dry": {BiosafetyLevel.none: 70, BiosafetyLevel.bsl1: 30},
    "wet": {BiosafetyLevel.bsl1: 65, BiosafetyLevel.none: 20, BiosafetyLevel.bsl2: 15},
}
FOUNDERS_PER_STARTUP: dict[int, float] = {1: 30, 2: 45, 3: 25}
MEMBERS_PER_STARTUP: dict[int, float] = {0: 40, 1: 30, 2: 20, 3: 10}

PREFIXES = [
    "Helix", "Myco", "Ferment", "Enzy", "Cyto", "Geno", "Lacto", "Chroma", "Phyto", "Proto", "Algae", "Nitro",
    "Carbo", "Spira", "Vira", "Xeno", "Bacti", "Pepti", "Glyco", "Lumi", "Terra", "Aqua", "Verda", "Zymo",
    "Celo", "Micro", "Plasmi", "Ribo", "Sila", "Thermo",
]  # fmt: skip
ROOTS = [
    "forge", "works", "gen", "craft", "loop", "form", "tica", "nova", "path", "wave", "core", "leaf", "field",
    "line", "sense", "scale", "grow", "mint", "bloom", "spark", "shift", "cell", "stream", "vault", "metric",
]  # fmt: skip
GENERIC_SUFFIXES = ["Labs", "Bio", "Biotech", "Biosciences"]
SUFFIXES: dict[Sector, list[str]] = {
    Sector.biomanufacturing: ["Fermentation", "Biomanufacturing", "Bioprocess", "Biologics"],
    Sector.synthetic_biology: ["Synthetics", "Genomics", "Biodesign", "Bioworks"],
    Sector.food_and_agriculture: ["Foods", "Agritech", "Nutrition", "Proteins"],
    Sector.therapeutics: ["Therapeutics", "Pharma", "Medicines", "Oncology"],
    Sector.materials: ["Materials", "Fibres", "Polymers", "Textiles"],
    Sector.diagnostics: ["Diagnostics", "Biosensors", "Assays", "Health"],
    Sector.chemicals: ["Chemicals", "Enzymes", "Catalysis", "Renewables"],
    Sector.climate: ["Climate", "Carbon", "Earth", "Cleantech"],
    Sector.tools_and_automation: ["Systems", "Robotics", "Analytics", "Instruments"],
    Sector.other: ["Industries", "Ventures", "Group", "Partners"],
}
FIRST_NAMES = [
    "Amara", "Wei", "Sofia", "Lars", "Aisha", "Tom", "Yuki", "Grace", "Omar", "Elena", "Daniel", "Leila", "Jonas",
    "Mei", "Kwame", "Ingrid", "Rafael", "Hana", "Arjun", "Nadia", "Luca", "Fatima", "Mateo", "Priya", "Chloe",
    "Sipho", "Anna", "Hiro", "Zara", "Ethan", "Lin", "Noah", "Isabel", "Kofi", "Maya", "Pavel", "Ines", "Jun",
]  # fmt: skip
LAST_NAMES = [
    "Nwosu", "Chen", "Marquez", "Eriksen", "Rahman", "Becker", "Tanaka", "Mensah", "Haddad", "Rossi", "Kim",
    "Farahani", "Weber", "Lin", "Boateng", "Holm", "Costa", "Novak", "Patel", "Petrova", "Bianchi", "Zhang",
    "Garcia", "Okafor", "Dubois", "Nakamura", "Silva", "Kowalski", "Jensen", "Ahmed", "Wang", "Murphy",
]  # fmt: skip
DESCRIPTIONS = {
    Sector.biomanufacturing: "Precision fermentation of {thing} at pilot scale, moving from 5 L to 3,000 L.",
    Sector.synthetic_biology: "Engineered microbes that make {thing} from sugar and CO2.",
    Sector.food_and_agriculture: "Animal-free {thing} for food manufacturers, made by fermentation.",
    Sector.therapeutics: "Cell and gene therapies against {thing}, manufactured in closed systems.",
    Sector.materials: "Bio-based {thing} replacing petrochemical materials.",
    Sector.diagnostics: "Point-of-care assays detecting {thing} in under twenty minutes.",
    Sector.chemicals: "Enzymes that turn waste streams into {thing}.",
    Sector.climate: "Microbial processes that capture carbon as {thing}.",
    Sector.tools_and_automation: "Bioreactor sensors and software that predict {thing} during scale-up.",
    Sector.other: "Biology-based services for {thing}.",
}
THINGS = [
    "dairy proteins", "collagen", "spider silk", "heme", "solid tumours", "antibiotic resistance", "textile dyes",
    "adhesives", "biosurfactants", "mycelium leather", "platform chemicals", "fertiliser", "titre and yield",
    "vitamins", "human milk oligosaccharides", "vaccine adjuvants", "flavours and fragrances", "bioplastics",
]  # fmt: skip
TRL_NOTES = ["", "", "Pilot run completed", "Validated at partner site", "Scale-up batch", "Independent test report"]


@dataclass(frozen=True)
class GeneratedStartup:
    """What later steps (cohorts, facilities, billing) need to know about a generated startup."""

    id: uuid.UUID
    name: str
    sector: Sector
    stage: Stage
    trl: int
    status: StartupStatus
    created_at: datetime
    founder_ids: tuple[uuid.UUID, ...]
    member_ids: tuple[uuid.UUID, ...]


def _name(ctx: Context, sector: Sector, used: set[str]) -> str:
    """A plausible company name for the sector, unique among those generated (numbered once they run out)."""
    suffixes = SUFFIXES[sector] + GENERIC_SUFFIXES
    name = ""
    for _ in range(20):
        name = f"{ctx.rng.choice(PREFIXES)}{ctx.rng.choice(ROOTS)} {ctx.rng.choice(suffixes)}"
        if name not in used:
            break
    base, n = name, 1
    while name in used:
        n += 1
        name = f"{base} {n}"
    used.add(name)
    return name


def _biosafety(ctx: Context, sector: Sector) -> BiosafetyLevel:
    if sector in (Sector.therapeutics, Sector.diagnostics):
        return weighted(ctx.rng, BIOSAFETY["clinical"])  # type: ignore[no-any-return]
    if sector == Sector.tools_and_automation:
        return weighted(ctx.rng, BIOSAFETY["dry"])  # type: ignore[no-any-return]
    return weighted(ctx.rng, BIOSAFETY["wet"])  # type: ignore[no-any-return]


def _status(ctx: Context, created_at: datetime) -> StartupStatus:
    age_years = (ctx.now - created_at).days / 365
    if age_years > 3:
        weights = {StartupStatus.alumni: 50, StartupStatus.active: 30, StartupStatus.closed: 20}
    elif age_years > 1.5:
        weights = {StartupStatus.active: 65, StartupStatus.alumni: 25, StartupStatus.closed: 10}
    else:
        weights = {StartupStatus.active: 92, StartupStatus.closed: 3, StartupStatus.alumni: 5}
    return weighted(ctx.rng, weights)  # type: ignore[no-any-return]


class _Chunk:
    def __init__(self) -> None:
        self.users: list[dict[str, Any]] = []
        self.roles: list[dict[str, Any]] = []
        self.startups: list[dict[str, Any]] = []
        self.members: list[dict[str, Any]] = []
        self.trl: list[dict[str, Any]] = []
        self.audit: list[dict[str, Any]] = []

    def write(self, ctx: Context) -> None:
        # Parents before children, so the foreign keys hold on both databases.
        ctx.insert(User, self.users)
        ctx.insert(UserRole, self.roles)
        ctx.insert(Startup, self.startups)
        ctx.insert(StartupMember, self.members)
        ctx.insert(TrlEntry, self.trl)
        ctx.insert(AuditEvent, self.audit)


def _person(ctx: Context, chunk: _Chunk, *, slug: str, serial: int, joined_at: datetime) -> tuple[uuid.UUID, str]:
    first, last = ctx.rng.choice(FIRST_NAMES), ctx.rng.choice(LAST_NAMES)
    user_id = uuid.uuid4()
    email = f"{first}.{last}.{serial}@{slug}.example.com".lower()
    recent_login = ctx.rng.random() < 0.6
    chunk.users.append(
        {
            "id": user_id,
            "email": email,
            "full_name": f"{first} {last}",
            "password_hash": ctx.password_hash,
            "is_active": ctx.rng.random() > 0.03,
            "locale": "zh" if ctx.rng.random() < 0.12 else "en",
            "created_at": joined_at,
            "last_login_at": ctx.now - timedelta(hours=ctx.rng.randint(1, 24 * 90)) if recent_login else None,
        }
    )
    chunk.roles.append({"user_id": user_id, "role": Role.founder, "granted_at": joined_at})
    return user_id, email


def _trl_history(
    ctx: Context, startup_id: uuid.UUID, trl: int, created_at: datetime, by: uuid.UUID
) -> list[dict[str, Any]]:
    start = max(1, trl - ctx.rng.randint(0, 3))
    levels = list(range(start, trl + 1))
    span = max((ctx.now - created_at).days, 1)
    days = sorted(ctx.rng.sample(range(span), min(len(levels) - 1, span))) if len(levels) > 1 else []
    dates = [created_at.date()] + [(created_at + timedelta(days=d)).date() for d in days]
    rows = []
    for level, effective in zip(levels, dates, strict=False):
        rows.append(
            {
                "id": uuid.uuid4(),
                "startup_id": startup_id,
                "trl": level,
                "effective_date": effective,
                "note": ctx.rng.choice(TRL_NOTES),
                "recorded_by_id": by,
                "recorded_at": datetime.combine(effective, created_at.timetz()),
            }
        )
    return rows


def _estimate(n: int) -> int:
    # Per startup: ~3.2 people x 2 rows, 1 startup, ~3.2 members, ~2.5 TRL entries, 1 audit event.
    return int(n * 14.1)


@register("startups", order=20, estimate=_estimate)
def startups(ctx: Context) -> None:
    generated: list[GeneratedStartup] = []
    demo_founder = ctx.shared.get("demo_users", {}).get("founder@demo.example.org")
    chunk = _Chunk()
    serial = 0
    oldest = ctx.now - timedelta(days=8 * 365)
    used: set[str] = set()
    for index in range(ctx.startups):
        startup_id = uuid.uuid4()
        sector: Sector = weighted(ctx.rng, SECTORS)
        name = _name(ctx, sector, used)
        stage: Stage = weighted(ctx.rng, STAGES)
        trl = ctx.rng.randint(*STAGE_TRL[stage])
        # More companies joined recently than years ago: the programme has grown.
        created_at = oldest + (ctx.now - oldest) * (ctx.rng.random() ** 0.6)
        founded = (created_at - timedelta(days=ctx.rng.randint(0, 3 * 365))).date()
        status = _status(ctx, created_at)
        slug = name.lower().replace(" ", "")
        founders: list[tuple[uuid.UUID, str]] = []
        members: list[tuple[uuid.UUID, datetime]] = []
        for _ in range(weighted(ctx.rng, FOUNDERS_PER_STARTUP)):
            serial += 1
            founders.append(_person(ctx, chunk, slug=slug, serial=serial, joined_at=created_at))
        if index == 0 and demo_founder is not None:
            # The demo founder leads the first startup, so the founder's dashboard and pages have content.
            founders[0] = (demo_founder, "founder@demo.example.org")
            chunk.users.pop(0)
            chunk.roles.pop(0)
        for _ in range(weighted(ctx.rng, MEMBERS_PER_STARTUP)):
            serial += 1
            joined = created_at + timedelta(days=ctx.rng.randint(0, max((ctx.now - created_at).days, 0)))
            members.append((_person(ctx, chunk, slug=slug, serial=serial, joined_at=joined)[0], joined))
        founder_ids = [uid for uid, _ in founders]
        member_ids = [uid for uid, _ in members]
        chunk.startups.append(
            {
                "id": startup_id,
                "name": name,
                "legal_name": f"{name} Ltd" if ctx.rng.random() < 0.8 else None,
                "sector": sector,
                "description": DESCRIPTIONS[sector].format(thing=ctx.rng.choice(THINGS)),
                "website": f"https://{slug}.example.com" if ctx.rng.random() < 0.85 else None,
                "founded_date": min(founded, date.today()),
                "stage": stage,
                "trl": trl,
                "biosafety_level": _biosafety(ctx, sector),
                "status": status,
                "billing_email": f"accounts@{slug}.example.com",
                "billing_address": f"{ctx.rng.randint(1, 400)} Science Park Road, Cambridge, United Kingdom",
                "tax_id": f"GB{ctx.rng.randint(100000000, 999999999)}" if ctx.rng.random() < 0.5 else None,
                "created_at": created_at,
                "updated_at": created_at + (ctx.now - created_at) * ctx.rng.random(),
            }
        )
        chunk.members.extend(
            {"startup_id": startup_id, "user_id": uid, "role": MemberRole.founder, "joined_at": created_at}
            for uid in founder_ids
        )
        chunk.members.extend(
            {"startup_id": startup_id, "user_id": uid, "role": MemberRole.member, "joined_at": joined}
            for uid, joined in members
        )
        chunk.trl.extend(_trl_history(ctx, startup_id, trl, created_at, founder_ids[0]))
        chunk.audit.append(
            {
                "id": uuid.uuid4(),
                "occurred_at": created_at,
                "actor_id": founder_ids[0],
                "actor_label": founders[0][1],
                "action": "startup.create",
                "object_type": "startup",
                "object_id": str(startup_id),
                "summary": name,
                "before": None,
                "after": None,
                "ip_address": None,
                "request_id": None,
            }
        )
        generated.append(
            GeneratedStartup(
                startup_id, name, sector, stage, trl, status, created_at, tuple(founder_ids), tuple(member_ids)
            )
        )
        if len(chunk.startups) >= CHUNK:
            chunk.write(ctx)
            chunk = _Chunk()
    chunk.write(ctx)
    ctx.shared["startups"] = generated
