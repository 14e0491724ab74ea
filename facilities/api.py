"""JSON API of the facilities: catalogue, directory and availability, bookings, orders, allowance and charges."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import Response
from pydantic import BaseModel

from facilities import service
from facilities.deps import (
    ApiBooking,
    ApiOrder,
    BookerApi,
    FinanceApi,
    MoneyApi,
    ResourceDep,
    SiteDep,
    StaffApi,
)
from facilities.models import BookingStatus, ChargeCategory, OrderStatus, ResourceCategory, SpaceKind
from facilities.repository import (
    BookingRepository,
    ChargeRepository,
    DirectoryFilters,
    LeaseRepository,
    MembershipRepository,
    OrderRepository,
    PlanRepository,
    QualificationRepository,
    ResourceRepository,
    ServiceRepository,
    SiteRepository,
    SpaceRepository,
    startups_of,
)
from facilities.schemas import (
    AllowancePublic,
    Availability,
    BookingCreate,
    BookingPublic,
    BusySlot,
    CalendarLink,
    ChargePublic,
    ChargeRun,
    ChargeRunOut,
    ChargeTotalOut,
    ClearanceCreate,
    ClearancePublic,
    DirectoryEntry,
    EndBody,
    FacilityReport,
    LeaseCreate,
    LeasePublic,
    MaintenanceCreate,
    MaintenancePublic,
    MembershipCreate,
    MembershipPublic,
    OccupancyOut,
    OrderCreate,
    OrderPublic,
    PassThroughCreate,
    PassThroughPublic,
    PlanCreate,
    PlanPublic,
    QuoteBody,
    RepriceBody,
    ResourceCreate,
    ResourcePublic,
    ResourceUpdate,
    ServiceCreate,
    ServicePublic,
    SiteCreate,
    SitePublic,
    SpaceCreate,
    SpacePublic,
    TaxRateCreate,
    TaxRatePublic,
    TrainingCreate,
    TrainingPublic,
    UtilisationOut,
)
from incubator.api import ERRORS
from incubator.config import get_settings
from incubator.db import utcnow
from incubator.deps import ApiUser, SessionDep
from incubator.errors import NotFound
from incubator.pagination import Page, PageOut, PageParams, page_params
from startups.models import BiosafetyLevel

router = APIRouter(prefix="/api/v1", tags=["facilities"], responses={**ERRORS})
feed_router = APIRouter(tags=["facilities"])
Paging = Annotated[PageParams, Depends(page_params)]
WeekQuery = Annotated[str | None, Query(max_length=20, description="ISO week (2026-W48) or a date in it")]


S = TypeVar("S", bound=BaseModel)


def _page(page: Page[Any], schema: type[S]) -> PageOut[S]:
    return PageOut(
        items=[schema.model_validate(i) for i in page.items], total=page.total, limit=page.limit, offset=page.offset
    )


# --- Catalogue -----------------------------------------------------------------------------------------------------


@router.get("/sites", response_model=list[SitePublic], name="api.facilities.sites")
def list_sites(_: ApiUser, session: SessionDep) -> list[SitePublic]:
    """Every active site with its time zone and billing currency."""
    return [SitePublic.model_validate(s) for s in SiteRepository(session).all()]


@router.post(
    "/sites", response_model=SitePublic, status_code=status.HTTP_201_CREATED, name="api.facilities.sites.create"
)
def create_site(body: SiteCreate, user: FinanceApi, session: SessionDep) -> SitePublic:
    """Add a site (finance)."""
    return SitePublic.model_validate(service.create_site(session, actor=user, **body.model_dump()))


@router.get("/sites/{site_id}", response_model=SitePublic, name="api.facilities.sites.detail")
def get_site(_: ApiUser, site: SiteDep) -> SitePublic:
    """One site."""
    return SitePublic.model_validate(site)


@router.get("/sites/{site_id}/tax-rates", response_model=list[TaxRatePublic], name="api.facilities.tax_rates")
def list_tax_rates(_: ApiUser, site: SiteDep, session: SessionDep) -> list[TaxRatePublic]:
    """A site's tax rates, newest first; the rate in force on a day is the latest that took effect by then."""
    return [TaxRatePublic.model_validate(t) for t in SiteRepository(session).tax_rates(site.id)]


