"""Use cases of the facilities package: catalogue, memberships and leases, qualifications, bookings with their
frozen prices and the allowance ledger, service orders, and the charge step that turns every billable thing into
exactly one charge."""

from __future__ import annotations

import calendar
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from facilities.errors import (
    BookingBlocked,
    BookingConflict,
    BookingNotAllowed,
    LeaseConflict,
    QualificationMissing,
    WrongSite,
)
from facilities.models import (
    AllowanceEntry,
    AllowanceKind,
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
    Service,
    ServiceOrder,
    Site,
    Space,
    TaxRate,
    Training,
)
from facilities.repository import (
    MANAGER_ROLES,
    STAFF_ROLES,
    AllowanceRepository,
    BookingRepository,
    CalendarFeedRepository,
    ChargeRepository,
    LeaseRepository,
    MembershipRepository,
    OrderRepository,
    PlanRepository,
    QualificationRepository,
    ResourceRepository,
    SiteRepository,
    SpaceRepository,
)
from incubator import audit
from incubator.db import utcnow
from incubator.errors import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from incubator.models import User
from incubator.money import round_minor
from startups.models import BiosafetyLevel, Startup
from startups.repository import StartupRepository

# --- Hooks filled by upper packages ------------------------------------------------------------------------------

BookingGuard = Callable[[Session, uuid.UUID], str | None]
InvoicedCheck = Callable[[Session, list[uuid.UUID]], set[uuid.UUID]]
_booking_guards: list[BookingGuard] = []
_invoiced_checks: list[InvoicedCheck] = []


def register_booking_guard(guard: BookingGuard) -> None:
    """Billing (above us) registers e.g. "no new bookings with invoices overdue by more than N days".
    A guard returns a sentence saying why the startup may not book, or None."""
    if guard not in _booking_guards:
        _booking_guards.append(guard)


def unregister_booking_guard(guard: BookingGuard) -> None:
    if guard in _booking_guards:
        _booking_guards.remove(guard)


def register_invoiced_check(check: InvoicedCheck) -> None:
    """Billing registers how to tell which charges are on an invoice already (those are never voided here)."""
    if check not in _invoiced_checks:
        _invoiced_checks.append(check)


def _invoiced(session: Session, charge_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    found: set[uuid.UUID] = set()
    for check in _invoiced_checks:
        found |= check(session, charge_ids)
    return found


# --- Time helpers ------------------------------------------------------------------------------------------------


def zone(site: Site) -> ZoneInfo:
    return ZoneInfo(site.timezone)


def local_date(site: Site, instant: datetime) -> date:
    return instant.astimezone(zone(site)).date()


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def parse_period(text: str) -> date:
    """ "2026-11" -> date(2026, 11, 1); a clear error for anything else."""
    try:
        year, month = text.strip().split("-")
        day = date(int(year), int(month), 1)
    except ValueError as exc:
        raise ValidationFailed(f"“{text}” is not a month; write it as YYYY-MM, e.g. 2026-11.") from exc
    return _in_range(day)


def _in_range(day: date) -> date:
    if not 2000 <= day.year <= 2200:
        raise ValidationFailed("Choose a date between the years 2000 and 2200.")
    return day


def local_midnight(site: Site, day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone(site)).astimezone(UTC)


def _fmt_slot(site: Site, start: datetime, end: datetime) -> str:
    tz = zone(site)
    s, e = start.astimezone(tz), end.astimezone(tz)
    day = f"{s.day} {s:%b %Y}"
    end_text = f"{e:%H:%M}" if e.date() == s.date() else f"{e.day} {e:%b} {e:%H:%M}"
    return f"{day} {s:%H:%M}–{end_text} ({site.timezone})"


def _require(actor: User, roles: tuple[Any, ...], what: str) -> None:
    if not actor.has_role(*roles):
        raise PermissionDenied(f"Only finance staff or administrators {what}.")


# --- Catalogue -----------------------------------------------------------------------------------------------------


def create_site(session: Session, *, actor: User, **values: Any) -> Site:
    _require(actor, MANAGER_ROLES, "add sites")
    ZoneInfo(values.get("timezone", "UTC"))
    site = Site(**values)
    session.add(site)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict(
            f"A site with the code {site.code} exists already.", field_errors={"code": "Already used."}
        ) from exc
    audit.record(session, actor=actor, action="facilities.site.create", object_type="site", object_id=site.id)
    return site


def add_tax_rate(
    session: Session, *, site: Site, name: str, rate: Decimal, effective_date: date, actor: User
) -> TaxRate:
    _require(actor, MANAGER_ROLES, "set tax rates")
    tax = TaxRate(site_id=site.id, name=name, rate=rate, effective_date=effective_date)
    session.add(tax)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict("The site already has a tax rate taking effect on that date.") from exc
    audit.record(
        session,
        actor=actor,
        action="facilities.tax_rate.create",
        object_type="site",
        object_id=site.id,
        after={"name": name, "rate": rate, "effective_date": effective_date},
    )
    return tax


def create_space(session: Session, *, site: Site, actor: User, **values: Any) -> Space:
    _require(actor, MANAGER_ROLES, "add spaces")
    space = Space(site_id=site.id, **values)
    session.add(space)
    session.flush()
    audit.record(session, actor=actor, action="facilities.space.create", object_type="space", object_id=space.id)
    return space


def create_resource(session: Session, *, site: Site, actor: User, **values: Any) -> Resource:
    _require(actor, MANAGER_ROLES, "add equipment")
    resource = Resource(site_id=site.id, **values)
    _check_lengths(resource)
    session.add(resource)
    session.flush()
    audit.record(
        session, actor=actor, action="facilities.resource.create", object_type="resource", object_id=resource.id
    )
    return resource


def _check_lengths(resource: Resource) -> None:
    if resource.max_minutes < resource.min_minutes:
        raise ValidationFailed(
            "The maximum booking length must be at least the minimum.",
            field_errors={"max_minutes": "Shorter than the minimum."},
        )
    # Overlap queries rely on this bound (repository.MAX_BLOCK).
    if resource.max_minutes > 14 * 24 * 60 or resource.buffer_minutes > 7 * 24 * 60:
        raise ValidationFailed("A booking can last at most 14 days, and its cleaning buffer at most 7 days.")


def update_resource(session: Session, *, resource: Resource, actor: User, changes: dict[str, Any]) -> Resource:
    """Change a resource's rules or prices. Bookings already confirmed keep their frozen price."""
    _require(actor, MANAGER_ROLES, "change equipment and prices")
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for key, value in changes.items():
        if getattr(resource, key) != value:
            before[key], after[key] = getattr(resource, key), value
            setattr(resource, key, value)
    _check_lengths(resource)
    if after:
        session.add(resource)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="facilities.resource.update",
            object_type="resource",
            object_id=resource.id,
            before=before,
            after=after,
        )
    return resource


