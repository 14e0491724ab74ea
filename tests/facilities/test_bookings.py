"""Booking rules, the allowance ledger, frozen prices, late cancellation and qualification gates."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlmodel import Session, select

from facilities import service
from facilities.errors import BookingBlocked, BookingConflict, BookingNotAllowed, QualificationMissing
from facilities.models import BookingStatus, Charge, ChargeCategory, MaintenanceBlock
from facilities.repository import AllowanceRepository
from incubator.errors import InvalidTransition, PermissionDenied
from incubator.models import Role
from startups.models import BiosafetyLevel
from tests.facilities.builders import (
    NOW,
    clear,
    make_membership,
    make_plan,
    make_resource,
    make_site,
    slot,
    train,
)
from tests.support.factories import make_startup, make_user


def _setup(session: Session, **resource_values: object):  # type: ignore[no-untyped-def]
    site = make_site(session)
    resource = make_resource(session, site=site, **resource_values)
    founder = make_user(session, roles=[Role.founder])
    startup = make_startup(session, founder=founder)
    return site, resource, founder, startup


def _book(session: Session, resource, startup, user, day: int = 1, hour: int = 9, hours: float = 2.0):  # type: ignore[no-untyped-def]
    start, end = slot(day, hour, hours)
    return service.book(
        session, resource=resource, startup_id=startup.id, user=user, start_at=start, end_at=end, now=NOW
    )


def test_overlapping_booking_is_refused_with_the_taken_slot_named(session: Session) -> None:
    _, resource, founder, startup = _setup(session)
    _book(session, resource, startup, founder, hour=9)
    with pytest.raises(BookingConflict) as caught:
        _book(session, resource, startup, founder, hour=10)
    assert caught.value.status == 409
    assert "10 Nov 2026 09:00–11:00" in caught.value.detail


def test_cleaning_buffer_blocks_the_next_slot_but_not_the_one_after(session: Session) -> None:
    _, resource, founder, startup = _setup(session, buffer_minutes=60)
    _book(session, resource, startup, founder, hour=9)  # 09:00-11:00, blocked until 12:00
    with pytest.raises(BookingConflict):
        _book(session, resource, startup, founder, hour=11)
    assert _book(session, resource, startup, founder, hour=12).status == BookingStatus.confirmed


def test_length_increment_and_window_rules(session: Session) -> None:
    _, resource, founder, startup = _setup(session, min_minutes=60, max_minutes=240, max_days_ahead=14)
    with pytest.raises(BookingNotAllowed, match="at least 1 hour"):
        _book(session, resource, startup, founder, hours=0.5)
    with pytest.raises(BookingNotAllowed, match="at most 4 hours"):
        _book(session, resource, startup, founder, hours=5)
    with pytest.raises(BookingNotAllowed, match="steps of 30 minutes"):
        _book(session, resource, startup, founder, hours=1.25)
    with pytest.raises(BookingNotAllowed, match="14 days ahead"):
        _book(session, resource, startup, founder, day=20)
    with pytest.raises(BookingNotAllowed, match="past"):
        _book(session, resource, startup, founder, day=-1)


def test_maintenance_block_is_not_bookable(session: Session) -> None:
    _, resource, founder, startup = _setup(session)
    start, end = slot(1, 8, 4)
    session.add(MaintenanceBlock(resource_id=resource.id, start_at=start, end_at=end, reason="Annual service"))
    session.commit()
    with pytest.raises(BookingConflict, match="Annual service"):
        _book(session, resource, startup, founder, hour=9)


def test_training_is_required_and_expired_training_does_not_count(session: Session) -> None:
    _, resource, founder, startup = _setup(session, requires_training=True)
    with pytest.raises(QualificationMissing) as caught:
        _book(session, resource, startup, founder)
    assert caught.value.status == 403
    train(session, user=founder, resource=resource, expires=date(2026, 11, 1))
    with pytest.raises(QualificationMissing):
        _book(session, resource, startup, founder)
    train(session, user=founder, resource=resource, expires=date(2027, 11, 1))
    assert _book(session, resource, startup, founder).status == BookingStatus.confirmed


def test_biosafety_clearance_must_cover_the_resource_level(session: Session) -> None:
    _, resource, founder, startup = _setup(session, biosafety_level=BiosafetyLevel.bsl2)
    clear(session, startup=startup, level=BiosafetyLevel.bsl1)
    with pytest.raises(QualificationMissing, match="BSL-2"):
        _book(session, resource, startup, founder)
    clear(session, startup=startup, level=BiosafetyLevel.bsl2, expires=date(2026, 11, 5))
    with pytest.raises(QualificationMissing):
        _book(session, resource, startup, founder)
    clear(session, startup=startup, level=BiosafetyLevel.bsl2)
    assert _book(session, resource, startup, founder).status == BookingStatus.confirmed


def test_allowance_is_consumed_first_then_restored_on_cancellation(session: Session) -> None:
    site, resource, founder, startup = _setup(session, hourly_rate_minor=6000)
    make_membership(session, startup=startup, plan=make_plan(session, site=site, included_minutes=180))
    booking = _book(session, resource, startup, founder, hours=4)  # 3 h included, 1 h billable
    assert (booking.included_minutes, booking.billable_minutes, booking.amount_minor) == (180, 60, 6000)
    assert booking.discount_rate == Decimal("0.10")
    ledger = AllowanceRepository(session)
    assert ledger.balance(startup.id, site.id, date(2026, 11, 1)) == 0
    charge = session.exec(select(Charge).where(Charge.source_ref == str(booking.id))).one()
    assert (charge.amount_minor, charge.category) == (6000, ChargeCategory.booking)

    service.cancel_booking(session, booking=booking, actor=founder, now=NOW)
    assert ledger.balance(startup.id, site.id, date(2026, 11, 1)) == 180
    session.refresh(charge)
    assert charge.voided_at is not None
    # The ledger is append-only: grant, consume, restore.
    kinds = [e.kind.value for e in ledger.entries(startup.id, date(2026, 11, 1))]
    assert kinds == ["grant", "consume", "restore"]


def test_allowance_of_one_month_is_not_used_in_the_next(session: Session) -> None:
    site, resource, founder, startup = _setup(session, max_days_ahead=60)
    make_membership(session, startup=startup, plan=make_plan(session, site=site, included_minutes=120))
    _book(session, resource, startup, founder, hours=1)  # November: 60 of 120 minutes used
    december = _book(session, resource, startup, founder, day=25, hours=2)  # 4 December
    assert december.included_minutes == 120  # December's own grant, not November's rest
    assert AllowanceRepository(session).balance(startup.id, site.id, date(2026, 11, 1)) == 60


def test_price_is_frozen_when_the_rate_changes_until_an_audited_reprice(session: Session) -> None:
    _, resource, founder, startup = _setup(session, hourly_rate_minor=6000)
    finance = make_user(session, roles=[Role.finance])
    booking = _book(session, resource, startup, founder, hours=2)
    assert booking.amount_minor == 12000
    service.update_resource(session, resource=resource, actor=finance, changes={"hourly_rate_minor": 9000})
    session.refresh(booking)
    assert booking.amount_minor == 12000
    service.reprice_booking(session, booking=booking, actor=finance, reason="Agreed new rate")
    assert booking.amount_minor == 18000
    charge = session.exec(select(Charge).where(Charge.source_ref == str(booking.id))).one()
    assert charge.amount_minor == 18000
    with pytest.raises(PermissionDenied):
        service.reprice_booking(session, booking=booking, actor=founder, reason="cheaper please")


def test_late_cancellation_costs_the_fee_and_early_cancellation_is_free(session: Session) -> None:
    _, resource, founder, startup = _setup(session, cancel_cutoff_hours=24, late_cancel_fee_minor=5000)
    early = _book(session, resource, startup, founder, day=3)
    service.cancel_booking(session, booking=early, actor=founder, now=NOW)
    assert early.late_fee_minor == 0
    late = _book(session, resource, startup, founder, day=1, hour=7)  # 23 hours from NOW
    service.cancel_booking(session, booking=late, actor=founder, now=NOW)
    assert late.late_fee_minor == 5000
    fees = session.exec(select(Charge).where(Charge.category == ChargeCategory.late_cancellation)).all()
    assert [(c.source_ref, c.amount_minor) for c in fees] == [(str(late.id), 5000)]
    with pytest.raises(InvalidTransition):
        service.cancel_booking(session, booking=late, actor=founder, now=NOW)


def test_founder_cannot_cancel_another_startups_booking(session: Session) -> None:
    _, resource, founder, startup = _setup(session)
    booking = _book(session, resource, startup, founder)
    stranger = make_user(session, roles=[Role.founder])
    make_startup(session, founder=stranger)
    with pytest.raises(PermissionDenied):
        service.cancel_booking(session, booking=booking, actor=stranger, now=NOW)
    assert booking.status == BookingStatus.confirmed


def test_booking_guard_registered_by_billing_stops_new_bookings(session: Session) -> None:
    _, resource, founder, startup = _setup(session)

    def overdue(_session: Session, startup_id: object) -> str | None:
        return "Invoices overdue by more than 30 days" if startup_id == startup.id else None

    service.register_booking_guard(overdue)
    try:
        with pytest.raises(BookingBlocked, match="overdue"):
            _book(session, resource, startup, founder)
    finally:
        service.unregister_booking_guard(overdue)
    assert _book(session, resource, startup, founder).status == BookingStatus.confirmed


def test_members_may_book_further_ahead_than_non_members(session: Session) -> None:
    site, resource, founder, startup = _setup(session, max_days_ahead=7)
    with pytest.raises(BookingNotAllowed):
        _book(session, resource, startup, founder, day=10)
    make_membership(session, startup=startup, plan=make_plan(session, site=site))  # 60 days ahead
    assert _book(session, resource, startup, founder, day=10).start_at > NOW + timedelta(days=7)


def test_a_membership_starting_mid_month_grants_that_months_share_of_hours(session: Session) -> None:
    site, resource, founder, startup = _setup(session)
    make_membership(
        session, startup=startup, plan=make_plan(session, site=site, included_minutes=600), start=date(2026, 11, 6)
    )
    booking = _book(session, resource, startup, founder, hours=10)  # 25 of 30 days: 500 of 600 minutes
    assert (booking.included_minutes, booking.billable_minutes) == (500, 100)
    view = service.allowance_left(session, startup_id=startup.id, site=site, day=date(2026, 11, 20))
    assert (view.granted_minutes, view.left_minutes) == (500, 0)
