"""Startup, its members and the dated history of its technology readiness level."""

import enum
import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, Relationship, SQLModel

from incubator.db import enum_type, instant, uuid_pk
from incubator.models import User


class Sector(enum.StrEnum):
    biomanufacturing = "biomanufacturing"
    synthetic_biology = "synthetic_biology"
    food_and_agriculture = "food_and_agriculture"
    materials = "materials"
    therapeutics = "therapeutics"
    diagnostics = "diagnostics"
    chemicals = "chemicals"
    climate = "climate"
    tools_and_automation = "tools_and_automation"
    other = "other"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").replace(" and ", " & ").capitalize()


class Stage(enum.StrEnum):
    idea = "idea"
    pre_seed = "pre_seed"
    seed = "seed"
    series_a = "series_a"
    growth = "growth"

    @property
    def label(self) -> str:
        return {"idea": "Idea", "pre_seed": "Pre-seed", "seed": "Seed", "series_a": "Series A", "growth": "Growth"}[
            self.value
        ]


class BiosafetyLevel(enum.StrEnum):
    none = "none"
    bsl1 = "bsl1"
    bsl2 = "bsl2"

    @property
    def label(self) -> str:
        return {"none": "None", "bsl1": "BSL-1", "bsl2": "BSL-2"}[self.value]

    @property
    def rank(self) -> int:
        return {"none": 0, "bsl1": 1, "bsl2": 2}[self.value]


class StartupStatus(enum.StrEnum):
    active = "active"
    alumni = "alumni"
    closed = "closed"


class MemberRole(enum.StrEnum):
    founder = "founder"
    member = "member"


class Startup(SQLModel, table=True):
    __tablename__ = "startup"
    __table_args__ = (sa.CheckConstraint("trl BETWEEN 1 AND 9", name="trl_range"),)

    id: uuid.UUID = uuid_pk()
    name: str = Field(max_length=120, index=True)
    legal_name: str | None = Field(default=None, max_length=200)
    # The list pages sort and filter by name, sector, TRL and date added: each has an index (name's is above).
    sector: Sector = Field(default=Sector.biomanufacturing, sa_type=enum_type(Sector, "sector"), index=True)
    description: str = Field(default="", max_length=5000)
    website: str | None = Field(default=None, max_length=300)
    founded_date: date | None = None
    stage: Stage = Field(default=Stage.pre_seed, sa_type=enum_type(Stage, "stage"))
    trl: int = Field(default=1, index=True)
    biosafety_level: BiosafetyLevel = Field(
        default=BiosafetyLevel.none, sa_type=enum_type(BiosafetyLevel, "biosafety_level")
    )
    status: StartupStatus = Field(default=StartupStatus.active, sa_type=enum_type(StartupStatus, "startup_status"))
    # Billing details, snapshotted on invoices when they are finalised.
    billing_email: str | None = Field(default=None, max_length=254)
    billing_address: str | None = Field(default=None, max_length=500)
    tax_id: str | None = Field(default=None, max_length=60)
    created_at: datetime = instant(default_now=True, index=True)
    updated_at: datetime = instant(default_now=True)


class StartupMember(SQLModel, table=True):
    __tablename__ = "startup_member"

    startup_id: uuid.UUID = Field(foreign_key="startup.id", primary_key=True, ondelete="CASCADE")
    user_id: uuid.UUID = Field(foreign_key="user_account.id", primary_key=True, index=True, ondelete="CASCADE")
    role: MemberRole = Field(default=MemberRole.founder, sa_type=enum_type(MemberRole, "member_role"))
    joined_at: datetime = instant(default_now=True)

    user: User = Relationship(sa_relationship_kwargs={"lazy": "raise"})
    startup: Startup = Relationship(sa_relationship_kwargs={"lazy": "raise"})


class TrlEntry(SQLModel, table=True):
    """The dated history of a startup's technology readiness level: one row each time it changes."""

    __tablename__ = "startup_trl_entry"

    id: uuid.UUID = uuid_pk()
    startup_id: uuid.UUID = Field(foreign_key="startup.id", index=True, ondelete="CASCADE")
    trl: int = Field(sa_column_kwargs={})
    effective_date: date
    note: str = Field(default="", max_length=500)
    recorded_by_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    recorded_at: datetime = instant(default_now=True)