def add_maintenance_block(
    session: Session, *, resource: Resource, start_at: datetime, end_at: datetime, reason: str, actor: User
) -> MaintenanceBlock:
    if not actor.has_role(*STAFF_ROLES):
        raise PermissionDenied("Only facility staff schedule maintenance.")
    if end_at <= start_at:
        raise ValidationFailed("Maintenance must end after it starts.", field_errors={"end_at": "Before the start."})
    block = MaintenanceBlock(resource_id=resource.id, start_at=start_at, end_at=end_at, reason=reason)
    session.add(block)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="facilities.maintenance.create",
        object_type="resource",
        object_id=resource.id,
        after={"start_at": start_at, "end_at": end_at, "reason": reason},
    )
    return block


def create_service(session: Session, *, site: Site, actor: User, **values: Any) -> Service:
    _require(actor, MANAGER_ROLES, "edit the service catalogue")
    service = Service(site_id=site.id, **values)
    session.add(service)
    session.flush()
    audit.record(session, actor=actor, action="facilities.service.create", object_type="service", object_id=service.id)
    return service


def create_plan(
    session: Session, *, site: Site, actor: User, included_service_ids: list[uuid.UUID] | None = None, **values: Any
) -> Plan:
    _require(actor, MANAGER_ROLES, "define membership plans")
    plan = Plan(site_id=site.id, **values)
    session.add(plan)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict(
            f"{site.name} already has a {plan.tier} plan.", field_errors={"tier": "Already defined."}
        ) from exc
    for service_id in included_service_ids or []:
        service = session.get(Service, service_id)
        if service is None or service.site_id != site.id:
            raise WrongSite("An included service must belong to the plan's site.")
        session.add(PlanService(plan_id=plan.id, service_id=service_id))
    session.flush()
    audit.record(session, actor=actor, action="facilities.plan.create", object_type="plan", object_id=plan.id)
    return plan


# --- Memberships, leases, qualifications ---------------------------------------------------------------------------


def _startup(session: Session, startup_id: uuid.UUID) -> Startup:
    startup = session.get(Startup, startup_id)
    if startup is None:
        raise NotFound("No startup with that id.")
    return startup


def create_membership(
    session: Session, *, startup_id: uuid.UUID, plan: Plan, start_date: date, end_date: date | None, actor: User
) -> Membership:
    _require(actor, MANAGER_ROLES, "sign up memberships")
    startup = _startup(session, startup_id)
    if end_date is not None and end_date <= start_date:
        raise ValidationFailed("A membership must end after it starts.", field_errors={"end_date": "Before the start."})
    if MembershipRepository(session).overlapping(startup.id, plan.site_id, start_date, end_date) is not None:
        raise Conflict(f"{startup.name} already holds a membership at this site for part of that period.")
    membership = Membership(
        startup_id=startup.id,
        site_id=plan.site_id,
        plan_id=plan.id,
        start_date=start_date,
        end_date=end_date,
        monthly_fee_minor=plan.monthly_fee_minor,
    )
    session.add(membership)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="facilities.membership.create",
        object_type="membership",
        object_id=membership.id,
        summary=f"{startup.name} on {plan.name} from {start_date}",
    )
    return membership


def create_lease(
    session: Session,
    *,
    startup_id: uuid.UUID,
    space: Space,
    start_date: date,
    end_date: date | None,
    actor: User,
    monthly_price_minor: int | None = None,
) -> Lease:
    _require(actor, MANAGER_ROLES, "sign leases")
    startup = _startup(session, startup_id)
    if end_date is not None and end_date <= start_date:
        raise ValidationFailed("A lease must end after it starts.", field_errors={"end_date": "Before the start."})
    price = space.monthly_price_minor if monthly_price_minor is None else monthly_price_minor
    if price < 0:
        raise ValidationFailed("A price cannot be negative.", field_errors={"monthly_price_minor": "Negative."})
    clash = LeaseRepository(session).overlapping(space.id, start_date, end_date)
    if clash is not None:
        until = f" until {clash.end_date}" if clash.end_date else ""
        raise LeaseConflict(f"{space.name} is leased from {clash.start_date}{until}; choose other dates or space.")
    lease = Lease(
        startup_id=startup.id,
        space_id=space.id,
        site_id=space.site_id,
        start_date=start_date,
        end_date=end_date,
        monthly_price_minor=price,
    )
    session.add(lease)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="facilities.lease.create",
        object_type="lease",
        object_id=lease.id,
        summary=f"{startup.name} leases {space.name} from {start_date}",
    )
    return lease


def end_lease(session: Session, *, lease: Lease, end_date: date, actor: User) -> Lease:
    """End a lease earlier (exclusive end date). Charges of months after it are voided and the month it ends in is
    prorated again, unless already invoiced (then a credit note is the way)."""
    _require(actor, MANAGER_ROLES, "end leases")
    _shorten(session, lease, end_date, "lease", actor)
    return lease


def end_membership(session: Session, *, membership: Membership, end_date: date, actor: User) -> Membership:
    """End a membership earlier; its charges follow as for a lease."""
    _require(actor, MANAGER_ROLES, "end memberships")
    _shorten(session, membership, end_date, "membership", actor)
    return membership


def _shorten(session: Session, item: Lease | Membership, end_date: date, kind: str, actor: User) -> None:
    if end_date <= item.start_date:
        raise ValidationFailed(
            f"The {kind} must end after it starts ({item.start_date}).", field_errors={"end_date": "Too early."}
        )
    if item.end_date is not None and end_date >= item.end_date:
        raise ValidationFailed(
            f"The {kind} already ends on {item.end_date}; an end can only be brought forward.",
            field_errors={"end_date": "Not earlier than the current end."},
        )
    charges = ChargeRepository(session).for_source_prefix(kind, f"{item.id}:")
    invoiced = _invoiced(session, [c.id for c in charges])
    site = session.get_one(Site, item.site_id)
    now = utcnow()
    before = {"end_date": item.end_date}
    item.end_date = end_date
    for charge in charges:
        if charge.voided_at is not None or charge.period_end is None or charge.period_end <= end_date:
            continue
        if charge.id in invoiced:
            raise InvalidTransition(
                f"The {kind} is invoiced for {charge.service_date:%B %Y}; issue a credit note before ending it earlier."
            )
        month = month_start(charge.service_date)
        if month >= end_date:
            charge.voided_at = now
        else:
            monthly = item.monthly_price_minor if isinstance(item, Lease) else item.monthly_fee_minor
            amount, first, last, days, in_month = prorate(monthly, item.start_date, end_date, month)
            head = charge.description.split(", ")[0]
            charge.amount_minor = amount
            charge.period_end = last
            charge.quantity = (Decimal(days) / in_month).quantize(Decimal("0.0001"))
            charge.description = f"{head}, {_period_label(first, last, days, in_month)}"[:300]
        session.add(charge)
    session.add(item)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=f"facilities.{kind}.end",
        object_type=kind,
        object_id=item.id,
        summary=f"Ends on {end_date} at {site.code}",
        before=before,
        after={"end_date": end_date},
    )


