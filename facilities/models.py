"""Site + resources + services: sites, spaces, equipment, services, plans, memberships, leases, training,
bookings, service orders, the allowance ledger and the charges (the contract with billing)."""

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlmodel import Field, SQLModel

from incubator.db import enum_type, instant, uuid_pk
from startups.models import BiosafetyLevel


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


# --- Catalogue ---------------------------------------------------------------------------------------------------


class SpaceKind(enum.StrEnum):
    desk = "desk"
    private_office = "private_office"
    lab_bench = "lab_bench"
    lab_suite = "lab_suite"
    pilot_plant_bay = "pilot_plant_bay"
    cold_storage = "cold_storage"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Space(SQLModel, table=True):
    """Rentable space: a desk, an office, a lab bench or suite, a pilot-plant bay, cold storage."""

    __tablename__ = "space"
    __table_args__ = (
        sa.CheckConstraint("monthly_price_minor >= 0", name="price_not_negative"),
        sa.CheckConstraint("capacity >= 1", name="capacity_positive"),
    )

    id: uuid.UUID = uuid_pk()
    site_id: uuid.UUID = Field(foreign_key="site.id", index=True, ondelete="RESTRICT")
    name: str = Field(max_length=120)
    kind: SpaceKind = Field(sa_type=enum_type(SpaceKind, "space_kind"))
    biosafety_level: BiosafetyLevel = Field(
        default=BiosafetyLevel.none, sa_type=enum_type(BiosafetyLevel, "biosafety_level")
    )
    area_m2: Decimal = Field(default=Decimal(0), sa_type=sa.Numeric(10, 2))
    capacity: int = 1
    monthly_price_minor: int = 0
    is_active: bool = True
    created_at: datetime = instant(default_now=True)


class ResourceCategory(enum.StrEnum):
    fermenter = "fermenter"
    bioreactor = "bioreactor"
    chromatography = "chromatography"
    mass_spectrometry = "mass_spectrometry"
    sequencing = "sequencing"
    microscopy = "microscopy"
    centrifuge = "centrifuge"
    other = "other"

    @property
    def label(self) -> str:
        return {"chromatography": "Chromatography (HPLC)", "mass_spectrometry": "Mass spectrometry"}.get(
            self.value, self.value.replace("_", " ").capitalize()
        )


class Resource(SQLModel, table=True):
    """A piece of shared equipment booked by the hour, with the rules its bookings must follow."""

    __tablename__ = "resource"
    __table_args__ = (
        sa.CheckConstraint("hourly_rate_minor >= 0", name="rate_not_negative"),
        sa.CheckConstraint("late_cancel_fee_minor >= 0", name="fee_not_negative"),
        sa.CheckConstraint(
            "increment_minutes > 0 AND min_minutes > 0 AND max_minutes >= min_minutes", name="lengths_valid"
        ),
        sa.CheckConstraint("buffer_minutes >= 0 AND max_days_ahead >= 0", name="buffer_ahead_valid"),
    )

    id: uuid.UUID = uuid_pk()
    site_id: uuid.UUID = Field(foreign_key="site.id", index=True, ondelete="RESTRICT")
    name: str = Field(max_length=120)
    category: ResourceCategory = Field(sa_type=enum_type(ResourceCategory, "resource_category"), index=True)
    description: str = Field(default="", max_length=2000)
    volume_litres: Decimal | None = Field(default=None, sa_type=sa.Numeric(12, 2))
    hourly_rate_minor: int = 0
    min_minutes: int = 60
    max_minutes: int = 8 * 60
    increment_minutes: int = 30
    max_days_ahead: int = 30
    buffer_minutes: int = Field(default=0, description="Cleaning and turnaround time blocked after each booking")
    cancel_cutoff_hours: int = 24
    late_cancel_fee_minor: int = 0
    requires_training: bool = True
    biosafety_level: BiosafetyLevel = Field(
        default=BiosafetyLevel.none, sa_type=enum_type(BiosafetyLevel, "biosafety_level")
    )
    is_active: bool = True
    created_at: datetime = instant(default_now=True)


class MaintenanceBlock(SQLModel, table=True):
    """A period [start, end) when a resource cannot be booked."""

    __tablename__ = "maintenance_block"
    __table_args__ = (sa.CheckConstraint("end_at > start_at", name="period_valid"),)

    id: uuid.UUID = uuid_pk()
    resource_id: uuid.UUID = Field(foreign_key="resource.id", index=True, ondelete="CASCADE")
    start_at: datetime = instant()
    end_at: datetime = instant()
    reason: str = Field(default="Maintenance", max_length=300)
    created_at: datetime = instant(default_now=True)