@router.post(
    "/sites/{site_id}/tax-rates",
    response_model=TaxRatePublic,
    status_code=status.HTTP_201_CREATED,
    name="api.facilities.tax_rates.create",
)
def create_tax_rate(body: TaxRateCreate, user: FinanceApi, site: SiteDep, session: SessionDep) -> TaxRatePublic:
    """Add a tax rate taking effect on a date (finance)."""
    return TaxRatePublic.model_validate(service.add_tax_rate(session, site=site, actor=user, **body.model_dump()))


@router.get("/spaces", response_model=PageOut[SpacePublic], name="api.facilities.spaces")
def list_spaces(
    _: ApiUser, session: SessionDep, paging: Paging, site_id: uuid.UUID | None = None, kind: SpaceKind | None = None
) -> PageOut[SpacePublic]:
    """Rentable spaces, by site and kind."""
    return _page(SpaceRepository(session).search(paging, site_id=site_id, kind=kind), SpacePublic)


@router.post(
    "/spaces", response_model=SpacePublic, status_code=status.HTTP_201_CREATED, name="api.facilities.spaces.create"
)
def create_space(body: SpaceCreate, user: FinanceApi, session: SessionDep) -> SpacePublic:
    """Add a space (finance)."""
    site = SiteRepository(session).get_or_404(body.site_id)
    values = body.model_dump(exclude={"site_id"})
    return SpacePublic.model_validate(service.create_space(session, site=site, actor=user, **values))


@router.get("/resources", response_model=list[DirectoryEntry], name="api.facilities.resources")
def list_resources(
    _: ApiUser,
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=100, description="Name or description contains")] = None,
    site_id: uuid.UUID | None = None,
    category: ResourceCategory | None = None,
    min_volume: Annotated[Decimal | None, Query(ge=0, le=10_000_000, description="Litres")] = None,
    max_volume: Annotated[Decimal | None, Query(ge=0, le=10_000_000, description="Litres")] = None,
    biosafety_level: BiosafetyLevel | None = None,
    week: WeekQuery = None,
    free_only: Annotated[bool, Query(description="Only resources with room for a booking in the week")] = False,
) -> list[DirectoryEntry]:
    """The facility directory: every resource across the sites, e.g. a 300 L fermenter at BSL-1 free next week."""
    filters = DirectoryFilters(q, site_id, category, min_volume, max_volume, biosafety_level)
    rows, _monday = service.directory(session, filters=filters, week=week, free_only=free_only)
    return [
        DirectoryEntry(
            resource=ResourcePublic.model_validate(r.resource),
            site_name=r.site.name,
            currency=r.site.currency,
            timezone=r.site.timezone,
            free_minutes=r.free_minutes,
        )
        for r in rows
    ]


@router.post(
    "/resources",
    response_model=ResourcePublic,
    status_code=status.HTTP_201_CREATED,
    name="api.facilities.resources.create",
)
def create_resource(body: ResourceCreate, user: FinanceApi, session: SessionDep) -> ResourcePublic:
    """Add a piece of equipment with its booking rules and hourly rate (finance)."""
    site = SiteRepository(session).get_or_404(body.site_id)
    values = body.model_dump(exclude={"site_id"})
    return ResourcePublic.model_validate(service.create_resource(session, site=site, actor=user, **values))


@router.get("/resources/{resource_id}", response_model=ResourcePublic, name="api.facilities.resources.detail")
def get_resource(_: ApiUser, resource: ResourceDep) -> ResourcePublic:
    """One resource and its rules."""
    return ResourcePublic.model_validate(resource)