def record_training(
    session: Session,
    *,
    user_id: uuid.UUID,
    resource: Resource,
    qualified_date: date,
    expires_date: date | None,
    actor: User,
) -> Training:
    if not actor.has_role(*STAFF_ROLES):
        raise PermissionDenied("Only programme or finance staff record training.")
    if session.get(User, user_id) is None:
        raise NotFound("No user with that id.")
    if expires_date is not None and expires_date <= qualified_date:
        raise ValidationFailed("Training must expire after it was given.", field_errors={"expires_date": "Too early."})
    training = Training(
        user_id=user_id,
        resource_id=resource.id,
        qualified_date=qualified_date,
        expires_date=expires_date,
        recorded_by_id=actor.id,
    )
    session.add(training)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="facilities.training.record",
        object_type="resource",
        object_id=resource.id,
        after={"user_id": user_id, "qualified_date": qualified_date, "expires_date": expires_date},
    )
    return training


def grant_clearance(
    session: Session,
    *,
    startup_id: uuid.UUID,
    level: BiosafetyLevel,
    granted_date: date,
    expires_date: date,
    actor: User,
) -> BiosafetyClearance:
    if not actor.has_role(*STAFF_ROLES):
        raise PermissionDenied("Only programme or finance staff grant biosafety clearance.")
    startup = _startup(session, startup_id)
    if expires_date <= granted_date:
        raise ValidationFailed(
            "Clearance must expire after it is granted.", field_errors={"expires_date": "Too early."}
        )
    clearance = BiosafetyClearance(
        startup_id=startup.id,
        level=level,
        granted_date=granted_date,
        expires_date=expires_date,
        recorded_by_id=actor.id,
    )
    session.add(clearance)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="facilities.clearance.grant",
        object_type="startup",
        object_id=startup.id,
        after={"level": level, "granted_date": granted_date, "expires_date": expires_date},
    )
    return clearance


# --- Allowance ledger ----------------------------------------------------------------------------------------------


def ensure_grant(session: Session, *, membership: Membership, month: date) -> None:
    """Grant the plan's included minutes for `month` once (the entry key makes a second grant impossible)."""
    key = f"grant:{membership.id}:{month:%Y-%m}"
    repo = AllowanceRepository(session)
    if repo.by_key(key) is not None:
        return
    plan = session.get_one(Plan, membership.plan_id)
    entry = AllowanceEntry(
        startup_id=membership.startup_id,
        site_id=membership.site_id,
        membership_id=membership.id,
        month=month,
        kind=AllowanceKind.grant,
        minutes=granted_minutes(plan.included_minutes, membership, month),
        entry_key=key,
    )
    try:
        with session.begin_nested():
            session.add(entry)
            session.flush()
    except IntegrityError:
        pass  # granted by a concurrent request a moment ago


def granted_minutes(included: int, membership: Membership, month: date) -> int:
    """The plan's included minutes for `month`, by day like the fee when the membership starts or ends in it
    (whole minutes, rounded down so a partial month never grants more than its share)."""
    end = next_month(month)
    first = max(membership.start_date, month)
    last = min(membership.end_date, end) if membership.end_date else end
    days, in_month = max(0, (last - first).days), (end - month).days
    return included if days >= in_month else included * days // in_month


@dataclass(frozen=True)
class AllowanceView:
    site: Site
    month: date
    granted_minutes: int
    left_minutes: int
    plan_name: str | None


def allowance_left(session: Session, *, startup_id: uuid.UUID, site: Site, day: date) -> AllowanceView:
    """Included minutes left for the month of `day` at `site` (granting the month first when a plan applies)."""
    month = month_start(day)
    membership = MembershipRepository(session).active_on(startup_id, site.id, day)
    plan_name = None
    granted = 0
    if membership is not None:
        ensure_grant(session, membership=membership, month=month)
        plan = session.get_one(Plan, membership.plan_id)
        plan_name, granted = plan.name, granted_minutes(plan.included_minutes, membership, month)
    left = AllowanceRepository(session).balance(startup_id, site.id, month)
    return AllowanceView(site=site, month=month, granted_minutes=granted, left_minutes=left, plan_name=plan_name)


# --- Bookings ------------------------------------------------------------------------------------------------------


