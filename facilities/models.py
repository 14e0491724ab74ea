"""Site + resources + services. This first cut holds the site and the charge, the contract with billing;
the facilities issue adds spaces, resources, services, plans, leases, bookings and orders."""

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from incubator.db import enum_type, instant, uuid_pk


class Site(SQLModel, table=True):
    """A campus that rents space and equipment and bills in one currency, in its own time zone."""

    __tablename__ = "site"

    id: uuid.UUID = uuid_pk()
    name: str = Field(max_length=120)
    code: str = Field(max_length=12, unique=True, description="Short code, also the invoice series prefix")
    address: str = Field(default="", max_length=500)
    timezone: str = Field(default="UTC", max_length=60)
    currency: str = Field(default="USD", min_length=3, max_length=3)
    # The incubator's legal details printed on this site's invoices.
    legal_name: str = Field(default="", max_length=200)
    legal_address: str = Field(default="", max_length=500)
    tax_id: str = Field(default="", max_length=60)
    bank_details: str = Field(default="", max_length=500)
    invoice_footer: str = Field(default="", max_length=1000)
    is_active: bool = True
    created_at: datetime = instant(default_now=True)


class TaxRate(SQLModel, table=True):
    """A site's tax rate with the date it takes effect; the rate in force on a date is the latest one before it."""

    __tablename__ = "tax_rate"
    __table_args__ = (sa.UniqueConstraint("site_id", "effective_date"),)

    id: uuid.UUID = uuid_pk()
    site_id: uuid.UUID = Field(foreign_key="site.id", index=True, ondelete="CASCADE")
    name: str = Field(default="VAT", max_length=40)
    rate: Decimal = Field(sa_type=sa.Numeric(6, 4), description="0.2000 for 20 %")
    effective_date: date


class ChargeCategory(enum.StrEnum):
    lease = "lease"
    membership = "membership"
    booking = "booking"
    late_cancellation = "late_cancellation"
    service = "service"
    pass_through = "pass_through"
    one_off = "one_off"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Charge(SQLModel, table=True):
    """One billable thing, at list price, with a unique reference to its source so it is charged exactly once.

    `discount_rate` is the membership discount that applies to it (snapshotted when the charge is made); billing
    applies it as its own step (lines -> discounts -> tax). A charge is invoiced when an invoice line points at it.
    """

    __tablename__ = "charge"
    __table_args__ = (
        sa.UniqueConstraint("source_type", "source_ref"),
        sa.Index("ix_charge_site_period", "site_id", "service_date"),
    )

    id: uuid.UUID = uuid_pk()
    site_id: uuid.UUID = Field(foreign_key="site.id", ondelete="RESTRICT")
    startup_id: uuid.UUID = Field(foreign_key="startup.id", index=True, ondelete="RESTRICT")
    category: ChargeCategory = Field(sa_type=enum_type(ChargeCategory, "charge_category"))
    description: str = Field(max_length=300)
    source_type: str = Field(max_length=40)
    source_ref: str = Field(max_length=120)
    service_date: date = Field(description="The day the charge belongs to; it decides the billing period")
    period_start: date | None = None
    period_end: date | None = Field(default=None, description="Exclusive end of the period covered, if any")
    quantity: Decimal = Field(default=Decimal(1), sa_type=sa.Numeric(12, 4))
    unit_amount_minor: int = 0
    amount_minor: int
    currency: str = Field(min_length=3, max_length=3)
    discount_rate: Decimal = Field(default=Decimal(0), sa_type=sa.Numeric(6, 4))
    created_at: datetime = instant(default_now=True)
    voided_at: datetime | None = instant(nullable=True)