@router.patch("/resources/{resource_id}", response_model=ResourcePublic, name="api.facilities.resources.update")
def update_resource(
    body: ResourceUpdate, user: FinanceApi, resource: ResourceDep, session: SessionDep
) -> ResourcePublic:
    """Change rules or prices (finance, audited). Confirmed bookings keep the price frozen when they were made."""
    changes = body.model_dump(exclude_unset=True)
    return ResourcePublic.model_validate(
        service.update_resource(session, resource=resource, actor=user, changes=changes)
    )


@router.get("/resources/{resource_id}/availability", response_model=Availability, name="api.facilities.availability")
def resource_availability(
    user: ApiUser, resource: ResourceDep, session: SessionDep, week: WeekQuery = None
) -> Availability:
    """A resource's week in its site's time zone: bookings, cleaning buffers and maintenance, and minutes free."""
    site = SiteRepository(session).get_or_404(resource.site_id)
    view = service.availability(session, resource=resource, monday=service.parse_week(week, site), viewer=user)
    return Availability(
        resource_id=resource.id,
        timezone=site.timezone,
        week=view.week,
        week_start=view.start,
        week_end=view.end,
        busy=[
            BusySlot(start_at=b.start_at, end_at=b.end_at, kind=b.kind, label=b.label, mine=b.mine) for b in view.busy
        ],  # type: ignore[arg-type]
        free_minutes=view.free_minutes,
    )


@router.post(
    "/resources/{resource_id}/maintenance-blocks",
    response_model=MaintenancePublic,
    status_code=status.HTTP_201_CREATED,
    name="api.facilities.maintenance.create",
)
def create_maintenance(
    body: MaintenanceCreate, user: StaffApi, resource: ResourceDep, session: SessionDep
) -> MaintenancePublic:
    """Block a resource for maintenance (facility staff)."""
    block = service.add_maintenance_block(session, resource=resource, actor=user, **body.model_dump())
    return MaintenancePublic.model_validate(block)


@router.get("/services", response_model=list[ServicePublic], name="api.facilities.services")
def list_services(_: ApiUser, session: SessionDep, site_id: uuid.UUID | None = None) -> list[ServicePublic]:
    """The service catalogue (analytical testing, certification, IP and legal advice), by site."""
    return [ServicePublic.model_validate(s) for s, _site in ServiceRepository(session).catalogue(site_id)]


@router.post(
    "/services",
    response_model=ServicePublic,
    status_code=status.HTTP_201_CREATED,
    name="api.facilities.services.create",
)
def create_service(body: ServiceCreate, user: FinanceApi, session: SessionDep) -> ServicePublic:
    """Add a service to a site's catalogue (finance)."""
    site = SiteRepository(session).get_or_404(body.site_id)
    values = body.model_dump(exclude={"site_id"})
    return ServicePublic.model_validate(service.create_service(session, site=site, actor=user, **values))


@router.get("/plans", response_model=list[PlanPublic], name="api.facilities.plans")
def list_plans(_: ApiUser, session: SessionDep, site_id: uuid.UUID | None = None) -> list[PlanPublic]:
    """Membership tiers (gold, silver, bronze) per site."""
    return [PlanPublic.model_validate(p) for p in PlanRepository(session).for_site(site_id)]


@router.post(
    "/plans", response_model=PlanPublic, status_code=status.HTTP_201_CREATED, name="api.facilities.plans.create"
)
def create_plan(body: PlanCreate, user: FinanceApi, session: SessionDep) -> PlanPublic:
    """Define a membership tier for a site, with the services it includes (finance)."""
    site = SiteRepository(session).get_or_404(body.site_id)
    values = body.model_dump(exclude={"site_id", "included_service_ids"})
    plan = service.create_plan(session, site=site, actor=user, included_service_ids=body.included_service_ids, **values)
    return PlanPublic.model_validate(plan)


# --- Memberships, leases, qualifications ---------------------------------------------------------------------------


@router.get("/memberships", response_model=PageOut[MembershipPublic], name="api.facilities.memberships")
def list_memberships(
    user: MoneyApi, session: SessionDep, paging: Paging, startup_id: uuid.UUID | None = None
) -> PageOut[MembershipPublic]:
    """Memberships: your startups' as a founder, all as finance."""
    return _page(MembershipRepository(session).search(user, paging, startup_id=startup_id), MembershipPublic)