class ServiceUnit(enum.StrEnum):
    per_sample = "per_sample"
    per_hour = "per_hour"
    fixed = "fixed"

    @property
    def label(self) -> str:
        return {"per_sample": "per sample", "per_hour": "per hour", "fixed": "fixed price"}[self.value]


class ServiceCategory(enum.StrEnum):
    analytical = "analytical"
    certification = "certification"
    ip_legal = "ip_legal"
    business = "business"
    other = "other"

    @property
    def label(self) -> str:
        return {"ip_legal": "IP and legal"}.get(self.value, self.value.capitalize())


class Service(SQLModel, table=True):
    """A catalogue service a startup orders: analytical testing, certification, IP or legal advice."""

    __tablename__ = "facility_service"
    __table_args__ = (sa.CheckConstraint("unit_price_minor >= 0", name="price_not_negative"),)

    id: uuid.UUID = uuid_pk()
    site_id: uuid.UUID = Field(foreign_key="site.id", index=True, ondelete="RESTRICT")
    name: str = Field(max_length=160)
    description: str = Field(default="", max_length=2000)
    category: ServiceCategory = Field(
        default=ServiceCategory.analytical, sa_type=enum_type(ServiceCategory, "service_category")
    )
    unit: ServiceUnit = Field(default=ServiceUnit.fixed, sa_type=enum_type(ServiceUnit, "service_unit"))
    unit_price_minor: int = 0
    needs_quote: bool = False
    is_active: bool = True
    created_at: datetime = instant(default_now=True)


class PlanTier(enum.StrEnum):
    gold = "gold"
    silver = "silver"
    bronze = "bronze"


class Plan(SQLModel, table=True):
    """A membership tier of one site: its monthly fee, included equipment hours and discount."""

    __tablename__ = "plan"
    __table_args__ = (
        sa.UniqueConstraint("site_id", "tier"),
        sa.CheckConstraint("monthly_fee_minor >= 0 AND included_minutes >= 0", name="amounts_not_negative"),
        sa.CheckConstraint("discount_rate >= 0 AND discount_rate <= 1", name="discount_range"),
    )

    id: uuid.UUID = uuid_pk()
    site_id: uuid.UUID = Field(foreign_key="site.id", index=True, ondelete="RESTRICT")
    name: str = Field(max_length=80)
    tier: PlanTier = Field(sa_type=enum_type(PlanTier, "plan_tier"))
    monthly_fee_minor: int = 0
    included_minutes: int = Field(default=0, description="Equipment time included each month")
    discount_rate: Decimal = Field(default=Decimal(0), sa_type=sa.Numeric(6, 4))
    booking_days_ahead: int = Field(default=30, description="How far ahead members may book")
    is_active: bool = True
    created_at: datetime = instant(default_now=True)


class PlanService(SQLModel, table=True):
    """A service included in a plan: its orders are charged at list price with a 100 % discount."""

    __tablename__ = "plan_service"

    plan_id: uuid.UUID = Field(foreign_key="plan.id", primary_key=True, ondelete="CASCADE")
    service_id: uuid.UUID = Field(foreign_key="facility_service.id", primary_key=True, ondelete="CASCADE")


# --- Occupancy ---------------------------------------------------------------------------------------------------


class Membership(SQLModel, table=True):
    """A startup on a plan at a site for [start_date, end_date) (end open when None); dates in the site's zone."""

    __tablename__ = "membership"
    __table_args__ = (
        sa.Index("ix_membership_startup_site", "startup_id", "site_id"),
        sa.CheckConstraint("end_date IS NULL OR end_date > start_date", name="period_valid"),
    )

    id: uuid.UUID = uuid_pk()
    startup_id: uuid.UUID = Field(foreign_key="startup.id", ondelete="RESTRICT")
    site_id: uuid.UUID = Field(foreign_key="site.id", ondelete="RESTRICT")
    plan_id: uuid.UUID = Field(foreign_key="plan.id", index=True, ondelete="RESTRICT")
    start_date: date
    end_date: date | None = None
    monthly_fee_minor: int = Field(description="The plan's fee when the membership was made")
    created_at: datetime = instant(default_now=True)
    cancelled_at: datetime | None = instant(nullable=True)


