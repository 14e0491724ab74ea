"""HTML pages of the facilities: directory, resource calendars and booking, a founder's own facilities page,
the service catalogue and orders, charges and reports for staff."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from facilities import charts, service
from facilities.deps import (
    BookerPage,
    FinancePage,
    MoneyPage,
    PageBooking,
    PageOrder,
    StaffPage,
)
from facilities.models import (
    BookingStatus,
    ChargeCategory,
    OrderStatus,
    PlanTier,
    Resource,
    ResourceCategory,
    Service,
    ServiceCategory,
    ServiceUnit,
    Site,
    SpaceKind,
)
from facilities.repository import (
    BOOKER_ROLES,
    MANAGER_ROLES,
    STAFF_ROLES,
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
    all_startups,
    names_by_id,
    startups_of,
)
from facilities.schemas import (
    BookingForm,
    ChargeRunForm,
    ClearanceForm,
    EndForm,
    LeaseForm,
    MaintenanceForm,
    MembershipForm,
    OrderForm,
    PlanForm,
    QuoteForm,
    RateForm,
    ResourceForm,
    ServiceForm,
    SiteForm,
    SpaceForm,
    TrainingForm,
)
from incubator.config import get_settings
from incubator.db import utcnow
from incubator.deps import PageUser, SessionDep, verify_csrf
from incubator.errors import AppError, NotFound, PermissionDenied
from incubator.models import User
from incubator.money import SUPPORTED_CURRENCIES, format_money, to_minor
from incubator.pagination import PageParams, page_params
from incubator.repository import UserRepository
from incubator.web import flash, form_values, parse_form, redirect, render
from startups.models import BiosafetyLevel, Startup

router = APIRouter(dependencies=[Depends(verify_csrf)], include_in_schema=False)
Paging = Annotated[PageParams, Depends(page_params)]
CATEGORIES = [(c.value, c.label) for c in ResourceCategory]
LEVELS = [(b.value, b.label) for b in BiosafetyLevel]


def _decimal(value: str | None) -> Decimal | None:
    if value is None or not value.strip():
        return None
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() and number >= 0 else None


def _enum(enum_cls: Any, value: str | None) -> Any:
    return enum_cls(value) if value and value in enum_cls.__members__ else None


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


# --- Directory -----------------------------------------------------------------------------------------------------


@router.get("/facilities", response_class=HTMLResponse, name="facilities.directory")
def directory(
    request: Request,
    session: SessionDep,
    user: PageUser,
    q: Annotated[str | None, Query(max_length=100)] = None,
    site: Annotated[str | None, Query(max_length=40)] = None,
    category: Annotated[str | None, Query(max_length=40)] = None,
    min_volume: Annotated[str | None, Query(max_length=20)] = None,
    max_volume: Annotated[str | None, Query(max_length=20)] = None,
    bsl: Annotated[str | None, Query(max_length=10)] = None,
    week: Annotated[str | None, Query(max_length=20)] = None,
    free: Annotated[str | None, Query(max_length=5)] = None,
) -> Response:
    """The facility directory: every resource across the sites, searchable in one go."""
    filters = DirectoryFilters(
        q=q,
        site_id=_uuid(site),
        category=_enum(ResourceCategory, category),
        min_volume=_decimal(min_volume),
        max_volume=_decimal(max_volume),
        biosafety_level=_enum(BiosafetyLevel, bsl),
    )
    error = None
    try:
        rows, monday = service.directory(session, filters=filters, week=week or None, free_only=bool(free))
    except AppError as exc:
        error = exc.detail
        rows, monday = service.directory(session, filters=filters)
    values = {
        "q": q or "",
        "site": site or "",
        "category": category or "",
        "min_volume": min_volume or "",
        "max_volume": max_volume or "",
        "bsl": bsl or "",
        "week": week or "",
        "free": bool(free),
    }
    today = utcnow().date()
    weeks = [
        (service.iso_week(service.week_monday(today) + timedelta(weeks=i)), label)
        for i, label in enumerate(["This week", "Next week", "In two weeks", "In three weeks"])
    ]
    return render(
        request,
        "facilities/directory.html",
        {
            "rows": rows,
            "monday": monday,
            "values": values,
            "error": error,
            "sites": SiteRepository(session).all(),
            "categories": CATEGORIES,
            "levels": LEVELS,
            "weeks": weeks,
            "filtered": any(v for k, v in values.items()),
        },
    )


# --- Resource calendar and booking -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    state: str  # free | booked | mine | blocked
    label: str
    day: date
    hour: int


def _grid(view: service.AvailabilityView) -> tuple[list[date], list[tuple[int, list[Cell]]]]:
    """Hour rows by day columns in the site's zone; a cell takes the state of what overlaps it."""
    tz = service.zone(view.site)
    days = [view.monday + timedelta(days=i) for i in range(7)]
    rows: list[tuple[int, list[Cell]]] = []
    for hour in range(24):
        cells = []
        for day in days:
            start = datetime(day.year, day.month, day.day, hour, tzinfo=tz)
            end = start + timedelta(hours=1)
            state, label = "free", ""
            for b in view.busy:
                if b.start_at < end and b.end_at > start:
                    if b.kind == "booking":
                        state, label = ("mine", "Your booking") if b.mine else ("booked", b.label)
                        break
                    state, label = "blocked", "Maintenance" if b.kind == "maintenance" else "Cleaning"
            cells.append(Cell(state, label, day, hour))
        rows.append((hour, cells))
    return days, rows