@router.post(
    "/memberships",
    response_model=MembershipPublic,
    status_code=status.HTTP_201_CREATED,
    name="api.facilities.memberships.create",
)
def create_membership(body: MembershipCreate, user: FinanceApi, session: SessionDep) -> MembershipPublic:
    """Put a startup on a plan from a date (finance). Partial months are prorated by day."""
    plan = PlanRepository(session).get_or_404(body.plan_id)
    membership = service.create_membership(
        session, startup_id=body.startup_id, plan=plan, start_date=body.start_date, end_date=body.end_date, actor=user
    )
    return MembershipPublic.model_validate(membership)


@router.post("/memberships/{membership_id}/end", response_model=MembershipPublic, name="api.facilities.memberships.end")
def end_membership(membership_id: uuid.UUID, body: EndBody, user: FinanceApi, session: SessionDep) -> MembershipPublic:
    """End a membership earlier (finance). Later months' charges are voided, the last month prorated again."""
    membership = MembershipRepository(session).get_or_404(membership_id)
    return MembershipPublic.model_validate(
        service.end_membership(session, membership=membership, end_date=body.end_date, actor=user)
    )


@router.get("/leases", response_model=PageOut[LeasePublic], name="api.facilities.leases")
def list_leases(
    user: MoneyApi, session: SessionDep, paging: Paging, startup_id: uuid.UUID | None = None
) -> PageOut[LeasePublic]:
    """Leases of space: your startups' as a founder, all as finance."""
    return _page(LeaseRepository(session).search(user, paging, startup_id=startup_id), LeasePublic)


@router.post(
    "/leases", response_model=LeasePublic, status_code=status.HTTP_201_CREATED, name="api.facilities.leases.create"
)
def create_lease(body: LeaseCreate, user: FinanceApi, session: SessionDep) -> LeasePublic:
    """Lease a space to a startup (finance). A lease overlapping another lease of the same space is refused (409)."""
    space = SpaceRepository(session).get_or_404(body.space_id)
    lease = service.create_lease(
        session,
        startup_id=body.startup_id,
        space=space,
        start_date=body.start_date,
        end_date=body.end_date,
        monthly_price_minor=body.monthly_price_minor,
        actor=user,
    )
    return LeasePublic.model_validate(lease)


@router.post("/leases/{lease_id}/end", response_model=LeasePublic, name="api.facilities.leases.end")
def end_lease(lease_id: uuid.UUID, body: EndBody, user: FinanceApi, session: SessionDep) -> LeasePublic:
    """End a lease earlier (finance). Later months' charges are voided, the last month prorated again."""
    lease = LeaseRepository(session).get_or_404(lease_id)
    return LeasePublic.model_validate(service.end_lease(session, lease=lease, end_date=body.end_date, actor=user))


@router.get("/trainings", response_model=list[TrainingPublic], name="api.facilities.trainings")
def list_trainings(user: ApiUser, session: SessionDep) -> list[TrainingPublic]:
    """Training records: your own, or everyone's for facility staff."""
    from facilities.repository import is_staff

    rows = QualificationRepository(session).trainings(user_id=None if is_staff(user) else user.id)
    return [TrainingPublic.model_validate(t) for t, _r, _u in rows]


@router.post(
    "/trainings",
    response_model=TrainingPublic,
    status_code=status.HTTP_201_CREATED,
    name="api.facilities.trainings.create",
)
def create_training(body: TrainingCreate, user: StaffApi, session: SessionDep) -> TrainingPublic:
    """Record that a user is qualified on a resource until a date (programme or finance staff)."""
    resource = ResourceRepository(session).get_or_404(body.resource_id)
    training = service.record_training(
        session,
        user_id=body.user_id,
        resource=resource,
        qualified_date=body.qualified_date,
        expires_date=body.expires_date,
        actor=user,
    )
    return TrainingPublic.model_validate(training)


