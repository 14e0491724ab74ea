"""Every query of the facilities package, including who may see which booking, order and charge."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from facilities.models import (
    AllowanceEntry,
    BiosafetyClearance,
    Booking,
    BookingStatus,
    CalendarFeed,
    Charge,
    ChargeCategory,
    Lease,
    MaintenanceBlock,
    Membership,
    OrderStatus,
    PassThroughCost,
    Plan,
    PlanService,
    Resource,
    ResourceCategory,
    Service,
    ServiceOrder,
    Site,
    Space,
    SpaceKind,
    TaxRate,
    Training,
)
from incubator.models import Role, User
from incubator.pagination import Page, PageParams
from incubator.repository import Repository
from startups.models import BiosafetyLevel, Startup
from startups.repository import member_startup_ids

# Who sees every startup's bookings, orders and charges.
STAFF_ROLES = (Role.finance, Role.program_manager)
# Who prices and runs the facilities (catalogue, leases, memberships, charges).
MANAGER_ROLES = (Role.finance,)
# Who books equipment and orders services (staff may act for a startup).
BOOKER_ROLES = (Role.founder, Role.finance, Role.program_manager)


# The longest a booking can block its resource: the longest booking (14 days) plus the longest buffer (7 days), as
# the schemas cap them. Overlap queries bound `start_at` from below with it, so they read an index range near the
# window instead of every older booking of the resource (50,000 rows for a busy machine).
MAX_BLOCK = timedelta(days=21)


def is_staff(user: User) -> bool:
    return user.has_role(*STAFF_ROLES)


def _startup_scope(user: User, column: Any) -> Any:
    """A WHERE clause limiting rows to the startups `user` belongs to (None for staff, who see all)."""
    if is_staff(user):
        return None
    return col(column).in_(member_startup_ids(user.id))


class SiteRepository(Repository[Site]):
    model = Site
    label = "site"

    def all(self, *, active_only: bool = True) -> list[Site]:
        stmt = select(Site).order_by(Site.name)
        if active_only:
            stmt = stmt.where(col(Site.is_active))
        return list(self.session.exec(stmt).all())

    def by_code(self, code: str) -> Site | None:
        return self.session.exec(select(Site).where(func.upper(Site.code) == code.strip().upper())).first()

    def tax_rates(self, site_id: uuid.UUID) -> list[TaxRate]:
        stmt = select(TaxRate).where(TaxRate.site_id == site_id).order_by(col(TaxRate.effective_date).desc())
        return list(self.session.exec(stmt).all())


class SpaceRepository(Repository[Space]):
    model = Space
    label = "space"

    def search(
        self, params: PageParams, *, site_id: uuid.UUID | None = None, kind: SpaceKind | None = None
    ) -> Page[Space]:
        stmt = select(Space).where(col(Space.is_active))
        if site_id:
            stmt = stmt.where(Space.site_id == site_id)
        if kind:
            stmt = stmt.where(Space.kind == kind)
        return self.paginate(stmt.order_by(Space.name, col(Space.id)), params)

    def for_site(self, site_id: uuid.UUID) -> list[Space]:
        stmt = select(Space).where(Space.site_id == site_id, col(Space.is_active)).order_by(Space.kind, Space.name)
        return list(self.session.exec(stmt).all())


@dataclass(frozen=True)
class DirectoryFilters:
    q: str | None = None
    site_id: uuid.UUID | None = None
    category: ResourceCategory | None = None
    min_volume: Decimal | None = None
    max_volume: Decimal | None = None
    biosafety_level: BiosafetyLevel | None = None


class ResourceRepository(Repository[Resource]):
    model = Resource
    label = "resource"

    def directory(self, filters: DirectoryFilters) -> list[tuple[Resource, Site]]:
        """Every active resource across the sites matching the filters (the list is small: one row per machine)."""
        stmt = select(Resource, Site).join(Site, col(Site.id) == Resource.site_id).where(col(Resource.is_active))
        if filters.q:
            like = f"%{filters.q.strip().lower()}%"
            stmt = stmt.where(sa.or_(func.lower(Resource.name).like(like), func.lower(Resource.description).like(like)))
        if filters.site_id:
            stmt = stmt.where(Resource.site_id == filters.site_id)
        if filters.category:
            stmt = stmt.where(Resource.category == filters.category)
        if filters.min_volume is not None:
            stmt = stmt.where(col(Resource.volume_litres) >= filters.min_volume)
        if filters.max_volume is not None:
            stmt = stmt.where(col(Resource.volume_litres) <= filters.max_volume)
        if filters.biosafety_level:
            stmt = stmt.where(Resource.biosafety_level == filters.biosafety_level)
        stmt = stmt.order_by(Site.name, Resource.category, col(Resource.volume_litres), Resource.name)
        return [(r, s) for r, s in self.session.exec(stmt).all()]

    def for_site(self, site_id: uuid.UUID) -> list[Resource]:
        stmt = select(Resource).where(Resource.site_id == site_id, col(Resource.is_active)).order_by(Resource.name)
        return list(self.session.exec(stmt).all())

    def maintenance_overlapping(self, resource_id: uuid.UUID, start: datetime, end: datetime) -> list[MaintenanceBlock]:
        stmt = (
            select(MaintenanceBlock)
            .where(
                MaintenanceBlock.resource_id == resource_id,
                col(MaintenanceBlock.start_at) < end,
                col(MaintenanceBlock.end_at) > start,
            )
            .order_by(col(MaintenanceBlock.start_at))
        )
        return list(self.session.exec(stmt).all())

    def blocked_minutes(self, resource_ids: list[uuid.UUID], start: datetime, end: datetime) -> dict[uuid.UUID, int]:
        """Minutes of [start, end) each resource is taken by confirmed bookings (buffer included) or maintenance."""
        out: dict[uuid.UUID, int] = dict.fromkeys(resource_ids, 0)
        if not resource_ids:
            return out
        rows = self.session.exec(
            select(Booking.resource_id, Booking.start_at, Booking.blocked_until).where(
                col(Booking.resource_id).in_(resource_ids),
                Booking.status == BookingStatus.confirmed,
                col(Booking.start_at) < end,
                col(Booking.start_at) > start - MAX_BLOCK,
                col(Booking.blocked_until) > start,
            )
        ).all()
        blocks = self.session.exec(
            select(MaintenanceBlock.resource_id, MaintenanceBlock.start_at, MaintenanceBlock.end_at).where(
                col(MaintenanceBlock.resource_id).in_(resource_ids),
                col(MaintenanceBlock.start_at) < end,
                col(MaintenanceBlock.end_at) > start,
            )
        ).all()
        for rid, s, e in [*rows, *blocks]:
            out[rid] += int((min(e, end) - max(s, start)).total_seconds() // 60)
        return out


class BookingRepository(Repository[Booking]):
    model = Booking
    label = "booking"

    def readable_by(self, user: User, booking_id: uuid.UUID) -> Booking | None:
        stmt = select(Booking).where(Booking.id == booking_id)
        where = _startup_scope(user, Booking.startup_id)
        if where is not None:
            stmt = stmt.where(where)
        return self.session.exec(stmt).first()

    def first_overlapping(self, resource_id: uuid.UUID, start: datetime, until: datetime) -> Booking | None:
        """A confirmed booking whose blocked interval [start_at, blocked_until) meets [start, until)."""
        stmt = (
            select(Booking)
            .where(
                Booking.resource_id == resource_id,
                Booking.status == BookingStatus.confirmed,
                col(Booking.start_at) < until,
                col(Booking.start_at) > start - MAX_BLOCK,
                col(Booking.blocked_until) > start,
            )
            .order_by(col(Booking.start_at))
            .limit(1)
        )
        return self.session.exec(stmt).first()

    def in_window(self, resource_id: uuid.UUID, start: datetime, end: datetime) -> list[tuple[Booking, str]]:
        """Confirmed bookings touching [start, end), with their startup's name, for the availability calendar."""
        stmt = (
            select(Booking, Startup.name)
            .join(Startup, col(Startup.id) == Booking.startup_id)
            .where(
                Booking.resource_id == resource_id,
                Booking.status == BookingStatus.confirmed,
                col(Booking.start_at) < end,
                col(Booking.start_at) > start - MAX_BLOCK,
                col(Booking.blocked_until) > start,
            )
            .order_by(col(Booking.start_at))
        )
        return [(b, n) for b, n in self.session.exec(stmt).all()]

    def search(
        self,
        user: User,
        params: PageParams,
        *,
        startup_id: uuid.UUID | None = None,
        resource_id: uuid.UUID | None = None,
        status: BookingStatus | None = None,
        upcoming_from: datetime | None = None,
    ) -> Page[Booking]:
        stmt = select(Booking)
        where = _startup_scope(user, Booking.startup_id)
        if where is not None:
            stmt = stmt.where(where)
        if startup_id:
            stmt = stmt.where(Booking.startup_id == startup_id)
        if resource_id:
            stmt = stmt.where(Booking.resource_id == resource_id)
        if status:
            stmt = stmt.where(Booking.status == status)
        if upcoming_from:
            stmt = stmt.where(col(Booking.end_at) > upcoming_from)
            stmt = stmt.order_by(col(Booking.start_at), col(Booking.id))
        else:
            stmt = stmt.order_by(col(Booking.start_at).desc(), col(Booking.id))
        return self.paginate(stmt, params)

    def with_resources(self, bookings: list[Booking]) -> dict[uuid.UUID, Resource]:
        ids = {b.resource_id for b in bookings}
        if not ids:
            return {}
        return {r.id: r for r in self.session.exec(select(Resource).where(col(Resource.id).in_(ids))).all()}

    def for_user_feed(self, user_id: uuid.UUID, since: datetime) -> list[tuple[Booking, Resource, Site]]:
        stmt = (
            select(Booking, Resource, Site)
            .join(Resource, col(Resource.id) == Booking.resource_id)
            .join(Site, col(Site.id) == Booking.site_id)
            .where(Booking.user_id == user_id, col(Booking.end_at) > since)
            .order_by(col(Booking.start_at))
            .limit(1000)
        )
        return [(b, r, s) for b, r, s in self.session.exec(stmt).all()]

    def billable_in(self, site_id: uuid.UUID, start: date, end: date) -> list[Booking]:
        stmt = select(Booking).where(
            Booking.site_id == site_id,
            Booking.status == BookingStatus.confirmed,
            col(Booking.amount_minor) > 0,
            col(Booking.service_date) >= start,
            col(Booking.service_date) < end,
        )
        return list(self.session.exec(stmt).all())

    def late_cancelled_in(self, site_id: uuid.UUID, start: datetime, end: datetime) -> list[Booking]:
        stmt = select(Booking).where(
            Booking.site_id == site_id,
            Booking.status == BookingStatus.cancelled,
            col(Booking.late_fee_minor) > 0,
            col(Booking.cancelled_at) >= start,
            col(Booking.cancelled_at) < end,
        )
        return list(self.session.exec(stmt).all())

    def booked_minutes_by_resource(self, site_id: uuid.UUID, start: datetime, end: datetime) -> dict[uuid.UUID, int]:
        rows = self.session.exec(
            select(Booking.resource_id, Booking.start_at, Booking.end_at).where(
                Booking.site_id == site_id,
                Booking.status == BookingStatus.confirmed,
                col(Booking.start_at) < end,
                col(Booking.start_at) > start - MAX_BLOCK,
                col(Booking.end_at) > start,
            )
        ).all()
        out: dict[uuid.UUID, int] = {}
        for rid, s, e in rows:
            out[rid] = out.get(rid, 0) + int((min(e, end) - max(s, start)).total_seconds() // 60)
        return out


class PlanRepository(Repository[Plan]):
    model = Plan
    label = "plan"

    def for_site(self, site_id: uuid.UUID | None = None) -> list[Plan]:
        stmt = select(Plan).where(col(Plan.is_active)).order_by(col(Plan.site_id), col(Plan.monthly_fee_minor).desc())
        if site_id:
            stmt = stmt.where(Plan.site_id == site_id)
        return list(self.session.exec(stmt).all())

    def includes_service(self, plan_id: uuid.UUID, service_id: uuid.UUID) -> bool:
        return self.session.get(PlanService, (plan_id, service_id)) is not None

    def included_service_ids(self, plan_id: uuid.UUID) -> list[uuid.UUID]:
        return list(self.session.exec(select(PlanService.service_id).where(PlanService.plan_id == plan_id)).all())


class MembershipRepository(Repository[Membership]):
    model = Membership
    label = "membership"

    def active_on(
        self, startup_id: uuid.UUID, site_id: uuid.UUID, day: date, *, lock: bool = False
    ) -> Membership | None:
        stmt = select(Membership).where(
            Membership.startup_id == startup_id,
            Membership.site_id == site_id,
            col(Membership.cancelled_at).is_(None),
            col(Membership.start_date) <= day,
            sa.or_(col(Membership.end_date).is_(None), col(Membership.end_date) > day),
        )
        if lock:
            # Serialises allowance use of one startup on PostgreSQL (SQLite serialises every write already).
            stmt = stmt.with_for_update()
        return self.session.exec(stmt.order_by(col(Membership.start_date).desc())).first()

    def overlapping(
        self, startup_id: uuid.UUID, site_id: uuid.UUID, start: date, end: date | None
    ) -> Membership | None:
        stmt = select(Membership).where(
            Membership.startup_id == startup_id,
            Membership.site_id == site_id,
            col(Membership.cancelled_at).is_(None),
            sa.or_(col(Membership.end_date).is_(None), col(Membership.end_date) > start),
        )
        if end is not None:
            stmt = stmt.where(col(Membership.start_date) < end)
        return self.session.exec(stmt).first()

    def in_period(self, site_id: uuid.UUID, start: date, end: date) -> list[Membership]:
        stmt = select(Membership).where(
            Membership.site_id == site_id,
            col(Membership.cancelled_at).is_(None),
            col(Membership.start_date) < end,
            sa.or_(col(Membership.end_date).is_(None), col(Membership.end_date) > start),
        )
        return list(self.session.exec(stmt).all())

    def search(self, user: User, params: PageParams, *, startup_id: uuid.UUID | None = None) -> Page[Membership]:
        stmt = select(Membership).where(col(Membership.cancelled_at).is_(None))
        where = _startup_scope(user, Membership.startup_id)
        if where is not None:
            stmt = stmt.where(where)
        if startup_id:
            stmt = stmt.where(Membership.startup_id == startup_id)
        return self.paginate(stmt.order_by(col(Membership.start_date).desc(), col(Membership.id)), params)


class LeaseRepository(Repository[Lease]):
    model = Lease
    label = "lease"

    def overlapping(self, space_id: uuid.UUID, start: date, end: date | None) -> Lease | None:
        stmt = select(Lease).where(
            Lease.space_id == space_id,
            col(Lease.cancelled_at).is_(None),
            sa.or_(col(Lease.end_date).is_(None), col(Lease.end_date) > start),
        )
        if end is not None:
            stmt = stmt.where(col(Lease.start_date) < end)
        return self.session.exec(stmt).first()

    def in_period(self, site_id: uuid.UUID, start: date, end: date) -> list[Lease]:
        stmt = select(Lease).where(
            Lease.site_id == site_id,
            col(Lease.cancelled_at).is_(None),
            col(Lease.start_date) < end,
            sa.or_(col(Lease.end_date).is_(None), col(Lease.end_date) > start),
        )
        return list(self.session.exec(stmt).all())

    def search(self, user: User, params: PageParams, *, startup_id: uuid.UUID | None = None) -> Page[Lease]:
        stmt = select(Lease).where(col(Lease.cancelled_at).is_(None))
        where = _startup_scope(user, Lease.startup_id)
        if where is not None:
            stmt = stmt.where(where)
        if startup_id:
            stmt = stmt.where(Lease.startup_id == startup_id)
        return self.paginate(stmt.order_by(col(Lease.start_date).desc(), col(Lease.id)), params)


class QualificationRepository:
    def __init__(self, session: Session):
        self.session = session

    def training_valid(self, user_id: uuid.UUID, resource_id: uuid.UUID, day: date) -> bool:
        stmt = select(Training.id).where(
            Training.user_id == user_id,
            Training.resource_id == resource_id,
            col(Training.qualified_date) <= day,
            sa.or_(col(Training.expires_date).is_(None), col(Training.expires_date) > day),
        )
        return self.session.exec(stmt).first() is not None

    def clearance_valid(self, startup_id: uuid.UUID, level: BiosafetyLevel, day: date) -> bool:
        accepted = [lv for lv in BiosafetyLevel if lv.rank >= level.rank]
        stmt = select(BiosafetyClearance.id).where(
            BiosafetyClearance.startup_id == startup_id,
            col(BiosafetyClearance.level).in_(accepted),
            col(BiosafetyClearance.granted_date) <= day,
            col(BiosafetyClearance.expires_date) > day,
        )
        return self.session.exec(stmt).first() is not None

    def trainings(self, *, user_id: uuid.UUID | None = None) -> list[tuple[Training, Resource, User]]:
        stmt = (
            select(Training, Resource, User)
            .join(Resource, col(Resource.id) == Training.resource_id)
            .join(User, col(User.id) == Training.user_id)
            .order_by(User.full_name, Resource.name)
        )
        if user_id:
            stmt = stmt.where(Training.user_id == user_id)
        return [(t, r, u) for t, r, u in self.session.exec(stmt).all()]

    def clearances(self, startup_id: uuid.UUID | None = None) -> list[BiosafetyClearance]:
        stmt = select(BiosafetyClearance).order_by(col(BiosafetyClearance.expires_date).desc())
        if startup_id:
            stmt = stmt.where(BiosafetyClearance.startup_id == startup_id)
        return list(self.session.exec(stmt).all())


class AllowanceRepository:
    def __init__(self, session: Session):
        self.session = session

    def balance(self, startup_id: uuid.UUID, site_id: uuid.UUID, month: date) -> int:
        stmt = select(func.coalesce(func.sum(AllowanceEntry.minutes), 0)).where(
            AllowanceEntry.startup_id == startup_id,
            AllowanceEntry.site_id == site_id,
            AllowanceEntry.month == month,
        )
        return int(self.session.exec(stmt).one())

    def by_key(self, key: str) -> AllowanceEntry | None:
        return self.session.exec(select(AllowanceEntry).where(AllowanceEntry.entry_key == key)).first()

    def entries(self, startup_id: uuid.UUID, month: date) -> list[AllowanceEntry]:
        stmt = (
            select(AllowanceEntry)
            .where(AllowanceEntry.startup_id == startup_id, AllowanceEntry.month == month)
            .order_by(col(AllowanceEntry.created_at))
        )
        return list(self.session.exec(stmt).all())


class ServiceRepository(Repository[Service]):
    model = Service
    label = "service"

    def catalogue(self, site_id: uuid.UUID | None = None) -> list[tuple[Service, Site]]:
        stmt = (
            select(Service, Site)
            .join(Site, col(Site.id) == Service.site_id)
            .where(col(Service.is_active))
            .order_by(Site.name, Service.category, Service.name)
        )
        if site_id:
            stmt = stmt.where(Service.site_id == site_id)
        return [(s, site) for s, site in self.session.exec(stmt).all()]


class OrderRepository(Repository[ServiceOrder]):
    model = ServiceOrder
    label = "service order"

    def readable_by(self, user: User, order_id: uuid.UUID) -> ServiceOrder | None:
        stmt = select(ServiceOrder).where(ServiceOrder.id == order_id)
        where = _startup_scope(user, ServiceOrder.startup_id)
        if where is not None:
            stmt = stmt.where(where)
        return self.session.exec(stmt).first()

    def search(
        self,
        user: User,
        params: PageParams,
        *,
        startup_id: uuid.UUID | None = None,
        status: OrderStatus | None = None,
    ) -> Page[ServiceOrder]:
        stmt = select(ServiceOrder)
        where = _startup_scope(user, ServiceOrder.startup_id)
        if where is not None:
            stmt = stmt.where(where)
        if startup_id:
            stmt = stmt.where(ServiceOrder.startup_id == startup_id)
        if status:
            stmt = stmt.where(ServiceOrder.status == status)
        return self.paginate(stmt.order_by(col(ServiceOrder.created_at).desc(), col(ServiceOrder.id)), params)

    def delivered_in(self, site_id: uuid.UUID, start: date, end: date) -> list[ServiceOrder]:
        stmt = select(ServiceOrder).where(
            ServiceOrder.site_id == site_id,
            ServiceOrder.status == OrderStatus.delivered,
            col(ServiceOrder.delivered_date) >= start,
            col(ServiceOrder.delivered_date) < end,
        )
        return list(self.session.exec(stmt).all())

    def costs(self, order_id: uuid.UUID) -> list[PassThroughCost]:
        stmt = (
            select(PassThroughCost)
            .where(PassThroughCost.order_id == order_id)
            .order_by(col(PassThroughCost.created_at))
        )
        return list(self.session.exec(stmt).all())

    def services_of(self, orders: list[ServiceOrder]) -> dict[uuid.UUID, Service]:
        ids = {o.service_id for o in orders}
        if not ids:
            return {}
        return {s.id: s for s in self.session.exec(select(Service).where(col(Service.id).in_(ids))).all()}


class ChargeRepository(Repository[Charge]):
    model = Charge
    label = "charge"

    def for_source_prefix(self, source_type: str, prefix: str) -> list[Charge]:
        stmt = select(Charge).where(Charge.source_type == source_type, col(Charge.source_ref).startswith(prefix))
        return list(self.session.exec(stmt).all())

    def by_source(self, source_type: str, source_ref: str) -> Charge | None:
        stmt = select(Charge).where(Charge.source_type == source_type, Charge.source_ref == source_ref)
        return self.session.exec(stmt).first()

    def search(
        self,
        user: User,
        params: PageParams,
        *,
        site_id: uuid.UUID | None = None,
        startup_id: uuid.UUID | None = None,
        start: date | None = None,
        end: date | None = None,
        category: ChargeCategory | None = None,
        include_voided: bool = False,
    ) -> Page[Charge]:
        stmt = select(Charge)
        where = _startup_scope(user, Charge.startup_id)
        if where is not None:
            stmt = stmt.where(where)
        if site_id:
            stmt = stmt.where(Charge.site_id == site_id)
        if startup_id:
            stmt = stmt.where(Charge.startup_id == startup_id)
        if start:
            stmt = stmt.where(col(Charge.service_date) >= start)
        if end:
            stmt = stmt.where(col(Charge.service_date) < end)
        if category:
            stmt = stmt.where(Charge.category == category)
        if not include_voided:
            stmt = stmt.where(col(Charge.voided_at).is_(None))
        return self.paginate(stmt.order_by(col(Charge.service_date).desc(), col(Charge.id)), params)

    def totals_by_site_category(self, start: date, end: date) -> list[tuple[str, str, str, int]]:
        """(site name, currency, category, amount) of live charges with a service date in [start, end)."""
        stmt = (
            select(Site.name, Charge.currency, Charge.category, func.sum(Charge.amount_minor))
            .join(Site, col(Site.id) == Charge.site_id)
            .where(col(Charge.voided_at).is_(None), col(Charge.service_date) >= start, col(Charge.service_date) < end)
            .group_by(Site.name, Charge.currency, Charge.category)
            .order_by(Site.name, Charge.category)
        )
        return [(s, c, str(getattr(cat, "value", cat)), int(a or 0)) for s, c, cat, a in self.session.exec(stmt).all()]


class CalendarFeedRepository:
    def __init__(self, session: Session):
        self.session = session

    def for_user(self, user_id: uuid.UUID) -> CalendarFeed | None:
        return self.session.get(CalendarFeed, user_id)

    def by_token(self, token: str) -> CalendarFeed | None:
        return self.session.exec(select(CalendarFeed).where(CalendarFeed.token == token)).first()


def startups_of(session: Session, user: User) -> list[Startup]:
    """The startups a user may book for: their own; staff may act for any."""
    stmt = select(Startup).order_by(Startup.name)
    if not is_staff(user):
        stmt = stmt.where(col(Startup.id).in_(member_startup_ids(user.id)))
    return list(session.exec(stmt).all())


def all_startups(session: Session) -> list[Startup]:
    """Every startup by name, for staff choosing one in a form."""
    return list(session.exec(select(Startup).order_by(Startup.name)).all())


def names_by_id(session: Session, model: Any, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    return dict(session.exec(select(model.id, model.name).where(col(model.id).in_(ids))).all())


def staff_summary(session: Session, start: datetime, end: datetime) -> dict[str, int]:
    """Counts for the staff dashboard: confirmed bookings starting in [start, end), orders waiting on staff."""
    bookings = session.exec(
        select(func.count())
        .select_from(Booking)
        .where(
            Booking.status == BookingStatus.confirmed,
            col(Booking.start_at) >= start,
            col(Booking.start_at) < end,
        )
    ).one()
    waiting = session.exec(
        select(func.count())
        .select_from(ServiceOrder)
        .where(col(ServiceOrder.status).in_([OrderStatus.requested, OrderStatus.accepted, OrderStatus.in_progress]))
    ).one()
    return {"bookings": int(bookings), "orders_waiting": int(waiting)}