def _check_rules(
    session: Session,
    *,
    resource: Resource,
    site: Site,
    start_at: datetime,
    end_at: datetime,
    now: datetime,
    days_ahead: int,
) -> int:
    if start_at.tzinfo is None or end_at.tzinfo is None:
        raise BookingNotAllowed("Give the start and end with a time zone.")
    if end_at <= start_at:
        raise BookingNotAllowed("The booking must end after it starts.", field_errors={"end_at": "Before the start."})
    minutes = int((end_at - start_at).total_seconds() // 60)
    if (end_at - start_at).total_seconds() % 60:
        raise BookingNotAllowed("Book whole minutes.")
    if minutes < resource.min_minutes:
        raise BookingNotAllowed(f"{resource.name} is booked for at least {_hours(resource.min_minutes)}.")
    if minutes > resource.max_minutes:
        raise BookingNotAllowed(f"{resource.name} is booked for at most {_hours(resource.max_minutes)}.")
    local = start_at.astimezone(zone(site))
    if minutes % resource.increment_minutes or (local.hour * 60 + local.minute) % resource.increment_minutes:
        raise BookingNotAllowed(
            f"{resource.name} is booked in steps of {resource.increment_minutes} minutes, starting on the step."
        )
    if start_at < now:
        raise BookingNotAllowed("That slot is in the past.")
    if start_at > now + timedelta(days=days_ahead):
        raise BookingNotAllowed(f"{resource.name} can be booked at most {days_ahead} days ahead.")
    return minutes


def _hours(minutes: int) -> str:
    hours = Decimal(minutes) / 60
    text = f"{hours.normalize():f}"
    return f"{text} hour" + ("" if hours == 1 else "s")


def book(
    session: Session,
    *,
    resource: Resource,
    startup_id: uuid.UUID,
    user: User,
    start_at: datetime,
    end_at: datetime,
    purpose: str = "",
    now: datetime | None = None,
) -> Booking:
    """Confirm a booking: rules, qualifications, free slot, then the price frozen and allowance consumed.

    Concurrency: on SQLite the transaction holds the database's write lock from its first statement (BEGIN
    IMMEDIATE), so the overlap check and the insert cannot interleave with another booking. On PostgreSQL the
    check gives the friendly answer and the exclusion constraint is the guarantee: the losing insert waits for
    the winner's commit and then fails, which becomes the same 409.
    """
    now = now or utcnow()
    if not resource.is_active:
        raise BookingNotAllowed(f"{resource.name} is not bookable at the moment.")
    startup = _startup(session, startup_id)
    if not user.has_role(*STAFF_ROLES) and not StartupRepository(session).is_member(user.id, startup.id):
        raise PermissionDenied("You can book only for a startup you belong to.")
    for guard in list(_booking_guards):
        reason = guard(session, startup.id)
        if reason:
            raise BookingBlocked(reason)
    site = session.get_one(Site, resource.site_id)
    day = local_date(site, start_at) if start_at.tzinfo else now.date()
    memberships = MembershipRepository(session)
    membership = memberships.active_on(startup.id, site.id, day)
    plan = session.get_one(Plan, membership.plan_id) if membership else None
    days_ahead = max(resource.max_days_ahead, plan.booking_days_ahead if plan else 0)
    minutes = _check_rules(
        session, resource=resource, site=site, start_at=start_at, end_at=end_at, now=now, days_ahead=days_ahead
    )
    quals = QualificationRepository(session)
    if resource.requires_training and not quals.training_valid(user.id, resource.id, day):
        raise QualificationMissing(
            f"You need current training on {resource.name} before booking it. Ask the facility team to record it."
        )
    if resource.biosafety_level != BiosafetyLevel.none and not quals.clearance_valid(
        startup.id, resource.biosafety_level, day
    ):
        raise QualificationMissing(
            f"{startup.name} needs current {resource.biosafety_level.label} clearance to book {resource.name}."
        )
    blocked_until = end_at + timedelta(minutes=resource.buffer_minutes)
    for block in ResourceRepository(session).maintenance_overlapping(resource.id, start_at, blocked_until):
        raise BookingConflict(
            f"{resource.name} is under maintenance {_fmt_slot(site, block.start_at, block.end_at)}: {block.reason}."
        )
    _raise_if_taken(session, resource, site, start_at, blocked_until)

    # Price, frozen now: included minutes from this month's allowance first, the rest at today's hourly rate.
    included = 0
    month = month_start(day)
    if membership is not None:
        membership = memberships.active_on(startup.id, site.id, day, lock=True) or membership
        ensure_grant(session, membership=membership, month=month)
        left = AllowanceRepository(session).balance(startup.id, site.id, month)
        included = max(0, min(left, minutes))
    billable = minutes - included
    amount = round_minor(Decimal(billable) * Decimal(resource.hourly_rate_minor) / Decimal(60))
    booking = Booking(
        resource_id=resource.id,
        site_id=site.id,
        startup_id=startup.id,
        user_id=user.id,
        start_at=start_at,
        end_at=end_at,
        blocked_until=blocked_until,
        service_date=day,
        purpose=purpose,
        minutes=minutes,
        included_minutes=included,
        billable_minutes=billable,
        hourly_rate_minor=resource.hourly_rate_minor,
        amount_minor=amount,
        discount_rate=plan.discount_rate if plan else Decimal(0),
        currency=site.currency,
        confirmed_at=now,
    )
    try:
        with session.begin_nested():
            session.add(booking)
            session.flush()
    except IntegrityError as exc:
        # The exclusion constraint: someone else's booking committed between our check and our insert.
        _raise_if_taken(session, resource, site, start_at, blocked_until)
        raise BookingConflict(f"{resource.name} was just booked by someone else for an overlapping slot.") from exc
    if included:
        session.add(
            AllowanceEntry(
                startup_id=startup.id,
                site_id=site.id,
                membership_id=membership.id if membership else None,
                booking_id=booking.id,
                month=month,
                kind=AllowanceKind.consume,
                minutes=-included,
                entry_key=f"consume:{booking.id}",
            )
        )
    if amount > 0:
        _add_charge(session, _booking_charge(booking, resource, site))
    session.flush()
    audit.record(
        session,
        actor=user,
        action="facilities.booking.confirm",
        object_type="booking",
        object_id=booking.id,
        summary=f"{resource.name} {_fmt_slot(site, start_at, end_at)} for {startup.name}",
        after={"minutes": minutes, "included_minutes": included, "amount_minor": amount, "currency": site.currency},
    )
    return booking


def _raise_if_taken(session: Session, resource: Resource, site: Site, start: datetime, until: datetime) -> None:
    taken = BookingRepository(session).first_overlapping(resource.id, start, until)
    if taken is not None:
        buffer = f", plus {resource.buffer_minutes} minutes of cleaning" if resource.buffer_minutes else ""
        raise BookingConflict(
            f"{resource.name} is already booked {_fmt_slot(site, taken.start_at, taken.end_at)}{buffer}. "
            "Choose a slot that starts after that."
        )


def _booking_charge(booking: Booking, resource: Resource, site: Site) -> Charge:
    return Charge(
        site_id=site.id,
        startup_id=booking.startup_id,
        category=ChargeCategory.booking,
        description=(
            f"{resource.name}, {_fmt_slot(site, booking.start_at, booking.end_at)}: "
            f"{_hours(booking.billable_minutes)} beyond the included allowance"
        )[:300],
        source_type="booking",
        source_ref=str(booking.id),
        service_date=booking.service_date,
        quantity=(Decimal(booking.billable_minutes) / 60).quantize(Decimal("0.0001")),
        unit_amount_minor=booking.hourly_rate_minor,
        amount_minor=booking.amount_minor,
        currency=booking.currency,
        discount_rate=booking.discount_rate,
    )


def _add_charge(session: Session, charge: Charge) -> bool:
    """Insert a charge unless its source has one already. Returns whether it was created."""
    if ChargeRepository(session).by_source(charge.source_type, charge.source_ref) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(charge)
            session.flush()
    except IntegrityError:
        return False  # a concurrent run made it a moment ago
    return True


def _void_charge(session: Session, source_type: str, source_ref: str, now: datetime) -> None:
    charge = ChargeRepository(session).by_source(source_type, source_ref)
    if charge is None or charge.voided_at is not None or charge.id in _invoiced(session, [charge.id]):
        return
    charge.voided_at = now
    session.add(charge)


def can_manage_booking(session: Session, user: User, booking: Booking) -> bool:
    return user.has_role(*STAFF_ROLES) or StartupRepository(session).is_member(user.id, booking.startup_id)


def cancel_booking(session: Session, *, booking: Booking, actor: User, now: datetime | None = None) -> Booking:
    """Cancel: free before the cut-off, the late fee after it; the allowance is restored and the booking's charge
    voided (unless already invoiced)."""
    now = now or utcnow()
    if not can_manage_booking(session, actor, booking):
        raise PermissionDenied("You can cancel only your own startup's bookings.")
    # Two cancellations at once: the second waits here on PostgreSQL and then sees the booking cancelled.
    session.refresh(booking, with_for_update=True)
    if booking.status != BookingStatus.confirmed:
        raise InvalidTransition("This booking is cancelled already.")
    if booking.start_at <= now:
        raise InvalidTransition("This booking has started; it can no longer be cancelled.")
    resource = session.get_one(Resource, booking.resource_id)
    site = session.get_one(Site, booking.site_id)
    late = now > booking.start_at - timedelta(hours=resource.cancel_cutoff_hours)
    booking.status = BookingStatus.cancelled
    booking.cancelled_at = now
    booking.cancelled_by_id = actor.id
    booking.late_fee_minor = resource.late_cancel_fee_minor if late else 0
    session.add(booking)
    if booking.included_minutes:
        session.add(
            AllowanceEntry(
                startup_id=booking.startup_id,
                site_id=booking.site_id,
                booking_id=booking.id,
                month=month_start(booking.service_date),
                kind=AllowanceKind.restore,
                minutes=booking.included_minutes,
                entry_key=f"restore:{booking.id}",
            )
        )
    _void_charge(session, "booking", str(booking.id), now)
    if booking.late_fee_minor:
        _add_charge(session, _late_fee_charge(booking, resource, site))
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="facilities.booking.cancel",
        object_type="booking",
        object_id=booking.id,
        summary=f"{resource.name} {_fmt_slot(site, booking.start_at, booking.end_at)}"
        + (" (late: fee applies)" if late else ""),
        after={"late_fee_minor": booking.late_fee_minor},
    )
    return booking