@router.post(
    "/biosafety-clearances",
    response_model=ClearancePublic,
    status_code=status.HTTP_201_CREATED,
    name="api.facilities.clearances.create",
)
def create_clearance(body: ClearanceCreate, user: StaffApi, session: SessionDep) -> ClearancePublic:
    """Clear a startup for a biosafety level until a date (programme or finance staff)."""
    return ClearancePublic.model_validate(service.grant_clearance(session, actor=user, **body.model_dump()))


# --- Bookings ------------------------------------------------------------------------------------------------------


@router.get("/bookings", response_model=PageOut[BookingPublic], name="api.facilities.bookings")
def list_bookings(
    user: BookerApi,
    session: SessionDep,
    paging: Paging,
    startup_id: uuid.UUID | None = None,
    resource_id: uuid.UUID | None = None,
    status_: Annotated[BookingStatus | None, Query(alias="status")] = None,
    upcoming: bool = False,
) -> PageOut[BookingPublic]:
    """Bookings: your startups' as a founder, all as facility staff; `upcoming` lists those not yet over."""
    page = BookingRepository(session).search(
        user,
        paging,
        startup_id=startup_id,
        resource_id=resource_id,
        status=status_,
        upcoming_from=utcnow() if upcoming else None,
    )
    return _page(page, BookingPublic)


@router.post(
    "/bookings",
    response_model=BookingPublic,
    status_code=status.HTTP_201_CREATED,
    name="api.facilities.bookings.create",
)
def create_booking(body: BookingCreate, user: BookerApi, session: SessionDep) -> BookingPublic:
    """Book a slot for your startup. The price is frozen now; included hours come from this month's allowance.
    A slot that overlaps another booking (with its cleaning buffer) answers 409 and names the taken slot."""
    resource = ResourceRepository(session).get_or_404(body.resource_id)
    booking = service.book(
        session,
        resource=resource,
        startup_id=service.default_startup_id(session, user, body.startup_id),
        user=user,
        start_at=body.start_at,
        end_at=body.end_at,
        purpose=body.purpose,
    )
    return BookingPublic.model_validate(booking)


@router.get("/bookings/{booking_id}", response_model=BookingPublic, name="api.facilities.bookings.detail")
def get_booking(_: ApiUser, booking: ApiBooking) -> BookingPublic:
    """One booking with its frozen price."""
    return BookingPublic.model_validate(booking)


@router.post("/bookings/{booking_id}/cancel", response_model=BookingPublic, name="api.facilities.bookings.cancel")
def cancel_booking(user: ApiUser, booking: ApiBooking, session: SessionDep) -> BookingPublic:
    """Cancel: free before the resource's cut-off, the late-cancellation fee after it. The allowance is restored."""
    return BookingPublic.model_validate(service.cancel_booking(session, booking=booking, actor=user))


@router.post("/bookings/{booking_id}/reprice", response_model=BookingPublic, name="api.facilities.bookings.reprice")
def reprice_booking(body: RepriceBody, user: FinanceApi, booking: ApiBooking, session: SessionDep) -> BookingPublic:
    """Re-price a booking at the resource's current rate (finance, audited with the reason)."""
    return BookingPublic.model_validate(
        service.reprice_booking(session, booking=booking, actor=user, reason=body.reason)
    )


@router.get("/allowance", response_model=list[AllowancePublic], name="api.facilities.allowance")
def allowance(
    user: MoneyApi,
    session: SessionDep,
    startup_id: uuid.UUID | None = None,
    day: Annotated[date | None, Query(description="A day of the month wanted; today if omitted")] = None,
) -> list[AllowancePublic]:
    """Included equipment minutes left this month at each site where the startup holds a membership."""
    chosen = service.default_startup_id(session, user, startup_id)
    if chosen not in {s.id for s in startups_of(session, user)}:
        raise NotFound("No startup with that id, or it is not visible to you.")
    out = []
    for site in SiteRepository(session).all():
        view = service.allowance_left(
            session, startup_id=chosen, site=site, day=day or service.local_date(site, utcnow())
        )
        if view.plan_name is None and view.left_minutes == 0:
            continue
        out.append(
            AllowancePublic(
                startup_id=chosen,
                site_id=site.id,
                site_name=site.name,
                month=view.month,
                plan_name=view.plan_name,
                granted_minutes=view.granted_minutes,
                left_minutes=view.left_minutes,
            )
        )
    return out