def _resource_page(
    request: Request,
    session: SessionDep,
    user: User,
    resource: Resource,
    week: str | None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    site = session.get_one(Site, resource.site_id)
    monday = service.parse_week(week, site)
    view = service.availability(session, resource=resource, monday=monday, viewer=user)
    days, rows = _grid(view)
    mine = startups_of(session, user)
    allowances = []
    if not user.has_role(*STAFF_ROLES):
        for startup in mine:
            allowances.append(
                (
                    startup,
                    service.allowance_left(
                        session, startup_id=startup.id, site=site, day=service.local_date(site, utcnow())
                    ),
                )
            )
    return render(
        request,
        "facilities/resource.html",
        {
            "resource": resource,
            "site": site,
            "view": view,
            "days": days,
            "rows": rows,
            "today": service.local_date(site, utcnow()),
            "prev_week": service.iso_week(monday - timedelta(days=7)),
            "next_week": service.iso_week(monday + timedelta(days=7)),
            "startups": mine,
            "startup_options": [(str(s.id), s.name) for s in mine],
            "allowances": allowances,
            "can_book": user.has_role(*BOOKER_ROLES),
            "values": values
            or {
                "day": request.query_params.get("day", ""),
                "start_time": request.query_params.get("start_time", ""),
                "hours": str(Decimal(resource.min_minutes) / 60),
            },
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/facilities/resources/{resource_id}", response_class=HTMLResponse, name="facilities.resource")
def resource_detail(
    request: Request,
    session: SessionDep,
    user: PageUser,
    resource_id: uuid.UUID,
    week: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """A resource's rules and its week as a calendar, with the booking form."""
    resource = ResourceRepository(session).get_or_404(resource_id)
    return _resource_page(request, session, user, resource, week)


@router.post("/facilities/resources/{resource_id}/book", response_class=HTMLResponse, name="facilities.book")
async def book(request: Request, session: SessionDep, user: BookerPage, resource_id: uuid.UUID) -> Response:
    resource = ResourceRepository(session).get_or_404(resource_id)
    site = session.get_one(Site, resource.site_id)
    values = form_values(await request.form())
    data, errors = parse_form(BookingForm, values)
    status_code = 422
    if data is not None:
        try:
            start, end = service.booking_times(site, data.day, data.start_time, data.hours)
            booking = service.book(
                session,
                resource=resource,
                startup_id=service.default_startup_id(session, user, data.startup_id),
                user=user,
                start_at=start,
                end_at=end,
                purpose=data.purpose,
            )
        except AppError as exc:
            errors = exc.field_errors or {"__all__": exc.detail}
            status_code = exc.status
    if errors or data is None:
        week = values.get("day") if isinstance(values.get("day"), str) else None
        return _resource_page(request, session, user, resource, _safe_week(week), values, errors, status_code)
    if booking.amount_minor == 0:
        price = "included in your plan"
    else:
        price = f"{format_money(booking.amount_minor, booking.currency)} at list price"
        if booking.included_minutes:
            price += f" beyond the {booking.included_minutes / 60:g} h included"
    flash(request, f"Booked {resource.name} for {data.day:%d %b %Y} at {data.start_time} ({price}).")
    return redirect(request, "/facilities/mine")


def _safe_week(value: str | None) -> str | None:
    try:
        return value if value and date.fromisoformat(value) else None
    except ValueError:
        return None


# --- A founder's facilities ----------------------------------------------------------------------------------------


@router.get("/facilities/mine", response_class=HTMLResponse, name="facilities.mine")
def mine(request: Request, session: SessionDep, user: PageUser) -> Response:
    """Your bookings, orders, allowance left this month and charges so far, and your calendar feed."""
    now = utcnow()
    startups = startups_of(session, user) if not user.has_role(*STAFF_ROLES) else []
    member_ids = [s.id for s in startups]
    bookings = BookingRepository(session)
    upcoming = bookings.search(user, PageParams(limit=50), upcoming_from=now).items if startups else []
    upcoming = [b for b in upcoming if b.startup_id in member_ids and b.status.value == "confirmed"]
    past = bookings.search(user, PageParams(limit=20)).items if startups else []
    past = [b for b in past if b.startup_id in member_ids and (b.end_at <= now or b.status.value != "confirmed")]
    resources = bookings.with_resources(upcoming + past)
    sites = SiteRepository(session).all()
    allowances = []
    for startup in startups:
        for site in sites:
            # This month and the next: bookings a week or two ahead often fall in the next month's allowance.
            this_month = service.month_start(service.local_date(site, now))
            for day in (this_month, service.next_month(this_month)):
                view = service.allowance_left(session, startup_id=startup.id, site=site, day=day)
                if view.plan_name is not None or view.left_minutes:
                    allowances.append((startup, view))
    orders = OrderRepository(session).search(user, PageParams(limit=20)).items if startups else []
    services = OrderRepository(session).services_of(orders)
    month = now.date().replace(day=1)
    charges = (
        ChargeRepository(session).search(user, PageParams(limit=100), start=month, end=service.next_month(month)).items
        if startups
        else []
    )
    totals: dict[str, int] = {}
    for c in charges:
        totals[c.currency] = totals.get(c.currency, 0) + c.amount_minor
    token = service.calendar_token(session, user=user)
    return render(
        request,
        "facilities/mine.html",
        {
            "startups": startups,
            "upcoming": upcoming,
            "past": past,
            "resources": resources,
            "sites": {s.id: s for s in sites},
            "allowances": allowances,
            "orders": orders,
            "services": services,
            "charges": charges,
            "totals": totals,
            "month": month,
            "now": now,
            "feed_url": f"{get_settings().base_url.rstrip('/')}/calendar/{token}.ics",
        },
    )


@router.post("/facilities/bookings/{booking_id}/cancel", name="facilities.booking.cancel")
def cancel(request: Request, session: SessionDep, user: PageUser, booking: PageBooking) -> Response:
    service.cancel_booking(session, booking=booking, actor=user)
    if booking.late_fee_minor:
        flash(request, "Booking cancelled. It was after the cut-off, so the late-cancellation fee applies.", "warning")
    else:
        flash(request, "Booking cancelled; its hours are back in your allowance.")
    return redirect(request, "/facilities/mine")


@router.post("/facilities/calendar/rotate", name="facilities.calendar.rotate")
def rotate_calendar(request: Request, session: SessionDep, user: PageUser) -> Response:
    service.calendar_token(session, user=user, rotate=True)
    flash(request, "Your calendar address was replaced; the old one no longer works.")
    return redirect(request, "/facilities/mine")


# --- Services and orders -------------------------------------------------------------------------------------------


@router.get("/facilities/services", response_class=HTMLResponse, name="facilities.services")
def services(request: Request, session: SessionDep, user: PageUser) -> Response:
    """The service catalogue of every site; founders order from here."""
    return render(
        request,
        "facilities/services.html",
        {
            "catalogue": ServiceRepository(session).catalogue(),
            "startups": startups_of(session, user),
            "can_order": user.has_role(*BOOKER_ROLES),
            "values": {},
            "errors": {},
        },
    )


@router.post("/facilities/services/{service_id}/order", name="facilities.services.order")
async def order(request: Request, session: SessionDep, user: BookerPage, service_id: uuid.UUID) -> Response:
    catalogue_item: Service = ServiceRepository(session).get_or_404(service_id)
    values = form_values(await request.form())
    data, errors = parse_form(OrderForm, values)
    if data is not None:
        try:
            made = service.request_order(
                session,
                service=catalogue_item,
                startup_id=service.default_startup_id(session, user, data.startup_id),
                user=user,
                quantity=data.quantity,
                notes=data.notes,
            )
        except AppError as exc:
            if isinstance(exc, PermissionDenied | NotFound):
                raise
            errors = exc.field_errors or {"__all__": exc.detail}
    if errors or data is None:
        return render(
            request,
            "facilities/services.html",
            {
                "catalogue": ServiceRepository(session).catalogue(),
                "startups": startups_of(session, user),
                "can_order": True,
                "values": {**values, "service_id": str(service_id)},
                "errors": errors,
            },
            status_code=422,
        )
    what = "Quote requested" if catalogue_item.needs_quote else "Ordered"
    flash(request, f"{what}: {catalogue_item.name}.")
    _ = made
    return redirect(request, "/facilities/mine")


@router.get("/facilities/orders", response_class=HTMLResponse, name="facilities.orders")
def orders(
    request: Request,
    session: SessionDep,
    user: StaffPage,
    paging: Paging,
    status: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """Service orders of every startup, with the next step of each (facility staff)."""
    page = OrderRepository(session).search(user, paging, status=_enum(OrderStatus, status))
    return render(
        request,
        "facilities/orders.html",
        {
            "page": page,
            "services": OrderRepository(session).services_of(page.items),
            "startups": names_by_id(session, Startup, {o.startup_id for o in page.items}),
            "status": status or "",
            "statuses": [(s.value, s.value.replace("_", " ").capitalize()) for s in OrderStatus],
            "params": {"status": status} if status else {},
        },
    )


@router.post("/facilities/orders/{order_id}/quote", name="facilities.orders.quote")
async def order_quote(request: Request, session: SessionDep, user: StaffPage, order: PageOrder) -> Response:
    values = form_values(await request.form())
    data, _errors = parse_form(QuoteForm, values)
    if data is None:
        flash(request, "Enter the quoted amount, e.g. 1250.00.", "error")
        return redirect(request, "/facilities/orders")
    service.quote_order(
        session, order=order, actor=user, amount_minor=to_minor(data.amount, order.currency), note=data.note
    )
    flash(request, "Quote sent.")
    return redirect(request, "/facilities/orders")


@router.post("/facilities/orders/{order_id}/accept", name="facilities.orders.accept")
def order_accept(request: Request, session: SessionDep, user: PageUser, order: PageOrder) -> Response:
    service.accept_order(session, order=order, actor=user)
    flash(request, "Quote accepted; the facility will start the work.")
    return redirect(request, "/facilities/mine")


@router.post("/facilities/orders/{order_id}/start", name="facilities.orders.start")
def order_start(request: Request, session: SessionDep, user: StaffPage, order: PageOrder) -> Response:
    service.start_order(session, order=order, actor=user)
    flash(request, "Work started.")
    return redirect(request, "/facilities/orders")


@router.post("/facilities/orders/{order_id}/deliver", name="facilities.orders.deliver")
def order_deliver(request: Request, session: SessionDep, user: StaffPage, order: PageOrder) -> Response:
    service.deliver_order(session, order=order, actor=user)
    flash(request, "Delivered; the order is now a charge.")
    return redirect(request, "/facilities/orders")


@router.post("/facilities/orders/{order_id}/cancel", name="facilities.orders.cancel")
def order_cancel(request: Request, session: SessionDep, user: PageUser, order: PageOrder) -> Response:
    service.cancel_order(session, order=order, actor=user)
    flash(request, "Order cancelled.")
    target = "/facilities/orders" if user.has_role(*STAFF_ROLES) else "/facilities/mine"
    return redirect(request, target)


# --- Charges and reports -------------------------------------------------------------------------------------------


def _charges_page(
    request: Request,
    session: SessionDep,
    user: User,
    paging: PageParams,
    period: str | None,
    site: str | None,
    category: str | None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    start = None
    try:
        start = service.parse_period(period) if period else None
    except AppError:
        start = None
    page = ChargeRepository(session).search(
        user,
        paging,
        site_id=_uuid(site),
        start=start,
        end=service.next_month(start) if start else None,
        category=_enum(ChargeCategory, category),
    )
    sites = SiteRepository(session).all()
    return render(
        request,
        "facilities/charges.html",
        {
            "page": page,
            "sites": sites,
            "site_names": {s.id: s.name for s in sites},
            "startups": names_by_id(session, Startup, {c.startup_id for c in page.items}),
            "period": period or "",
            "site": site or "",
            "category": category or "",
            "categories": [(c.value, c.label) for c in ChargeCategory],
            "params": {k: v for k, v in {"period": period, "site": site, "category": category}.items() if v},
            "values": values or {"period": f"{utcnow():%Y-%m}"},
            "errors": errors or {},
            "is_finance": user.has_role(*MANAGER_ROLES),
        },
        status_code=status_code,
    )


@router.get("/facilities/charges", response_class=HTMLResponse, name="facilities.charges")
def charges(
    request: Request,
    session: SessionDep,
    user: MoneyPage,
    paging: Paging,
    period: Annotated[str | None, Query(max_length=7)] = None,
    site: Annotated[str | None, Query(max_length=40)] = None,
    category: Annotated[str | None, Query(max_length=30)] = None,
) -> Response:
    """Charges at list price, one per billable thing: your startups' as a founder, all as finance."""
    return _charges_page(request, session, user, paging, period, site, category)


@router.post("/facilities/charges/generate", response_class=HTMLResponse, name="facilities.charges.generate")
async def charges_generate(request: Request, session: SessionDep, user: FinancePage) -> Response:
    values = form_values(await request.form())
    data, errors = parse_form(ChargeRunForm, values)
    if data is not None:
        found = SiteRepository(session).by_code(data.site_code)
        if found is None:
            errors = {"site_code": "Choose a site."}
        else:
            result = service.run_charge_step(session, site=found, period=service.parse_period(data.period), actor=user)
            flash(
                request,
                f"{found.name}, {data.period}: {result.created} new charge(s), {result.existing} already there.",
            )
            return redirect(request, f"/facilities/charges?period={data.period}&site={found.id}")
    return _charges_page(request, session, user, PageParams(), None, None, None, values, errors, 422)


@router.get("/facilities/reports", response_class=HTMLResponse, name="facilities.reports")
def reports(
    request: Request,
    session: SessionDep,
    user: StaffPage,
    period: Annotated[str | None, Query(max_length=7)] = None,
) -> Response:
    """Occupancy, equipment utilisation and charges by site and category, with charts (finance, programme)."""
    try:
        month = service.parse_period(period) if period else utcnow().date().replace(day=1)
    except AppError:
        month = utcnow().date().replace(day=1)
    occ = service.occupancy(session, period=month)
    util = service.utilisation(session, period=month)
    totals = ChargeRepository(session).totals_by_site_category(month, service.next_month(month))
    return render(
        request,
        "facilities/reports.html",
        {
            "month": month,
            "period": f"{month:%Y-%m}",
            "prev": f"{month - timedelta(days=1):%Y-%m}",
            "next": f"{service.next_month(month):%Y-%m}",
            "occupancy": occ,
            "utilisation": util,
            "totals": totals,
            "occupancy_chart": Markup(charts.occupancy_chart(occ)),  # noqa: S704 - SVG rendered by pygal from our data
            "utilisation_chart": Markup(charts.utilisation_chart(util)),  # noqa: S704
            "charges_chart": Markup(charts.charges_chart(totals)),  # noqa: S704
        },
    )


# --- Training and biosafety clearance (staff) ------------------------------------------------------------------------


def _qualifications_page(
    request: Request,
    session: SessionDep,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    quals = QualificationRepository(session)
    clearances = quals.clearances()
    resources = [r for site in SiteRepository(session).all() for r in ResourceRepository(session).for_site(site.id)]
    startups = all_startups(session)
    return render(
        request,
        "facilities/qualifications.html",
        {
            "trainings": quals.trainings(),
            "clearances": clearances,
            "startup_names": {s.id: s.name for s in startups},
            "resource_options": [(str(r.id), r.name) for r in resources],
            "startup_options": [(str(s.id), s.name) for s in startups],
            "levels": [(b.value, b.label) for b in BiosafetyLevel if b != BiosafetyLevel.none],
            "today": utcnow().date(),
            "values": values or {},
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/facilities/qualifications", response_class=HTMLResponse, name="facilities.qualifications")
def qualifications(request: Request, session: SessionDep, user: StaffPage) -> Response:
    """Who is trained on which equipment, and which startups are cleared for which biosafety level."""
    return _qualifications_page(request, session)


@router.post("/facilities/qualifications/training", response_class=HTMLResponse, name="facilities.training.record")
async def record_training(request: Request, session: SessionDep, user: StaffPage) -> Response:
    values = form_values(await request.form())
    data, errors = parse_form(TrainingForm, values)
    if data is not None:
        person = UserRepository(session).by_email(data.email)
        if person is None:
            errors = {"email": "No account has this e-mail."}
        else:
            try:
                resource = ResourceRepository(session).get_or_404(data.resource_id)
                service.record_training(
                    session,
                    user_id=person.id,
                    resource=resource,
                    qualified_date=data.qualified_date,
                    expires_date=data.expires_date,
                    actor=user,
                )
            except AppError as exc:
                errors = exc.field_errors or {"__all__": exc.detail}
    if errors or data is None:
        return _qualifications_page(request, session, values, errors, 422)
    flash(request, f"Training recorded for {data.email}.")
    return redirect(request, "/facilities/qualifications")


@router.post("/facilities/qualifications/clearance", response_class=HTMLResponse, name="facilities.clearance.grant")
async def grant_clearance(request: Request, session: SessionDep, user: StaffPage) -> Response:
    values = form_values(await request.form())
    data, errors = parse_form(ClearanceForm, values)
    if data is not None:
        try:
            service.grant_clearance(
                session,
                startup_id=data.startup_id,
                level=data.level,
                granted_date=data.granted_date,
                expires_date=data.expires_date,
                actor=user,
            )
        except AppError as exc:
            errors = exc.field_errors or {"__all__": exc.detail}
    if errors or data is None:
        return _qualifications_page(request, session, values, errors, 422)
    flash(request, "Biosafety clearance recorded.")
    return redirect(request, "/facilities/qualifications")


# --- Catalogue (finance) -------------------------------------------------------------------------------------------

CATALOGUE_OPTIONS = {
    "space_kinds": [(k.value, k.label) for k in SpaceKind],
    "categories": CATEGORIES,
    "levels": LEVELS,
    "service_categories": [(c.value, c.label) for c in ServiceCategory],
    "service_units": [(u.value, u.label) for u in ServiceUnit],
    "tiers": [(t.value, t.value.capitalize()) for t in PlanTier],
    "currencies": [(c, c) for c in SUPPORTED_CURRENCIES],
}


def _checkbox(values: dict[str, Any], name: str) -> None:
    values[name] = values.get(name) in ("1", "on", "true")


@router.get("/facilities/sites", response_class=HTMLResponse, name="facilities.sites")
def sites(request: Request, session: SessionDep, user: FinancePage) -> Response:
    """Sites, each with its catalogue (finance)."""
    return render(
        request,
        "facilities/sites.html",
        {"sites": SiteRepository(session).all(active_only=False), "values": {}, "errors": {}, **CATALOGUE_OPTIONS},
    )


@router.post("/facilities/sites", response_class=HTMLResponse, name="facilities.sites.create")
async def site_create(request: Request, session: SessionDep, user: FinancePage) -> Response:
    values = form_values(await request.form())
    data, errors = parse_form(SiteForm, values)
    if data is not None:
        try:
            made = service.create_site(session, actor=user, **data.model_dump())
        except AppError as exc:
            errors = exc.field_errors or {"__all__": exc.detail}
    if errors or data is None:
        return render(
            request,
            "facilities/sites.html",
            {
                "sites": SiteRepository(session).all(active_only=False),
                "values": values,
                "errors": errors,
                **CATALOGUE_OPTIONS,
            },
            status_code=422,
        )
    flash(request, f"Site {made.name} added.")
    return redirect(request, f"/facilities/sites/{made.id}")


def _site_page(
    request: Request,
    session: SessionDep,
    site: Site,
    form: str | None = None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    spaces = SpaceRepository(session).for_site(site.id)
    resources = ResourceRepository(session).for_site(site.id)
    plans = PlanRepository(session).for_site(site.id)
    today = service.local_date(site, utcnow())
    leases = [
        lease for lease in LeaseRepository(session).in_period(site.id, today, date.max) if lease.site_id == site.id
    ]
    memberships = MembershipRepository(session).in_period(site.id, today, date.max)
    startups = all_startups(session)
    return render(
        request,
        "facilities/site.html",
        {
            "site": site,
            "tax_rates": SiteRepository(session).tax_rates(site.id),
            "spaces": spaces,
            "resources": resources,
            "services": [s for s, _ in ServiceRepository(session).catalogue(site.id)],
            "plans": plans,
            "leases": leases,
            "memberships": memberships,
            "space_names": {s.id: s.name for s in spaces},
            "plan_names": {p.id: p.name for p in plans},
            "startup_names": {s.id: s.name for s in startups},
            "startup_options": [(str(s.id), s.name) for s in startups],
            "space_options": [(str(s.id), s.name) for s in spaces],
            "plan_options": [(str(p.id), p.name) for p in plans],
            "resource_options": [(str(r.id), r.name) for r in resources],
            "form": form,
            "values": values or {},
            "errors": errors or {},
            **CATALOGUE_OPTIONS,
        },
        status_code=status_code,
    )


@router.get("/facilities/sites/{site_id}", response_class=HTMLResponse, name="facilities.site")
def site_detail(request: Request, session: SessionDep, user: FinancePage, site_id: uuid.UUID) -> Response:
    """A site's catalogue: spaces, equipment, services, plans, leases and memberships, with forms to add them."""
    return _site_page(request, session, SiteRepository(session).get_or_404(site_id))


async def _site_form(
    request: Request, session: SessionDep, site: Site, form: str, model: Any, action: Any, done: str
) -> Response:
    values = form_values(await request.form())
    for name in ("requires_training", "needs_quote"):
        _checkbox(values, name)
    data, errors = parse_form(model, values)
    status_code = 422
    if data is not None:
        try:
            action(data)
        except AppError as exc:
            if isinstance(exc, PermissionDenied):
                raise
            errors = exc.field_errors or {"__all__": exc.detail}
            status_code = exc.status
    if errors or data is None:
        return _site_page(request, session, site, form, values, errors, status_code)
    flash(request, done)
    return redirect(request, f"/facilities/sites/{site.id}#{form}")


@router.post("/facilities/sites/{site_id}/spaces", response_class=HTMLResponse, name="facilities.site.spaces")
async def site_space(request: Request, session: SessionDep, user: FinancePage, site_id: uuid.UUID) -> Response:
    site = SiteRepository(session).get_or_404(site_id)

    def act(d: SpaceForm) -> None:
        values = d.model_dump(exclude={"monthly_price"})
        service.create_space(
            session, site=site, actor=user, monthly_price_minor=to_minor(d.monthly_price, site.currency), **values
        )

    return await _site_form(request, session, site, "spaces", SpaceForm, act, "Space added.")


@router.post("/facilities/sites/{site_id}/resources", response_class=HTMLResponse, name="facilities.site.resources")
async def site_resource(request: Request, session: SessionDep, user: FinancePage, site_id: uuid.UUID) -> Response:
    site = SiteRepository(session).get_or_404(site_id)

    def act(d: ResourceForm) -> None:
        values = d.model_dump(exclude={"hourly_rate", "late_cancel_fee"})
        service.create_resource(
            session,
            site=site,
            actor=user,
            hourly_rate_minor=to_minor(d.hourly_rate, site.currency),
            late_cancel_fee_minor=to_minor(d.late_cancel_fee, site.currency),
            **values,
        )

    return await _site_form(request, session, site, "resources", ResourceForm, act, "Equipment added.")


@router.post(
    "/facilities/sites/{site_id}/resources/{resource_id}/rate", response_class=HTMLResponse, name="facilities.site.rate"
)
async def site_rate(
    request: Request, session: SessionDep, user: FinancePage, site_id: uuid.UUID, resource_id: uuid.UUID
) -> Response:
    site = SiteRepository(session).get_or_404(site_id)
    resource = ResourceRepository(session).get_or_404(resource_id)
    if resource.site_id != site.id:
        raise NotFound("No such equipment at this site.")

    def act(d: RateForm) -> None:
        changes = {"hourly_rate_minor": to_minor(d.hourly_rate, site.currency)}
        service.update_resource(session, resource=resource, actor=user, changes=changes)

    done = "Rate changed for new bookings; confirmed bookings keep their price."
    return await _site_form(request, session, site, "resources", RateForm, act, done)


@router.post("/facilities/sites/{site_id}/services", response_class=HTMLResponse, name="facilities.site.services")
async def site_service(request: Request, session: SessionDep, user: FinancePage, site_id: uuid.UUID) -> Response:
    site = SiteRepository(session).get_or_404(site_id)

    def act(d: ServiceForm) -> None:
        values = d.model_dump(exclude={"unit_price"})
        service.create_service(
            session, site=site, actor=user, unit_price_minor=to_minor(d.unit_price, site.currency), **values
        )

    return await _site_form(request, session, site, "services", ServiceForm, act, "Service added to the catalogue.")


@router.post("/facilities/sites/{site_id}/plans", response_class=HTMLResponse, name="facilities.site.plans")
async def site_plan(request: Request, session: SessionDep, user: FinancePage, site_id: uuid.UUID) -> Response:
    site = SiteRepository(session).get_or_404(site_id)

    def act(d: PlanForm) -> None:
        service.create_plan(
            session,
            site=site,
            actor=user,
            name=d.name,
            tier=d.tier,
            monthly_fee_minor=to_minor(d.monthly_fee, site.currency),
            included_minutes=d.included_hours * 60,
            discount_rate=(d.discount_percent / 100).quantize(Decimal("0.0001")),
            booking_days_ahead=d.booking_days_ahead,
        )

    return await _site_form(request, session, site, "plans", PlanForm, act, "Plan added.")


@router.post("/facilities/sites/{site_id}/leases", response_class=HTMLResponse, name="facilities.site.leases")
async def site_lease(request: Request, session: SessionDep, user: FinancePage, site_id: uuid.UUID) -> Response:
    site = SiteRepository(session).get_or_404(site_id)

    def act(d: LeaseForm) -> None:
        space = SpaceRepository(session).get_or_404(d.space_id)
        if space.site_id != site.id:
            raise NotFound("No such space at this site.")
        service.create_lease(
            session, startup_id=d.startup_id, space=space, start_date=d.start_date, end_date=d.end_date, actor=user
        )

    return await _site_form(request, session, site, "leases", LeaseForm, act, "Lease signed.")


@router.post("/facilities/sites/{site_id}/memberships", response_class=HTMLResponse, name="facilities.site.memberships")
async def site_membership(request: Request, session: SessionDep, user: FinancePage, site_id: uuid.UUID) -> Response:
    site = SiteRepository(session).get_or_404(site_id)

    def act(d: MembershipForm) -> None:
        plan = PlanRepository(session).get_or_404(d.plan_id)
        if plan.site_id != site.id:
            raise NotFound("No such plan at this site.")
        service.create_membership(
            session, startup_id=d.startup_id, plan=plan, start_date=d.start_date, end_date=d.end_date, actor=user
        )

    return await _site_form(request, session, site, "memberships", MembershipForm, act, "Membership started.")


@router.post("/facilities/sites/{site_id}/maintenance", response_class=HTMLResponse, name="facilities.site.maintenance")
async def site_maintenance(request: Request, session: SessionDep, user: FinancePage, site_id: uuid.UUID) -> Response:
    site = SiteRepository(session).get_or_404(site_id)

    def act(d: MaintenanceForm) -> None:
        resource = ResourceRepository(session).get_or_404(d.resource_id)
        if resource.site_id != site.id:
            raise NotFound("No such equipment at this site.")
        tz = service.zone(site)
        service.add_maintenance_block(
            session,
            resource=resource,
            start_at=d.start.replace(tzinfo=tz) if d.start.tzinfo is None else d.start,
            end_at=d.end.replace(tzinfo=tz) if d.end.tzinfo is None else d.end,
            reason=d.reason,
            actor=user,
        )

    return await _site_form(request, session, site, "maintenance", MaintenanceForm, act, "Maintenance scheduled.")


# --- All bookings (staff) ------------------------------------------------------------------------------------------


@router.get("/facilities/bookings", response_class=HTMLResponse, name="facilities.bookings")
def bookings(
    request: Request,
    session: SessionDep,
    user: StaffPage,
    paging: Paging,
    resource: Annotated[str | None, Query(max_length=40)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    upcoming: Annotated[str | None, Query(max_length=5)] = None,
) -> Response:
    """Every startup's bookings with their frozen prices; finance re-prices from here (audited)."""
    page = BookingRepository(session).search(
        user,
        paging,
        resource_id=_uuid(resource),
        status=_enum(BookingStatus, status),
        upcoming_from=utcnow() if upcoming else None,
    )
    repo = BookingRepository(session)
    resources = repo.with_resources(page.items)
    all_resources = [r for site in SiteRepository(session).all() for r in ResourceRepository(session).for_site(site.id)]
    return render(
        request,
        "facilities/bookings.html",
        {
            "page": page,
            "resources": resources,
            "sites": {s.id: s for s in SiteRepository(session).all(active_only=False)},
            "startups": names_by_id(session, Startup, {b.startup_id for b in page.items}),
            "resource_options": [(str(r.id), r.name) for r in all_resources],
            "resource": resource or "",
            "status": status or "",
            "upcoming": bool(upcoming),
            "params": {k: v for k, v in {"resource": resource, "status": status, "upcoming": upcoming}.items() if v},
            "can_reprice": user.has_role(*MANAGER_ROLES),
        },
    )


@router.post("/facilities/bookings/{booking_id}/reprice", name="facilities.booking.reprice")
async def reprice(request: Request, session: SessionDep, user: FinancePage, booking: PageBooking) -> Response:
    values = form_values(await request.form())
    reason = str(values.get("reason") or "").strip()[:300]
    service.reprice_booking(session, booking=booking, actor=user, reason=reason)
    flash(request, f"Re-priced at the current rate: {booking.amount_minor / 100:.2f} {booking.currency}.")
    return redirect(request, "/facilities/bookings")


@router.post(
    "/facilities/sites/{site_id}/leases/{lease_id}/end", response_class=HTMLResponse, name="facilities.lease.end"
)
async def lease_end(
    request: Request, session: SessionDep, user: FinancePage, site_id: uuid.UUID, lease_id: uuid.UUID
) -> Response:
    site = SiteRepository(session).get_or_404(site_id)
    lease = LeaseRepository(session).get_or_404(lease_id)

    def act(d: EndForm) -> None:
        service.end_lease(session, lease=lease, end_date=d.end_date, actor=user)

    return await _site_form(request, session, site, "leases", EndForm, act, "Lease end brought forward.")


@router.post(
    "/facilities/sites/{site_id}/memberships/{membership_id}/end",
    response_class=HTMLResponse,
    name="facilities.membership.end",
)
async def membership_end(
    request: Request, session: SessionDep, user: FinancePage, site_id: uuid.UUID, membership_id: uuid.UUID
) -> Response:
    site = SiteRepository(session).get_or_404(site_id)
    membership = MembershipRepository(session).get_or_404(membership_id)

    def act(d: EndForm) -> None:
        service.end_membership(session, membership=membership, end_date=d.end_date, actor=user)

    return await _site_form(request, session, site, "memberships", EndForm, act, "Membership end brought forward.")