def _late_fee_charge(booking: Booking, resource: Resource, site: Site) -> Charge:
    assert booking.cancelled_at is not None
    return Charge(
        site_id=site.id,
        startup_id=booking.startup_id,
        category=ChargeCategory.late_cancellation,
        description=f"Late cancellation: {resource.name}, {_fmt_slot(site, booking.start_at, booking.end_at)}"[:300],
        source_type="late_cancellation",
        source_ref=str(booking.id),
        service_date=local_date(site, booking.cancelled_at),
        unit_amount_minor=booking.late_fee_minor,
        amount_minor=booking.late_fee_minor,
        currency=booking.currency,
        discount_rate=Decimal(0),
    )


def reprice_booking(session: Session, *, booking: Booking, actor: User, reason: str) -> Booking:
    """The one way a frozen price changes: finance re-prices at the resource's current rate, with a reason."""
    _require(actor, MANAGER_ROLES, "re-price bookings")
    if not reason.strip():
        raise ValidationFailed("Say why the booking is re-priced.", field_errors={"reason": "Required."})
    session.refresh(booking, with_for_update=True)
    if booking.status != BookingStatus.confirmed:
        raise InvalidTransition("Only a confirmed booking can be re-priced.")
    resource = session.get_one(Resource, booking.resource_id)
    site = session.get_one(Site, booking.site_id)
    charges = ChargeRepository(session)
    charge = charges.by_source("booking", str(booking.id))
    if charge is not None and charge.id in _invoiced(session, [charge.id]):
        raise InvalidTransition("This booking is invoiced already; correct it with a credit note instead.")
    before = {"hourly_rate_minor": booking.hourly_rate_minor, "amount_minor": booking.amount_minor}
    booking.hourly_rate_minor = resource.hourly_rate_minor
    booking.amount_minor = round_minor(Decimal(booking.billable_minutes) * Decimal(booking.hourly_rate_minor) / 60)
    session.add(booking)
    fresh = _booking_charge(booking, resource, site)
    if charge is not None:
        charge.unit_amount_minor, charge.amount_minor = fresh.unit_amount_minor, fresh.amount_minor
        charge.description = fresh.description
        if booking.amount_minor == 0:
            charge.voided_at = utcnow()
        session.add(charge)
    elif booking.amount_minor > 0:
        _add_charge(session, fresh)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="facilities.booking.reprice",
        object_type="booking",
        object_id=booking.id,
        summary=reason.strip()[:300],
        before=before,
        after={"hourly_rate_minor": booking.hourly_rate_minor, "amount_minor": booking.amount_minor},
    )
    return booking


# --- Service orders ------------------------------------------------------------------------------------------------


def _order_pricing(session: Session, service: Service, startup_id: uuid.UUID, day: date) -> Decimal:
    membership = MembershipRepository(session).active_on(startup_id, service.site_id, day)
    if membership is None:
        return Decimal(0)
    plans = PlanRepository(session)
    if plans.includes_service(membership.plan_id, service.id):
        return Decimal(1)
    return session.get_one(Plan, membership.plan_id).discount_rate


def request_order(
    session: Session,
    *,
    service: Service,
    startup_id: uuid.UUID,
    user: User,
    quantity: Decimal,
    notes: str = "",
    site_id: uuid.UUID | None = None,
) -> ServiceOrder:
    """A founder orders a service. Without a quote it starts at the catalogue price; with one it waits for it."""
    if not service.is_active:
        raise NotFound("That service is no longer offered.")
    if site_id is not None and site_id != service.site_id:
        raise WrongSite("That service is offered by another site; order it there or choose this site's service.")
    startup = _startup(session, startup_id)
    if not user.has_role(*STAFF_ROLES) and not StartupRepository(session).is_member(user.id, startup.id):
        raise PermissionDenied("You can order only for a startup you belong to.")
    if quantity <= 0:
        raise ValidationFailed("The quantity must be more than zero.", field_errors={"quantity": "Must be positive."})
    site = session.get_one(Site, service.site_id)
    order = ServiceOrder(
        service_id=service.id,
        site_id=site.id,
        startup_id=startup.id,
        requested_by_id=user.id,
        quantity=quantity,
        notes=notes,
        unit_price_minor=service.unit_price_minor,
        amount_minor=round_minor(quantity * service.unit_price_minor),
        discount_rate=_order_pricing(session, service, startup.id, local_date(site, utcnow())),
        currency=site.currency,
    )
    session.add(order)
    session.flush()
    audit.record(
        session,
        actor=user,
        action="facilities.order.request",
        object_type="service_order",
        object_id=order.id,
        summary=f"{startup.name}: {service.name} x {quantity}",
    )
    return order


def _transition(
    session: Session, order: ServiceOrder, actor: User, allowed_from: tuple[OrderStatus, ...], to: OrderStatus
) -> None:
    if order.status not in allowed_from:
        raise InvalidTransition(
            f"This order is {order.status.value.replace('_', ' ')}; it cannot be {to.value.replace('_', ' ')} now."
        )
    before = order.status
    order.status = to
    session.add(order)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=f"facilities.order.{to.value}",
        object_type="service_order",
        object_id=order.id,
        before={"status": before},
        after={"status": to, "amount_minor": order.amount_minor},
    )