# --- Service orders ------------------------------------------------------------------------------------------------


@router.get("/service-orders", response_model=PageOut[OrderPublic], name="api.facilities.orders")
def list_orders(
    user: BookerApi,
    session: SessionDep,
    paging: Paging,
    startup_id: uuid.UUID | None = None,
    status_: Annotated[OrderStatus | None, Query(alias="status")] = None,
) -> PageOut[OrderPublic]:
    """Service orders: your startups' as a founder, all as facility staff."""
    page = OrderRepository(session).search(user, paging, startup_id=startup_id, status=status_)
    return _page(page, OrderPublic)


@router.post(
    "/service-orders",
    response_model=OrderPublic,
    status_code=status.HTTP_201_CREATED,
    name="api.facilities.orders.create",
)
def create_order(body: OrderCreate, user: BookerApi, session: SessionDep) -> OrderPublic:
    """Order a service for your startup. Services that need a quote wait for one; the others start at list price."""
    catalogue = ServiceRepository(session).get_or_404(body.service_id)
    order = service.request_order(
        session,
        service=catalogue,
        startup_id=service.default_startup_id(session, user, body.startup_id),
        user=user,
        quantity=body.quantity,
        notes=body.notes,
        site_id=body.site_id,
    )
    return OrderPublic.model_validate(order)


@router.get("/service-orders/{order_id}", response_model=OrderPublic, name="api.facilities.orders.detail")
def get_order(_: ApiUser, order: ApiOrder) -> OrderPublic:
    """One service order."""
    return OrderPublic.model_validate(order)


@router.post("/service-orders/{order_id}/quote", response_model=OrderPublic, name="api.facilities.orders.quote")
def quote_order(body: QuoteBody, user: StaffApi, order: ApiOrder, session: SessionDep) -> OrderPublic:
    """Send the quote (facility or finance staff)."""
    return OrderPublic.model_validate(
        service.quote_order(session, order=order, actor=user, amount_minor=body.amount_minor, note=body.note)
    )


@router.post("/service-orders/{order_id}/accept", response_model=OrderPublic, name="api.facilities.orders.accept")
def accept_order(user: ApiUser, order: ApiOrder, session: SessionDep) -> OrderPublic:
    """Accept the quote (the startup's team)."""
    return OrderPublic.model_validate(service.accept_order(session, order=order, actor=user))


@router.post("/service-orders/{order_id}/start", response_model=OrderPublic, name="api.facilities.orders.start")
def start_order(user: StaffApi, order: ApiOrder, session: SessionDep) -> OrderPublic:
    """Start work (facility staff)."""
    return OrderPublic.model_validate(service.start_order(session, order=order, actor=user))


@router.post("/service-orders/{order_id}/deliver", response_model=OrderPublic, name="api.facilities.orders.deliver")
def deliver_order(user: StaffApi, order: ApiOrder, session: SessionDep) -> OrderPublic:
    """Mark delivered (facility staff): the order and its pass-through costs become charges."""
    return OrderPublic.model_validate(service.deliver_order(session, order=order, actor=user))


@router.post("/service-orders/{order_id}/cancel", response_model=OrderPublic, name="api.facilities.orders.cancel")
def cancel_order(user: ApiUser, order: ApiOrder, session: SessionDep) -> OrderPublic:
    """Cancel an order not yet delivered."""
    return OrderPublic.model_validate(service.cancel_order(session, order=order, actor=user))