class Lease(SQLModel, table=True):
    """A startup renting a space for [start_date, end_date) at a monthly price frozen when the lease is made."""

    __tablename__ = "lease"
    __table_args__ = (
        sa.CheckConstraint("end_date IS NULL OR end_date > start_date", name="period_valid"),
        sa.CheckConstraint("monthly_price_minor >= 0", name="price_not_negative"),
    )

    id: uuid.UUID = uuid_pk()
    startup_id: uuid.UUID = Field(foreign_key="startup.id", index=True, ondelete="RESTRICT")
    space_id: uuid.UUID = Field(foreign_key="space.id", index=True, ondelete="RESTRICT")
    site_id: uuid.UUID = Field(foreign_key="site.id", ondelete="RESTRICT")
    start_date: date
    end_date: date | None = None
    monthly_price_minor: int
    created_at: datetime = instant(default_now=True)
    cancelled_at: datetime | None = instant(nullable=True)


class Training(SQLModel, table=True):
    """A user is qualified on a resource from `qualified_date` until `expires_date` (exclusive; None = no expiry)."""

    __tablename__ = "training"

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    resource_id: uuid.UUID = Field(foreign_key="resource.id", index=True, ondelete="CASCADE")
    qualified_date: date
    expires_date: date | None = None
    recorded_by_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    created_at: datetime = instant(default_now=True)


class BiosafetyClearance(SQLModel, table=True):
    """A startup is cleared to work at a biosafety level until `expires_date` (exclusive)."""

    __tablename__ = "biosafety_clearance"

    id: uuid.UUID = uuid_pk()
    startup_id: uuid.UUID = Field(foreign_key="startup.id", index=True, ondelete="CASCADE")
    level: BiosafetyLevel = Field(sa_type=enum_type(BiosafetyLevel, "biosafety_level"))
    granted_date: date
    expires_date: date
    recorded_by_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    created_at: datetime = instant(default_now=True)


class BookingStatus(enum.StrEnum):
    confirmed = "confirmed"
    cancelled = "cancelled"


class Booking(SQLModel, table=True):
    """A startup's slot [start_at, end_at) on a resource; [start_at, blocked_until) also covers the cleaning buffer.

    The price is frozen at confirmation: the minutes taken from the plan's allowance, the rest at the hourly rate
    of that moment, and the plan's discount. On PostgreSQL an exclusion constraint forbids two confirmed bookings
    whose blocked intervals overlap; on SQLite the service checks inside a serialised write.
    """

    __tablename__ = "booking"
    __table_args__ = (
        sa.Index("ix_booking_resource_start", "resource_id", "start_at"),
        sa.Index("ix_booking_startup_start", "startup_id", "start_at"),
        sa.CheckConstraint("end_at > start_at AND blocked_until >= end_at", name="period_valid"),
        ExcludeConstraint(
            (sa.column("resource_id"), "="),
            (sa.text("tstzrange(start_at, blocked_until, '[)')"), "&&"),
            where=sa.text("status = 'confirmed'"),
            using="gist",
            name="ex_booking_no_overlap",
        ).ddl_if(dialect="postgresql"),
    )

    id: uuid.UUID = uuid_pk()
    resource_id: uuid.UUID = Field(foreign_key="resource.id", ondelete="RESTRICT")
    site_id: uuid.UUID = Field(foreign_key="site.id", ondelete="RESTRICT")
    startup_id: uuid.UUID = Field(foreign_key="startup.id", ondelete="RESTRICT")
    user_id: uuid.UUID = Field(foreign_key="user_account.id", index=True, ondelete="RESTRICT")
    start_at: datetime = instant()
    end_at: datetime = instant()
    blocked_until: datetime = instant()
    service_date: date = Field(description="The start's date in the site's time zone: the month it belongs to")
    status: BookingStatus = Field(default=BookingStatus.confirmed, sa_type=enum_type(BookingStatus, "booking_status"))
    purpose: str = Field(default="", max_length=300)
    minutes: int
    included_minutes: int = 0
    billable_minutes: int = 0
    hourly_rate_minor: int = 0
    amount_minor: int = 0
    discount_rate: Decimal = Field(default=Decimal(0), sa_type=sa.Numeric(6, 4))
    currency: str = Field(min_length=3, max_length=3)
    confirmed_at: datetime = instant(default_now=True)
    cancelled_at: datetime | None = instant(nullable=True)
    cancelled_by_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id", ondelete="SET NULL")
    late_fee_minor: int = 0


class AllowanceKind(enum.StrEnum):
    grant = "grant"
    consume = "consume"
    restore = "restore"


