"""The charge step: proration, one charge per billable thing even when run twice, orders and pass-through costs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import Session, select

from facilities import service
from facilities.errors import LeaseConflict, WrongSite
from facilities.models import Charge, ChargeCategory, OrderStatus
from incubator.errors import InvalidTransition, ValidationFailed
from incubator.models import Role
from tests.facilities.builders import (
    NOW,
    make_membership,
    make_plan,
    make_resource,
    make_service,
    make_site,
    make_space,
    slot,
)
from tests.support.factories import make_startup, make_user

NOV = date(2026, 11, 1)


def _charges(session: Session, site_id: object) -> list[Charge]:
    return list(session.exec(select(Charge).where(Charge.site_id == site_id)).all())


def test_lease_is_prorated_by_day_at_both_ends(session: Session) -> None:
    site = make_site(session)
    finance = make_user(session, roles=[Role.finance])
    startup = make_startup(session)
    space = make_space(session, site=site, price=30000)
    service.create_lease(
        session,
        startup_id=startup.id,
        space=space,
        start_date=date(2026, 11, 15),
        end_date=date(2027, 1, 10),
        actor=finance,
    )
    service.generate_charges(session, site=site, period=NOV)
    service.generate_charges(session, site=site, period=date(2026, 12, 1))
    service.generate_charges(session, site=site, period=date(2027, 1, 1))
    amounts = sorted((c.service_date, c.amount_minor, c.description) for c in _charges(session, site.id))
    # November: 16 of 30 days; December: whole month; January: 9 of 31 days. Each rounded once.
    assert [(d, a) for d, a, _ in amounts] == [
        (date(2026, 11, 15), 16000),
        (date(2026, 12, 1), 30000),
        (date(2027, 1, 1), 8710),
    ]
    assert "16 of 30 days" in amounts[0][2]
    assert "9 of 31 days" in amounts[2][2]
    assert "days" not in amounts[1][2]


def test_a_lease_overlapping_another_lease_of_the_same_desk_is_refused(session: Session) -> None:
    site = make_site(session)
    finance = make_user(session, roles=[Role.finance])
    space = make_space(session, site=site)
    first, second = make_startup(session), make_startup(session)
    service.create_lease(
        session,
        startup_id=first.id,
        space=space,
        start_date=date(2026, 11, 1),
        end_date=date(2027, 5, 1),
        actor=finance,
    )
    with pytest.raises(LeaseConflict) as caught:
        service.create_lease(
            session, startup_id=second.id, space=space, start_date=date(2027, 4, 1), end_date=None, actor=finance
        )
    assert caught.value.status == 409
    with pytest.raises(ValidationFailed):
        service.create_lease(
            session,
            startup_id=second.id,
            space=space,
            start_date=date(2027, 6, 1),
            end_date=None,
            actor=finance,
            monthly_price_minor=-1,
        )


def test_running_the_charge_step_twice_yields_exactly_one_charge_per_billable_thing(session: Session) -> None:
    site = make_site(session)
    finance = make_user(session, roles=[Role.finance])
    founder = make_user(session, roles=[Role.founder])
    startup = make_startup(session, founder=founder)
    plan = make_plan(session, site=site, included_minutes=60, fee=100000)
    make_membership(session, startup=startup, plan=plan, start=date(2026, 11, 10))
    service.create_lease(
        session,
        startup_id=startup.id,
        space=make_space(session, site=site),
        start_date=NOV,
        end_date=None,
        actor=finance,
    )
    resource = make_resource(session, site=site, hourly_rate_minor=6000)
    start, end = slot(1, 9, 3)
    booking = service.book(
        session, resource=resource, startup_id=startup.id, user=founder, start_at=start, end_at=end, now=NOW
    )
    late_start, late_end = slot(1, 14, 1)
    late = service.book(
        session, resource=resource, startup_id=startup.id, user=founder, start_at=late_start, end_at=late_end, now=NOW
    )
    service.cancel_booking(session, booking=late, actor=founder, now=NOW.replace(hour=20))
    order = service.request_order(
        session,
        service=make_service(session, site=site, price=20000),
        startup_id=startup.id,
        user=founder,
        quantity=Decimal(3),
    )
    service.add_pass_through_cost(
        session,
        order=order,
        actor=finance,
        description="External GMP lab",
        cost_minor=10000,
        margin_rate=Decimal("0.15"),
    )
    service.start_order(session, order=order, actor=finance)
    service.deliver_order(session, order=order, actor=finance)

    first = service.generate_charges(session, site=site, period=NOV)
    second = service.generate_charges(session, site=site, period=NOV)
    assert second.created == 0
    assert second.existing == first.total
    charges = _charges(session, site.id)
    assert len({(c.source_type, c.source_ref) for c in charges}) == len(charges)
    live = {c.category: c for c in charges if c.voided_at is None}
    assert set(live) == {
        ChargeCategory.lease,
        ChargeCategory.membership,
        ChargeCategory.booking,
        ChargeCategory.late_cancellation,
        ChargeCategory.service,
        ChargeCategory.pass_through,
    }
    assert live[ChargeCategory.membership].amount_minor == 70000  # 21 of 30 days
    assert live[ChargeCategory.membership].discount_rate == 0
    # 3 h less the month's share of the included hour (21 of 30 days: 42 minutes), at 60.00 an hour.
    assert live[ChargeCategory.booking].amount_minor == 13800
    assert live[ChargeCategory.booking].discount_rate == Decimal("0.10")
    assert live[ChargeCategory.booking].source_ref == str(booking.id)
    assert live[ChargeCategory.service].amount_minor == 60000
    assert live[ChargeCategory.pass_through].amount_minor == 11500
    assert all(c.currency == "GBP" for c in charges)


def test_quoted_order_flow_and_illegal_moves(session: Session) -> None:
    site = make_site(session)
    finance = make_user(session, roles=[Role.finance])
    founder = make_user(session, roles=[Role.founder])
    startup = make_startup(session, founder=founder)
    catalogue = make_service(session, site=site, needs_quote=True)
    order = service.request_order(session, service=catalogue, startup_id=startup.id, user=founder, quantity=Decimal(1))
    with pytest.raises(InvalidTransition):
        service.start_order(session, order=order, actor=finance)
    service.quote_order(session, order=order, actor=finance, amount_minor=250000, note="Full IP landscape")
    service.accept_order(session, order=order, actor=founder)
    service.start_order(session, order=order, actor=finance)
    service.deliver_order(session, order=order, actor=finance)
    assert order.status == OrderStatus.delivered
    with pytest.raises(InvalidTransition):
        service.cancel_order(session, order=order, actor=founder)
    charge = session.exec(select(Charge).where(Charge.source_ref == str(order.id))).one()
    assert charge.amount_minor == 250000


def test_ordering_a_service_another_site_offers_is_refused(session: Session) -> None:
    here, there = make_site(session), make_site(session, currency="CNY", timezone="Asia/Shanghai")
    founder = make_user(session, roles=[Role.founder])
    startup = make_startup(session, founder=founder)
    with pytest.raises(WrongSite):
        service.request_order(
            session,
            service=make_service(session, site=there),
            startup_id=startup.id,
            user=founder,
            quantity=Decimal(1),
            site_id=here.id,
        )


def test_ending_a_lease_earlier_voids_later_months_and_prorates_the_last(session: Session) -> None:
    site = make_site(session)
    finance = make_user(session, roles=[Role.finance])
    startup = make_startup(session)
    lease = service.create_lease(
        session,
        startup_id=startup.id,
        space=make_space(session, site=site, price=31000),
        start_date=date(2026, 10, 1),
        end_date=None,
        actor=finance,
    )
    for period in (date(2026, 10, 1), NOV, date(2026, 12, 1)):
        service.generate_charges(session, site=site, period=period)
    service.end_lease(session, lease=lease, end_date=date(2026, 11, 16), actor=finance)
    live = sorted(
        (c.service_date, c.amount_minor, c.period_end) for c in _charges(session, site.id) if c.voided_at is None
    )
    assert live == [
        (date(2026, 10, 1), 31000, date(2026, 11, 1)),
        (date(2026, 11, 1), 15500, date(2026, 11, 16)),  # 15 of 30 days
    ]
    assert service.generate_charges(session, site=site, period=date(2026, 12, 1)).created == 0
    with pytest.raises(ValidationFailed):
        service.end_lease(session, lease=lease, end_date=date(2026, 12, 1), actor=finance)