@router.post(
    "/service-orders/{order_id}/pass-through-costs",
    response_model=PassThroughPublic,
    status_code=status.HTTP_201_CREATED,
    name="api.facilities.orders.pass_through",
)
def add_pass_through(
    body: PassThroughCreate, user: FinanceApi, order: ApiOrder, session: SessionDep
) -> PassThroughPublic:
    """Pass an outside bill on at cost plus margin (finance)."""
    cost = service.add_pass_through_cost(session, order=order, actor=user, **body.model_dump())
    return PassThroughPublic.model_validate(cost)


# --- Charges -------------------------------------------------------------------------------------------------------


@router.get("/charges", response_model=PageOut[ChargePublic], name="api.facilities.charges")
def list_charges(
    user: MoneyApi,
    session: SessionDep,
    paging: Paging,
    site_id: uuid.UUID | None = None,
    startup_id: uuid.UUID | None = None,
    period: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")] = None,
    category: ChargeCategory | None = None,
    include_voided: bool = False,
) -> PageOut[ChargePublic]:
    """Charges at list price, one per billable thing: your startups' as a founder, all as finance."""
    start = service.parse_period(period) if period else None
    end = service.next_month(start) if start else None
    page = ChargeRepository(session).search(
        user,
        paging,
        site_id=site_id,
        startup_id=startup_id,
        start=start,
        end=end,
        category=category,
        include_voided=include_voided,
    )
    return _page(page, ChargePublic)


@router.post("/charges/generate", response_model=ChargeRunOut, name="api.facilities.charges.generate")
def generate_charges(body: ChargeRun, user: FinanceApi, session: SessionDep) -> ChargeRunOut:
    """Create a site's charges for a month (finance). Safe to repeat: nothing is ever charged twice."""
    site = SiteRepository(session).by_code(body.site_code)
    if site is None:
        raise NotFound(f"No site with the code {body.site_code}.")
    result = service.run_charge_step(session, site=site, period=service.parse_period(body.period), actor=user)
    return ChargeRunOut(site_code=site.code, period=body.period, created=result.created, existing=result.existing)


@router.get("/facility-reports", response_model=FacilityReport, name="api.facilities.reports")
def facility_report(
    _: StaffApi,
    session: SessionDep,
    period: Annotated[str, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")],
) -> FacilityReport:
    """Occupancy (space-days leased by site and kind), equipment utilisation (booked of bookable hours) and charges
    by site and category for a month (finance and programme staff). The same figures as the reports page."""
    month = service.parse_period(period)
    return FacilityReport(
        period=period,
        occupancy=[
            OccupancyOut(
                site=r.site, kind=r.kind, leased_days=r.leased_days, available_days=r.available_days, share=r.share
            )
            for r in service.occupancy(session, period=month)
        ],
        utilisation=[
            UtilisationOut(
                site=r.site,
                resource=r.resource,
                booked_minutes=r.booked_minutes,
                bookable_minutes=r.bookable_minutes,
                share=r.share,
            )
            for r in service.utilisation(session, period=month)
        ],
        charges=[
            ChargeTotalOut(site=site, currency=currency, category=category, amount_minor=amount)
            for site, currency, category, amount in ChargeRepository(session).totals_by_site_category(
                month, service.next_month(month)
            )
        ],
    )


# --- Calendar feed -------------------------------------------------------------------------------------------------


@router.get("/me/calendar", response_model=CalendarLink, name="api.facilities.calendar")
def my_calendar(user: ApiUser, session: SessionDep) -> CalendarLink:
    """The secret address of your bookings as an iCalendar feed, for a calendar app."""
    token = service.calendar_token(session, user=user)
    return CalendarLink(url=f"{get_settings().base_url.rstrip('/')}/calendar/{token}.ics")


@feed_router.get(
    "/calendar/{feed_token}.ics", name="facilities.calendar.feed", response_class=Response, include_in_schema=False
)
def calendar_feed(feed_token: str, session: SessionDep) -> Response:
    """Your bookings as iCalendar; the secret token in the address stands in for a log-in."""
    body = service.ical_feed(session, token=feed_token, base_url=get_settings().base_url)
    return Response(body, media_type="text/calendar; charset=utf-8", headers={"Cache-Control": "private, max-age=300"})
