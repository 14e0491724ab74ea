"""Demo startups: about twenty plausible biomanufacturing and synthetic-biology companies."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from incubator.models import Role
from incubator.repository import UserRepository
from incubator.service import create_user
from startups.models import BiosafetyLevel, MemberRole, Sector, Stage, Startup, StartupMember, TrlEntry

# name, sector, stage, TRL, biosafety, founded, description
STARTUPS = [
    (
        "Fermentis Labs",
        Sector.biomanufacturing,
        Stage.seed,
        5,
        BiosafetyLevel.bsl1,
        2023,
        "Precision fermentation of dairy proteins at 20 g/L titres.",
    ),
    (
        "HelixForge",
        Sector.synthetic_biology,
        Stage.pre_seed,
        3,
        BiosafetyLevel.bsl2,
        2024,
        "Cell-free DNA assembly for long constructs.",
    ),
    (
        "Mycelia Materials",
        Sector.materials,
        Stage.seed,
        6,
        BiosafetyLevel.bsl1,
        2022,
        "Mycelium leather grown on agricultural side streams.",
    ),
    (
        "Verdant Enzymes",
        Sector.chemicals,
        Stage.series_a,
        7,
        BiosafetyLevel.bsl1,
        2020,
        "Thermostable enzymes for textile recycling.",
    ),
    (
        "Nitrofix Bio",
        Sector.food_and_agriculture,
        Stage.seed,
        4,
        BiosafetyLevel.bsl1,
        2023,
        "Engineered soil microbes that fix nitrogen for cereals.",
    ),
    (
        "Oncolytic Circuits",
        Sector.therapeutics,
        Stage.pre_seed,
        2,
        BiosafetyLevel.bsl2,
        2025,
        "Logic-gated viral vectors for solid tumours.",
    ),
    (
        "SpiderSilk Works",
        Sector.materials,
        Stage.seed,
        5,
        BiosafetyLevel.bsl1,
        2021,
        "Recombinant silk fibres from yeast.",
    ),
    (
        "Carbonloop",
        Sector.climate,
        Stage.pre_seed,
        3,
        BiosafetyLevel.bsl1,
        2024,
        "Gas fermentation of CO2 into platform chemicals.",
    ),
    (
        "Assay Arc",
        Sector.diagnostics,
        Stage.seed,
        6,
        BiosafetyLevel.bsl2,
        2022,
        "CRISPR-based point-of-care assays for livestock.",
    ),
    (
        "Biofab Robotics",
        Sector.tools_and_automation,
        Stage.series_a,
        7,
        BiosafetyLevel.none,
        2019,
        "Closed-loop bioreactor control software and sensors.",
    ),
    (
        "Lactica",
        Sector.food_and_agriculture,
        Stage.seed,
        5,
        BiosafetyLevel.bsl1,
        2022,
        "Human milk oligosaccharides by precision fermentation.",
    ),
    (
        "PhageGuard",
        Sector.therapeutics,
        Stage.pre_seed,
        3,
        BiosafetyLevel.bsl2,
        2024,
        "Phage cocktails against antimicrobial-resistant infections in aquaculture.",
    ),
    (
        "Algenta",
        Sector.climate,
        Stage.seed,
        4,
        BiosafetyLevel.bsl1,
        2023,
        "Microalgae omega-3 oils grown in photobioreactors.",
    ),
    (
        "Chiral Synthetics",
        Sector.chemicals,
        Stage.pre_seed,
        2,
        BiosafetyLevel.bsl1,
        2025,
        "Biocatalytic routes to chiral pharmaceutical intermediates.",
    ),
    (
        "Heme Harvest",
        Sector.food_and_agriculture,
        Stage.seed,
        6,
        BiosafetyLevel.bsl1,
        2021,
        "Plant-free heme protein for meat alternatives.",
    ),
    (
        "Sequoia Cell",
        Sector.therapeutics,
        Stage.seed,
        4,
        BiosafetyLevel.bsl2,
        2023,
        "Allogeneic CAR-NK manufacturing in closed systems.",
    ),
    (
        "Pigmentum",
        Sector.materials,
        Stage.pre_seed,
        3,
        BiosafetyLevel.bsl1,
        2024,
        "Microbial textile dyes without heavy metals.",
    ),
    (
        "Bioreactor Twin",
        Sector.tools_and_automation,
        Stage.pre_seed,
        4,
        BiosafetyLevel.none,
        2024,
        "Digital twins that predict scale-up from 5 L to 3,000 L.",
    ),
    (
        "Glycon Bio",
        Sector.biomanufacturing,
        Stage.seed,
        5,
        BiosafetyLevel.bsl1,
        2022,
        "Glycoengineered yeast for biosimilar antibodies.",
    ),
    (
        "Terra Biochar Microbes",
        Sector.climate,
        Stage.idea,
        1,
        BiosafetyLevel.none,
        2025,
        "Microbial consortia that stabilise soil carbon.",
    ),
    (
        "Lumen Biosensors",
        Sector.diagnostics,
        Stage.pre_seed,
        3,
        BiosafetyLevel.bsl1,
        2024,
        "Whole-cell biosensors for water quality.",
    ),
]

FOUNDERS = [
    "Amara Nwosu",
    "Chen Wei",
    "Sofia Marquez",
    "Lars Eriksen",
    "Aisha Rahman",
    "Tom Becker",
    "Yuki Tanaka",
    "Grace Mensah",
    "Omar Haddad",
    "Elena Rossi",
    "Daniel Kim",
    "Leila Farahani",
    "Jonas Weber",
    "Mei Lin",
    "Kwame Boateng",
    "Ingrid Holm",
    "Rafael Costa",
    "Hana Novak",
    "Arjun Patel",
    "Nadia Petrova",
    "Luca Bianchi",
]


def load(session: Session) -> None:
    users = UserRepository(session)
    for index, (name, sector, stage, trl, bsl, year, description) in enumerate(STARTUPS):
        startup = Startup(
            name=name,
            legal_name=f"{name} Ltd",
            sector=sector,
            stage=stage,
            trl=trl,
            biosafety_level=bsl,
            founded_date=date(year, 1 + index % 12, 1),
            description=description,
            website=f"https://{name.lower().replace(' ', '')}.example.com",
            billing_email=f"accounts@{name.lower().replace(' ', '')}.example.com",
            billing_address=f"{10 + index} Science Park Road, Cambridge CB4 0{index % 9}X, United Kingdom",
        )
        session.add(startup)
        session.flush()
        session.add(TrlEntry(startup_id=startup.id, trl=max(1, trl - 1), effective_date=date(2025, 6, 1)))
        session.add(TrlEntry(startup_id=startup.id, trl=trl, effective_date=date(2026, 3, 1), note="Pilot run"))
        if index == 0:
            founder = users.by_email("founder@demo.example.org")
        else:
            person = FOUNDERS[index % len(FOUNDERS)]
            email = f"{person.lower().replace(' ', '.')}@{name.lower().replace(' ', '')}.example.com"
            founder = users.by_email(email) or create_user(
                session, email=email, full_name=person, roles=[Role.founder], password="demo-password"
            )
        assert founder is not None
        session.add(StartupMember(startup_id=startup.id, user_id=founder.id, role=MemberRole.founder))
    session.flush()
