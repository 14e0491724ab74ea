"""Input and output models of the facilities package."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from facilities.models import (
    AllowanceKind,
    BookingStatus,
    ChargeCategory,
    OrderStatus,
    PlanTier,
    ResourceCategory,
    ServiceCategory,
    ServiceUnit,
    SpaceKind,
)
from incubator.money import SUPPORTED_CURRENCIES
from startups.models import BiosafetyLevel

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Money = Annotated[int, Field(ge=0, le=10**12, description="Amount in minor units (cents, pence, fen)")]
Rate = Annotated[Decimal, Field(ge=0, le=1, max_digits=6, decimal_places=4)]


def _check_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("Unknown time zone; use a name such as Europe/London or Asia/Shanghai.") from exc
    return value


def _check_currency(value: str) -> str:
    if value.upper() not in SUPPORTED_CURRENCIES:
        raise ValueError(f"Currency must be one of {', '.join(SUPPORTED_CURRENCIES)}.")
    return value.upper()


def _check_instant(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("Give the time with its offset, e.g. 2026-11-10T09:00:00+00:00.")
    if not 2000 <= value.year <= 2200:
        raise ValueError("Give a time between the years 2000 and 2200.")
    return value


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- Sites ---------------------------------------------------------------------------------------------------------


class SiteCreate(_In):
    name: Name
    code: Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z0-9]{2,12}$")]
    address: Text = ""
    timezone: str = "UTC"
    currency: str = "USD"
    legal_name: Text = ""
    legal_address: Text = ""
    tax_id: Annotated[str, StringConstraints(max_length=60)] = ""

    _zone = field_validator("timezone")(_check_zone)
    _currency = field_validator("currency")(_check_currency)


class SitePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    code: str
    address: str
    timezone: str
    currency: str
    legal_name: str
    is_active: bool


class TaxRateCreate(_In):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)] = "VAT"
    rate: Rate
    effective_date: date


class TaxRatePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    site_id: uuid.UUID
    name: str
    rate: Decimal
    effective_date: date


# --- Spaces and resources ------------------------------------------------------------------------------------------


class SpaceCreate(_In):
    site_id: uuid.UUID
    name: Name
    kind: SpaceKind
    biosafety_level: BiosafetyLevel = BiosafetyLevel.none
    area_m2: Annotated[Decimal, Field(ge=0, le=1_000_000, decimal_places=2)] = Decimal(0)
    capacity: Annotated[int, Field(ge=1, le=10_000)] = 1
    monthly_price_minor: Money = 0


class SpacePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    site_id: uuid.UUID
    name: str
    kind: SpaceKind
    biosafety_level: BiosafetyLevel
    area_m2: Decimal
    capacity: int
    monthly_price_minor: int


class ResourceRules(_In):
    hourly_rate_minor: Money = 0
    min_minutes: Annotated[int, Field(ge=5, le=60 * 24 * 14)] = 60
    max_minutes: Annotated[int, Field(ge=5, le=60 * 24 * 14)] = 8 * 60
    increment_minutes: Annotated[int, Field(ge=5, le=60 * 24)] = 30
    max_days_ahead: Annotated[int, Field(ge=0, le=730)] = 30
    buffer_minutes: Annotated[int, Field(ge=0, le=60 * 24 * 7)] = 0
    cancel_cutoff_hours: Annotated[int, Field(ge=0, le=24 * 60)] = 24
    late_cancel_fee_minor: Money = 0
    requires_training: bool = True
    biosafety_level: BiosafetyLevel = BiosafetyLevel.none

    @model_validator(mode="after")
    def _lengths(self) -> ResourceRules:
        if self.max_minutes < self.min_minutes:
            raise ValueError("The maximum booking length must be at least the minimum.")
        return self


class ResourceCreate(ResourceRules):
    site_id: uuid.UUID
    name: Name
    category: ResourceCategory
    description: Text = ""
    volume_litres: Annotated[Decimal, Field(ge=0, le=10_000_000, decimal_places=2)] | None = None


class ResourceUpdate(_In):
    """Any subset; a rate change applies to new bookings only (confirmed ones keep their frozen price)."""

    name: Name | None = None
    description: Text | None = None
    hourly_rate_minor: Money | None = None
    min_minutes: Annotated[int, Field(ge=5, le=60 * 24 * 14)] | None = None
    max_minutes: Annotated[int, Field(ge=5, le=60 * 24 * 14)] | None = None
    increment_minutes: Annotated[int, Field(ge=5, le=60 * 24)] | None = None
    max_days_ahead: Annotated[int, Field(ge=0, le=730)] | None = None
    buffer_minutes: Annotated[int, Field(ge=0, le=60 * 24 * 7)] | None = None
    cancel_cutoff_hours: Annotated[int, Field(ge=0, le=24 * 60)] | None = None
    late_cancel_fee_minor: Money | None = None
    requires_training: bool | None = None
    is_active: bool | None = None


class ResourcePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    site_id: uuid.UUID
    name: str
    category: ResourceCategory
    description: str
    volume_litres: Decimal | None
    hourly_rate_minor: int
    min_minutes: int
    max_minutes: int
    increment_minutes: int
    max_days_ahead: int
    buffer_minutes: int
    cancel_cutoff_hours: int
    late_cancel_fee_minor: int
    requires_training: bool
    biosafety_level: BiosafetyLevel
    is_active: bool


class DirectoryEntry(BaseModel):
    resource: ResourcePublic
    site_name: str
    currency: str
    timezone: str
    free_minutes: int | None = Field(default=None, description="Minutes free in the chosen week, if one was given")


class MaintenanceCreate(_In):
    start_at: datetime
    end_at: datetime

    _aware = field_validator("start_at", "end_at")(lambda v: _check_instant(v))
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)] = "Maintenance"


class MaintenancePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    resource_id: uuid.UUID
    start_at: datetime
    end_at: datetime
    reason: str


class BusySlot(BaseModel):
    start_at: datetime
    end_at: datetime
    kind: Literal["booking", "buffer", "maintenance"]
    label: str
    mine: bool = False


class Availability(BaseModel):
    resource_id: uuid.UUID
    timezone: str
    week: str = Field(description="ISO week, e.g. 2026-W48")
    week_start: datetime
    week_end: datetime
    busy: list[BusySlot]
    free_minutes: int


# --- Services and plans --------------------------------------------------------------------------------------------


class ServiceCreate(_In):
    site_id: uuid.UUID
    name: Name
    description: Text = ""
    category: ServiceCategory = ServiceCategory.analytical
    unit: ServiceUnit = ServiceUnit.fixed
    unit_price_minor: Money = 0
    needs_quote: bool = False


class ServicePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    site_id: uuid.UUID
    name: str
    description: str
    category: ServiceCategory
    unit: ServiceUnit
    unit_price_minor: int
    needs_quote: bool


class PlanCreate(_In):
    site_id: uuid.UUID
    name: Name
    tier: PlanTier
    monthly_fee_minor: Money = 0
    included_minutes: Annotated[int, Field(ge=0, le=60 * 24 * 31)] = 0
    discount_rate: Rate = Decimal(0)
    booking_days_ahead: Annotated[int, Field(ge=0, le=730)] = 30
    included_service_ids: list[uuid.UUID] = []


class PlanPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    site_id: uuid.UUID
    name: str
    tier: PlanTier
    monthly_fee_minor: int
    included_minutes: int
    discount_rate: Decimal
    booking_days_ahead: int


class MembershipCreate(_In):
    startup_id: uuid.UUID
    plan_id: uuid.UUID
    start_date: date
    end_date: date | None = None


class MembershipPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    startup_id: uuid.UUID
    site_id: uuid.UUID
    plan_id: uuid.UUID
    start_date: date
    end_date: date | None
    monthly_fee_minor: int


class LeaseCreate(_In):
    startup_id: uuid.UUID
    space_id: uuid.UUID
    start_date: date
    end_date: date | None = None
    monthly_price_minor: Money | None = Field(default=None, description="Defaults to the space's list price")


class LeasePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    startup_id: uuid.UUID
    space_id: uuid.UUID
    site_id: uuid.UUID
    start_date: date
    end_date: date | None
    monthly_price_minor: int


class TrainingCreate(_In):
    user_id: uuid.UUID
    resource_id: uuid.UUID
    qualified_date: date
    expires_date: date | None = None


class TrainingPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    user_id: uuid.UUID
    resource_id: uuid.UUID
    qualified_date: date
    expires_date: date | None


class ClearanceCreate(_In):
    startup_id: uuid.UUID
    level: BiosafetyLevel
    granted_date: date
    expires_date: date


class ClearancePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    startup_id: uuid.UUID
    level: BiosafetyLevel
    granted_date: date
    expires_date: date


# --- Bookings ------------------------------------------------------------------------------------------------------


class BookingCreate(_In):
    resource_id: uuid.UUID
    startup_id: uuid.UUID | None = Field(default=None, description="Needed when you belong to several startups")
    start_at: datetime
    end_at: datetime
    purpose: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] = ""

    _aware = field_validator("start_at", "end_at")(lambda v: _check_instant(v))


class BookingForm(BaseModel):
    """The booking form on a resource's calendar: a day, a start time and a length, in the site's time zone."""

    model_config = ConfigDict(extra="ignore")

    day: date
    start_time: Annotated[str, StringConstraints(pattern=r"^\d{1,2}:\d{2}$")]
    hours: Annotated[Decimal, Field(gt=0, le=24 * 14)]
    startup_id: uuid.UUID | None = None
    purpose: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] = ""


class BookingPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    resource_id: uuid.UUID
    site_id: uuid.UUID
    startup_id: uuid.UUID
    user_id: uuid.UUID
    start_at: datetime
    end_at: datetime
    blocked_until: datetime
    status: BookingStatus
    purpose: str
    minutes: int
    included_minutes: int
    billable_minutes: int
    hourly_rate_minor: int
    amount_minor: int
    discount_rate: Decimal
    currency: str
    confirmed_at: datetime
    cancelled_at: datetime | None
    late_fee_minor: int


class RepriceBody(_In):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


# --- Orders --------------------------------------------------------------------------------------------------------


class OrderCreate(_In):
    service_id: uuid.UUID
    startup_id: uuid.UUID | None = None
    site_id: uuid.UUID | None = Field(default=None, description="The site you order at; must offer the service")
    quantity: Annotated[Decimal, Field(gt=0, le=100_000, decimal_places=4)] = Decimal(1)
    notes: Text = ""


class OrderForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    quantity: Annotated[Decimal, Field(gt=0, le=100_000, decimal_places=4)] = Decimal(1)
    startup_id: uuid.UUID | None = None
    notes: Text = ""


class QuoteBody(_In):
    amount_minor: Money
    note: Text = ""


class QuoteForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    amount: Annotated[Decimal, Field(ge=0, le=10**10, decimal_places=2)]
    note: Text = ""


class PassThroughCreate(_In):
    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    cost_minor: Money
    margin_rate: Annotated[Decimal, Field(ge=0, le=10, decimal_places=4)] = Decimal(0)


class PassThroughPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    order_id: uuid.UUID
    description: str
    cost_minor: int
    margin_rate: Decimal
    amount_minor: int


class OrderPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    service_id: uuid.UUID
    site_id: uuid.UUID
    startup_id: uuid.UUID
    status: OrderStatus
    quantity: Decimal
    notes: str
    unit_price_minor: int
    amount_minor: int
    discount_rate: Decimal
    currency: str
    quote_note: str
    created_at: datetime
    delivered_at: datetime | None


# --- Charges and allowance ----------------------------------------------------------------------------------------


class ChargePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    site_id: uuid.UUID
    startup_id: uuid.UUID
    category: ChargeCategory
    description: str
    source_type: str
    source_ref: str
    service_date: date
    period_start: date | None
    period_end: date | None
    quantity: Decimal
    unit_amount_minor: int
    amount_minor: int
    currency: str
    discount_rate: Decimal
    voided_at: datetime | None


class ChargeRun(_In):
    site_code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=12)]
    period: Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}$")] = Field(description="YYYY-MM")


class ChargeRunForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    site_code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=12)]
    period: Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}$")]


class ChargeRunOut(BaseModel):
    site_code: str
    period: str
    created: int
    existing: int


class AllowancePublic(BaseModel):
    startup_id: uuid.UUID
    site_id: uuid.UUID
    site_name: str
    month: date
    plan_name: str | None
    granted_minutes: int
    left_minutes: int


class AllowanceEntryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: AllowanceKind
    minutes: int
    month: date
    booking_id: uuid.UUID | None
    created_at: datetime


class CalendarLink(BaseModel):
    url: str


class TrainingForm(BaseModel):
    """Staff record training by the person's e-mail."""

    model_config = ConfigDict(extra="ignore")

    email: Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=3, max_length=254)]
    resource_id: uuid.UUID
    qualified_date: date
    expires_date: date | None = None


class ClearanceForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    startup_id: uuid.UUID
    level: BiosafetyLevel
    granted_date: date
    expires_date: date


# --- Catalogue forms (finance pages; amounts typed in major units) -------------------------------------------------

Major = Annotated[Decimal, Field(ge=0, le=10**10, decimal_places=2)]


class SpaceForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: Name
    kind: SpaceKind
    biosafety_level: BiosafetyLevel = BiosafetyLevel.none
    area_m2: Annotated[Decimal, Field(ge=0, le=1_000_000, decimal_places=2)] = Decimal(0)
    capacity: Annotated[int, Field(ge=1, le=10_000)] = 1
    monthly_price: Major


class ResourceForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: Name
    category: ResourceCategory
    description: Text = ""
    volume_litres: Annotated[Decimal, Field(ge=0, le=10_000_000, decimal_places=2)] | None = None
    hourly_rate: Major
    min_minutes: Annotated[int, Field(ge=5, le=60 * 24 * 14)] = 60
    max_minutes: Annotated[int, Field(ge=5, le=60 * 24 * 14)] = 8 * 60
    increment_minutes: Annotated[int, Field(ge=5, le=60 * 24)] = 30
    max_days_ahead: Annotated[int, Field(ge=0, le=730)] = 30
    buffer_minutes: Annotated[int, Field(ge=0, le=60 * 24 * 7)] = 0
    cancel_cutoff_hours: Annotated[int, Field(ge=0, le=24 * 60)] = 24
    late_cancel_fee: Major = Decimal(0)
    requires_training: bool = False
    biosafety_level: BiosafetyLevel = BiosafetyLevel.none

    @model_validator(mode="after")
    def _lengths(self) -> ResourceForm:
        if self.max_minutes < self.min_minutes:
            raise ValueError("The maximum booking length must be at least the minimum.")
        return self


class RateForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    hourly_rate: Major


class ServiceForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: Name
    description: Text = ""
    category: ServiceCategory = ServiceCategory.analytical
    unit: ServiceUnit = ServiceUnit.fixed
    unit_price: Major = Decimal(0)
    needs_quote: bool = False


class PlanForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: Name
    tier: PlanTier
    monthly_fee: Major
    included_hours: Annotated[int, Field(ge=0, le=24 * 31)] = 0
    discount_percent: Annotated[Decimal, Field(ge=0, le=100, decimal_places=2)] = Decimal(0)
    booking_days_ahead: Annotated[int, Field(ge=0, le=730)] = 30


class LeaseForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    startup_id: uuid.UUID
    space_id: uuid.UUID
    start_date: date
    end_date: date | None = None


class MembershipForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    startup_id: uuid.UUID
    plan_id: uuid.UUID
    start_date: date
    end_date: date | None = None


class MaintenanceForm(BaseModel):
    """Local date-times in the site's zone, as a browser's datetime-local field sends them."""

    model_config = ConfigDict(extra="ignore")

    resource_id: uuid.UUID
    start: datetime
    end: datetime

    @field_validator("start", "end")
    @classmethod
    def _years(cls, value: datetime) -> datetime:
        if not 2000 <= value.year <= 2200:
            raise ValueError("Give a time between the years 2000 and 2200.")
        return value

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)] = "Maintenance"


class SiteForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: Name
    code: Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z0-9]{2,12}$")]
    address: Text = ""
    timezone: str = "UTC"
    currency: str = "USD"
    legal_name: Text = ""

    _zone = field_validator("timezone")(_check_zone)
    _currency = field_validator("currency")(_check_currency)


class EndBody(_In):
    end_date: date = Field(description="Exclusive: the first day no longer covered")


class EndForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    end_date: date


class OccupancyOut(BaseModel):
    site: str
    kind: str
    leased_days: int
    available_days: int
    share: float


class UtilisationOut(BaseModel):
    site: str
    resource: str
    booked_minutes: int
    bookable_minutes: int
    share: float


class ChargeTotalOut(BaseModel):
    site: str
    currency: str
    category: str
    amount_minor: int


class FacilityReport(BaseModel):
    period: str
    occupancy: list[OccupancyOut]
    utilisation: list[UtilisationOut]
    charges: list[ChargeTotalOut]