class AllowanceEntry(SQLModel, table=True):
    """Append-only ledger of included equipment minutes: granted per month, consumed on confirmation, restored on
    cancellation. The balance of a month is the sum of its rows; a month's minutes are valid only in that month.
    `entry_key` makes every entry happen once (a grant per membership and month, one consume and one restore per
    booking)."""

    __tablename__ = "allowance_entry"
    __table_args__ = (sa.Index("ix_allowance_entry_startup_month", "startup_id", "site_id", "month"),)

    id: uuid.UUID = uuid_pk()
    startup_id: uuid.UUID = Field(foreign_key="startup.id", ondelete="RESTRICT")
    site_id: uuid.UUID = Field(foreign_key="site.id", ondelete="RESTRICT")
    membership_id: uuid.UUID | None = Field(default=None, foreign_key="membership.id", ondelete="RESTRICT")
    booking_id: uuid.UUID | None = Field(default=None, foreign_key="booking.id", ondelete="RESTRICT")
    month: date = Field(description="First day of the month the minutes belong to")
    kind: AllowanceKind = Field(sa_type=enum_type(AllowanceKind, "allowance_kind"))
    minutes: int = Field(description="Positive for grants and restores, negative for consumption")
    entry_key: str = Field(max_length=120, unique=True)
    created_at: datetime = instant(default_now=True)


class OrderStatus(enum.StrEnum):
    requested = "requested"
    quoted = "quoted"
    accepted = "accepted"
    in_progress = "in_progress"
    delivered = "delivered"
    cancelled = "cancelled"


class ServiceOrder(SQLModel, table=True):
    """A startup's order of a catalogue service. Services that need a quote go requested -> quoted -> accepted;
    the others start right away; then in progress -> delivered (charged), or cancelled."""

    __tablename__ = "service_order"
    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("unit_price_minor >= 0", name="price_not_negative"),
    )

    id: uuid.UUID = uuid_pk()
    service_id: uuid.UUID = Field(foreign_key="facility_service.id", index=True, ondelete="RESTRICT")
    site_id: uuid.UUID = Field(foreign_key="site.id", ondelete="RESTRICT")
    startup_id: uuid.UUID = Field(foreign_key="startup.id", index=True, ondelete="RESTRICT")
    requested_by_id: uuid.UUID = Field(foreign_key="user_account.id", ondelete="RESTRICT")
    status: OrderStatus = Field(default=OrderStatus.requested, sa_type=enum_type(OrderStatus, "order_status"))
    quantity: Decimal = Field(default=Decimal(1), sa_type=sa.Numeric(12, 4))
    notes: str = Field(default="", max_length=2000)
    unit_price_minor: int = Field(description="List price per unit, from the catalogue or the accepted quote")
    amount_minor: int = 0
    discount_rate: Decimal = Field(default=Decimal(0), sa_type=sa.Numeric(6, 4))
    currency: str = Field(min_length=3, max_length=3)
    quote_note: str = Field(default="", max_length=2000)
    created_at: datetime = instant(default_now=True)
    quoted_at: datetime | None = instant(nullable=True)
    accepted_at: datetime | None = instant(nullable=True)
    started_at: datetime | None = instant(nullable=True)
    delivered_at: datetime | None = instant(nullable=True)
    delivered_date: date | None = Field(default=None, description="Delivery day in the site's time zone")
    cancelled_at: datetime | None = instant(nullable=True)


class PassThroughCost(SQLModel, table=True):
    """An outside bill passed on to the startup at cost plus a margin (charged when the order is delivered)."""

    __tablename__ = "pass_through_cost"
    __table_args__ = (
        sa.CheckConstraint("cost_minor >= 0", name="cost_not_negative"),
        sa.CheckConstraint("margin_rate >= 0", name="margin_not_negative"),
    )

    id: uuid.UUID = uuid_pk()
    order_id: uuid.UUID = Field(foreign_key="service_order.id", index=True, ondelete="RESTRICT")
    description: str = Field(max_length=300)
    cost_minor: int
    margin_rate: Decimal = Field(default=Decimal(0), sa_type=sa.Numeric(6, 4))
    amount_minor: int
    created_at: datetime = instant(default_now=True)


class CalendarFeed(SQLModel, table=True):
    """The secret behind a user's iCalendar feed URL; rotating it makes the old URL stop working."""

    __tablename__ = "calendar_feed"

    user_id: uuid.UUID = Field(foreign_key="user_account.id", primary_key=True, ondelete="CASCADE")
    # Kept readable (not hashed) so the owner can copy the URL again; it grants read access to one calendar only.
    token: str = Field(max_length=64, unique=True)
    created_at: datetime = instant(default_now=True)