def quote_order(
    session: Session, *, order: ServiceOrder, actor: User, amount_minor: int, note: str = ""
) -> ServiceOrder:
    """Finance (or the facility) sends the quote: the total list price of the order."""
    if not actor.has_role(*STAFF_ROLES):
        raise PermissionDenied("Only facility or finance staff send quotes.")
    if amount_minor < 0:
        raise ValidationFailed("A price cannot be negative.", field_errors={"amount_minor": "Negative."})
    service = session.get_one(Service, order.service_id)
    if not service.needs_quote:
        raise InvalidTransition("This service has a catalogue price and needs no quote.")
    order.amount_minor = amount_minor
    order.unit_price_minor = round_minor(Decimal(amount_minor) / order.quantity)
    order.quote_note = note
    order.quoted_at = utcnow()
    _transition(session, order, actor, (OrderStatus.requested, OrderStatus.quoted), OrderStatus.quoted)
    return order


def accept_order(session: Session, *, order: ServiceOrder, actor: User) -> ServiceOrder:
    if not StartupRepository(session).is_member(actor.id, order.startup_id) and not actor.has_role(*MANAGER_ROLES):
        raise PermissionDenied("Only the startup's team accepts its quotes.")
    order.accepted_at = utcnow()
    _transition(session, order, actor, (OrderStatus.quoted,), OrderStatus.accepted)
    return order


def start_order(session: Session, *, order: ServiceOrder, actor: User) -> ServiceOrder:
    if not actor.has_role(*STAFF_ROLES):
        raise PermissionDenied("Only facility staff start work on an order.")
    service = session.get_one(Service, order.service_id)
    allowed = (OrderStatus.accepted,) if service.needs_quote else (OrderStatus.requested, OrderStatus.accepted)
    order.started_at = utcnow()
    _transition(session, order, actor, allowed, OrderStatus.in_progress)
    return order


def deliver_order(session: Session, *, order: ServiceOrder, actor: User) -> ServiceOrder:
    """Delivered: the order and its pass-through costs become charges."""
    if not actor.has_role(*STAFF_ROLES):
        raise PermissionDenied("Only facility staff mark an order delivered.")
    site = session.get_one(Site, order.site_id)
    order.delivered_at = utcnow()
    order.delivered_date = local_date(site, order.delivered_at)
    _transition(session, order, actor, (OrderStatus.in_progress,), OrderStatus.delivered)
    _order_charges(session, order, site)
    return order


def cancel_order(session: Session, *, order: ServiceOrder, actor: User) -> ServiceOrder:
    member = StartupRepository(session).is_member(actor.id, order.startup_id)
    if not member and not actor.has_role(*STAFF_ROLES):
        raise PermissionDenied("Only the startup's team or facility staff cancel an order.")
    if member and not actor.has_role(*STAFF_ROLES) and order.status == OrderStatus.in_progress:
        raise InvalidTransition("Work has started on this order; ask the facility team to cancel it.")
    order.cancelled_at = utcnow()
    _transition(
        session,
        order,
        actor,
        (OrderStatus.requested, OrderStatus.quoted, OrderStatus.accepted, OrderStatus.in_progress),
        OrderStatus.cancelled,
    )
    return order


def add_pass_through_cost(
    session: Session, *, order: ServiceOrder, actor: User, description: str, cost_minor: int, margin_rate: Decimal
) -> PassThroughCost:
    """An outside lab's bill, passed on at cost plus margin (rounded once)."""
    _require(actor, MANAGER_ROLES, "add pass-through costs")
    if cost_minor < 0 or margin_rate < 0:
        raise ValidationFailed("Costs and margins cannot be negative.")
    if order.status in (OrderStatus.delivered, OrderStatus.cancelled):
        raise InvalidTransition("Add pass-through costs before the order is delivered.")
    cost = PassThroughCost(
        order_id=order.id,
        description=description,
        cost_minor=cost_minor,
        margin_rate=margin_rate,
        amount_minor=round_minor(Decimal(cost_minor) * (1 + margin_rate)),
    )
    session.add(cost)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="facilities.order.pass_through",
        object_type="service_order",
        object_id=order.id,
        after={"description": description, "cost_minor": cost_minor, "margin_rate": margin_rate},
    )
    return cost


def _order_charges(session: Session, order: ServiceOrder, site: Site) -> int:
    assert order.delivered_date is not None
    service = session.get_one(Service, order.service_id)
    made = 0
    made += _add_charge(
        session,
        Charge(
            site_id=site.id,
            startup_id=order.startup_id,
            category=ChargeCategory.service,
            description=f"{service.name} ({service.unit.label}) x {order.quantity.normalize():f}"[:300],
            source_type="service_order",
            source_ref=str(order.id),
            service_date=order.delivered_date,
            quantity=order.quantity,
            unit_amount_minor=order.unit_price_minor,
            amount_minor=order.amount_minor,
            currency=order.currency,
            discount_rate=order.discount_rate,
        ),
    )
    for cost in OrderRepository(session).costs(order.id):
        made += _add_charge(
            session,
            Charge(
                site_id=site.id,
                startup_id=order.startup_id,
                category=ChargeCategory.pass_through,
                description=f"{cost.description} (at cost plus {cost.margin_rate * 100:.1f} %)"[:300],
                source_type="pass_through",
                source_ref=str(cost.id),
                service_date=order.delivered_date,
                unit_amount_minor=cost.amount_minor,
                amount_minor=cost.amount_minor,
                currency=order.currency,
            ),
        )
    return made


# --- The charge step -----------------------------------------------------------------------------------------------


def prorate(monthly_minor: int, start: date, end: date | None, month: date) -> tuple[int, date, date, int, int]:
    """(amount, first day, end day exclusive, days covered, days in month) of [start, end) within `month`.
    By whole days in the site's calendar; rounded once."""
    month_end = next_month(month)
    first = max(start, month)
    last = min(end, month_end) if end else month_end
    days = (last - first).days
    in_month = calendar.monthrange(month.year, month.month)[1]
    if days >= in_month:
        return monthly_minor, first, last, days, in_month
    return round_minor(Decimal(monthly_minor) * days / in_month), first, last, days, in_month


def _period_label(first: date, last: date, days: int, in_month: int) -> str:
    end = last - timedelta(days=1)
    text = f"{first.day}–{end.day} {end:%b %Y}" if first.month == end.month else f"{first} – {end}"
    return text if days >= in_month else f"{text}, {days} of {in_month} days"


@dataclass
class ChargeRunResult:
    created: int = 0
    existing: int = 0

    @property
    def total(self) -> int:
        return self.created + self.existing


def generate_charges(session: Session, *, site: Site, period: date) -> ChargeRunResult:
    """Create the charges of `site` for the month `period`: lease months, membership fees, bookings beyond the
    allowance, late cancellations and delivered orders. Idempotent: each source has a unique reference, so a
    second run (or two at once) adds nothing."""
    month = month_start(period)
    end = next_month(month)
    result = ChargeRunResult()

    def add(charge: Charge) -> None:
        if _add_charge(session, charge):
            result.created += 1
        else:
            result.existing += 1

    spaces = {s.id: s for s in session.exec(_select_spaces(site.id)).all()}
    for lease in LeaseRepository(session).in_period(site.id, month, end):
        amount, first, last, days, in_month = prorate(
            lease.monthly_price_minor, lease.start_date, lease.end_date, month
        )
        space = spaces.get(lease.space_id)
        name = f"{space.name} ({space.kind.label.lower()})" if space else "space"
        add(
            Charge(
                site_id=site.id,
                startup_id=lease.startup_id,
                category=ChargeCategory.lease,
                description=f"Lease of {name}, {_period_label(first, last, days, in_month)}"[:300],
                source_type="lease",
                source_ref=f"{lease.id}:{month:%Y-%m}",
                service_date=first,
                period_start=first,
                period_end=last,
                quantity=(Decimal(days) / in_month).quantize(Decimal("0.0001")),
                unit_amount_minor=lease.monthly_price_minor,
                amount_minor=amount,
                currency=site.currency,
            )
        )
    plans = {p.id: p for p in PlanRepository(session).for_site(site.id)}
    for membership in MembershipRepository(session).in_period(site.id, month, end):
        amount, first, last, days, in_month = prorate(
            membership.monthly_fee_minor, membership.start_date, membership.end_date, month
        )
        plan = plans.get(membership.plan_id) or session.get_one(Plan, membership.plan_id)
        add(
            Charge(
                site_id=site.id,
                startup_id=membership.startup_id,
                category=ChargeCategory.membership,
                description=f"{plan.name} membership, {_period_label(first, last, days, in_month)}"[:300],
                source_type="membership",
                source_ref=f"{membership.id}:{month:%Y-%m}",
                service_date=first,
                period_start=first,
                period_end=last,
                quantity=(Decimal(days) / in_month).quantize(Decimal("0.0001")),
                unit_amount_minor=membership.monthly_fee_minor,
                amount_minor=amount,
                currency=site.currency,
            )
        )
    bookings = BookingRepository(session)
    resources = {r.id: r for r in session.exec(_select_resources(site.id)).all()}
    for booking in bookings.billable_in(site.id, month, end):
        add(_booking_charge(booking, resources[booking.resource_id], site))
    for booking in bookings.late_cancelled_in(site.id, local_midnight(site, month), local_midnight(site, end)):
        add(_late_fee_charge(booking, resources[booking.resource_id], site))
    for order in OrderRepository(session).delivered_in(site.id, month, end):
        before = result.created
        made = _order_charges(session, order, site)
        result.created = before + made
        result.existing += 1 + len(OrderRepository(session).costs(order.id)) - made
    session.flush()
    return result


def _select_spaces(site_id: uuid.UUID) -> Any:
    return select(Space).where(Space.site_id == site_id)


def _select_resources(site_id: uuid.UUID) -> Any:
    return select(Resource).where(Resource.site_id == site_id)


def run_charge_step(session: Session, *, site: Site, period: date, actor: User | None) -> ChargeRunResult:
    result = generate_charges(session, site=site, period=period)
    audit.record(
        session,
        actor=actor,
        action="facilities.charges.generate",
        object_type="site",
        object_id=site.id,
        summary=f"{site.code} {period:%Y-%m}: {result.created} new, {result.existing} already there",
    )
    return result


# --- iCalendar feed ------------------------------------------------------------------------------------------------


def calendar_token(session: Session, *, user: User, rotate: bool = False) -> str:
    """The secret in the user's feed URL (calendar apps cannot log in); rotating invalidates the old URL."""
    repo = CalendarFeedRepository(session)
    feed = repo.for_user(user.id)
    if feed is not None and not rotate:
        return feed.token
    if feed is None:
        feed = CalendarFeed(user_id=user.id, token=secrets.token_urlsafe(32))
    else:
        feed.token = secrets.token_urlsafe(32)
        feed.created_at = utcnow()
    session.add(feed)
    session.flush()
    if rotate:
        audit.record(session, actor=user, action="facilities.calendar.rotate", object_type="user", object_id=user.id)
    return feed.token


def ical_feed(session: Session, *, token: str, base_url: str) -> bytes:
    from icalendar import Calendar, Event

    feed = CalendarFeedRepository(session).by_token(token)
    if feed is None:
        raise NotFound("This calendar address is unknown or was replaced by a new one.")
    cal = Calendar()
    cal.add("prodid", "-//Incubator//Facilities bookings//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", "Incubator bookings")
    since = utcnow() - timedelta(days=90)
    for booking, resource, site in BookingRepository(session).for_user_feed(feed.user_id, since):
        event = Event()
        event.add("uid", f"booking-{booking.id}@incubator")
        event.add("summary", f"{resource.name} ({site.name})")
        event.add("dtstart", booking.start_at)
        event.add("dtend", booking.end_at)
        event.add("dtstamp", booking.confirmed_at)
        event.add("location", site.address or site.name)
        event.add("url", f"{base_url.rstrip('/')}/facilities/resources/{resource.id}")
        event.add("status", "CANCELLED" if booking.status == BookingStatus.cancelled else "CONFIRMED")
        if booking.purpose:
            event.add("description", booking.purpose)
        cal.add_component(event)
    return bytes(cal.to_ical())


# --- Availability and the directory --------------------------------------------------------------------------------


def parse_week(text: str | None, site: Site, today: datetime | None = None) -> date:
    """The Monday of an ISO week ("2026-W48") or of the week holding a date ("2026-11-25"); this week if empty."""
    if not text:
        return week_monday(local_date(site, today or utcnow()))
    value = text.strip()
    try:
        if "W" in value.upper():
            year, week = value.upper().split("-W")
            return _in_range(date.fromisocalendar(int(year), int(week), 1))
        return _in_range(week_monday(date.fromisoformat(value)))
    except ValueError as exc:
        raise ValidationFailed(f"“{text}” is not a week; write it as 2026-W48 or as a date.") from exc


def week_monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def iso_week(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class BusyView:
    start_at: datetime
    end_at: datetime
    kind: str
    label: str
    mine: bool = False


@dataclass(frozen=True)
class AvailabilityView:
    resource: Resource
    site: Site
    monday: date
    start: datetime
    end: datetime
    busy: list[BusyView]
    free_minutes: int

    @property
    def week(self) -> str:
        return iso_week(self.monday)


def availability(session: Session, *, resource: Resource, monday: date, viewer: User) -> AvailabilityView:
    """A resource's week: confirmed bookings, their cleaning buffers and maintenance, in the site's calendar.
    Founders see which slots are theirs; only staff see other startups' names."""
    site = session.get_one(Site, resource.site_id)
    start, end = local_midnight(site, monday), local_midnight(site, monday + timedelta(days=7))
    staff = viewer.has_role(*STAFF_ROLES)
    own = {s.id for s in StartupRepository(session).for_member(viewer.id)}
    busy: list[BusyView] = []
    for booking, startup_name in BookingRepository(session).in_window(resource.id, start, end):
        mine = booking.startup_id in own
        label = startup_name if staff or mine else "Booked"
        busy.append(BusyView(booking.start_at, booking.end_at, "booking", label, mine))
        if booking.blocked_until > booking.end_at:
            busy.append(BusyView(booking.end_at, booking.blocked_until, "buffer", "Cleaning and turnaround", mine))
    for block in ResourceRepository(session).maintenance_overlapping(resource.id, start, end):
        busy.append(BusyView(block.start_at, block.end_at, "maintenance", block.reason))
    busy.sort(key=lambda b: b.start_at)
    total = int((end - start).total_seconds() // 60)
    return AvailabilityView(
        resource, site, monday, start, end, busy, max(0, total - _covered_minutes(busy, start, end))
    )


def _covered_minutes(busy: list[BusyView], start: datetime, end: datetime) -> int:
    """Minutes of [start, end) covered by the union of the busy intervals (sorted by start)."""
    covered = 0
    cursor = start
    for b in busy:
        s, e = max(b.start_at, cursor), min(b.end_at, end)
        if e > s:
            covered += int((e - s).total_seconds() // 60)
            cursor = e
    return covered


@dataclass(frozen=True)
class DirectoryRow:
    resource: Resource
    site: Site
    free_minutes: int | None


def directory(
    session: Session, *, filters: Any, week: str | None = None, free_only: bool = False
) -> tuple[list[DirectoryRow], date | None]:
    """Resources across every site; with a week, how much of it is free, and (free_only) only those with room for
    at least one booking of their minimum length. Weeks are each site's own calendar week."""
    rows = ResourceRepository(session).directory(filters)
    if not week and not free_only:
        return [DirectoryRow(r, s, None) for r, s in rows], None
    monday: date | None = None
    out: list[DirectoryRow] = []
    by_site: dict[uuid.UUID, list[tuple[Resource, Site]]] = {}
    for r, s in rows:
        by_site.setdefault(s.id, []).append((r, s))
    for items in by_site.values():
        site = items[0][1]
        monday = parse_week(week, site)
        start, end = local_midnight(site, monday), local_midnight(site, monday + timedelta(days=7))
        blocked = ResourceRepository(session).blocked_minutes([r.id for r, _ in items], start, end)
        total = int((end - start).total_seconds() // 60)
        for r, s in items:
            free = max(0, total - blocked[r.id])
            if free_only and free < r.min_minutes:
                continue
            out.append(DirectoryRow(r, s, free))
    order = {id(pair[0]): i for i, pair in enumerate(rows)}
    out.sort(key=lambda row: order[id(row.resource)])
    return out, monday


def default_startup_id(session: Session, user: User, given: uuid.UUID | None) -> uuid.UUID:
    """The startup a founder acts for: the one given, or their only one."""
    if given is not None:
        return given
    mine = StartupRepository(session).for_member(user.id)
    if len(mine) == 1:
        return mine[0].id
    if not mine:
        raise ValidationFailed(
            "You are not on a startup's team; say which startup this is for.", field_errors={"startup_id": "Required."}
        )
    raise ValidationFailed(
        "You belong to several startups; say which one this is for.", field_errors={"startup_id": "Choose a startup."}
    )


def booking_times(site: Site, day: date, start_time: str, hours: Decimal) -> tuple[datetime, datetime]:
    """A day, a wall-clock time and a length in the site's zone, to UTC instants."""
    _in_range(day)
    hh, mm = (int(p) for p in start_time.split(":"))
    if not (0 <= hh < 24 and 0 <= mm < 60):
        raise ValidationFailed("Give the start as HH:MM.", field_errors={"start_time": "Not a time of day."})
    start = datetime.combine(day, time(hh, mm), tzinfo=zone(site)).astimezone(UTC)
    return start, start + timedelta(minutes=int(hours * 60))


# --- Reports -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OccupancyRow:
    site: str
    kind: str
    leased_days: int
    available_days: int

    @property
    def share(self) -> float:
        return self.leased_days / self.available_days if self.available_days else 0.0


@dataclass(frozen=True)
class UtilisationRow:
    site: str
    resource: str
    booked_minutes: int
    bookable_minutes: int

    @property
    def share(self) -> float:
        return self.booked_minutes / self.bookable_minutes if self.bookable_minutes else 0.0


def occupancy(session: Session, *, period: date) -> list[OccupancyRow]:
    """Share of space-days leased per site and kind of space in the month."""
    month, end = month_start(period), next_month(period)
    days = (end - month).days
    rows: list[OccupancyRow] = []
    for site in SiteRepository(session).all():
        spaces = SpaceRepository(session).for_site(site.id)
        leased: dict[uuid.UUID, int] = {}
        for lease in LeaseRepository(session).in_period(site.id, month, end):
            first = max(lease.start_date, month)
            last = min(lease.end_date, end) if lease.end_date else end
            leased[lease.space_id] = min(days, leased.get(lease.space_id, 0) + (last - first).days)
        by_kind: dict[str, list[int]] = {}
        for space in spaces:
            acc = by_kind.setdefault(space.kind.label, [0, 0])
            acc[0] += leased.get(space.id, 0)
            acc[1] += days
        rows.extend(OccupancyRow(site.name, kind, a, b) for kind, (a, b) in sorted(by_kind.items()))
    return rows


def utilisation(session: Session, *, period: date) -> list[UtilisationRow]:
    """Booked hours out of bookable hours (the month less maintenance) per resource."""
    rows: list[UtilisationRow] = []
    month, end = month_start(period), next_month(period)
    for site in SiteRepository(session).all():
        start_at, end_at = local_midnight(site, month), local_midnight(site, end)
        total = int((end_at - start_at).total_seconds() // 60)
        booked = BookingRepository(session).booked_minutes_by_resource(site.id, start_at, end_at)
        for resource in ResourceRepository(session).for_site(site.id):
            maintenance = sum(
                int((min(b.end_at, end_at) - max(b.start_at, start_at)).total_seconds() // 60)
                for b in ResourceRepository(session).maintenance_overlapping(resource.id, start_at, end_at)
            )
            rows.append(UtilisationRow(site.name, resource.name, booked.get(resource.id, 0), total - maintenance))
    return rows
