"""No double booking, ever: 20 clients race for overlapping slots of one resource; exactly one wins.

Real commits on several connections, so the test builds its own database (PostgreSQL: the exclusion constraint
decides; SQLite: the serialised write decides).
"""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from facilities import service
from facilities.errors import BookingConflict
from facilities.models import Booking, BookingStatus, Resource
from incubator.db import create_db_engine
from incubator.migrations import upgrade
from incubator.models import Role, User
from tests.facilities.builders import NOW, make_resource, make_site, slot
from tests.support import backends
from tests.support.factories import make_startup, make_user

CLIENTS = 20


@pytest.mark.slow
def test_twenty_clients_booking_overlapping_slots_yield_exactly_one_booking(
    backend: str, worker_id_str: str, tmp_dir: Path
) -> None:
    url = backends.database_url(backend, worker_id_str, tmp_dir, purpose="booking_race")
    upgrade(url)
    engine = create_db_engine(url, pool_size=CLIENTS)
    try:
        with Session(engine, expire_on_commit=False) as setup:
            site = make_site(setup)
            resource = make_resource(setup, site=site, max_minutes=6 * 60)
            founders = [make_user(setup, roles=[Role.founder]) for _ in range(4)]
            startups = [make_startup(setup, founder=f) for f in founders]
        barrier = threading.Barrier(CLIENTS)
        outcomes: list[str] = []
        lock = threading.Lock()

        def client(i: int) -> None:
            start, end = slot(1, 9, 4)
            start += timedelta(minutes=30 * (i % 4))  # every slot overlaps every other one
            end += timedelta(minutes=30 * (i % 4))
            with Session(engine, expire_on_commit=False) as s:
                user = s.get_one(User, founders[i % 4].id)
                res = s.get_one(Resource, resource.id)
                # End the read transaction: on SQLite it holds the write lock (BEGIN IMMEDIATE) until it ends.
                s.commit()
                barrier.wait(timeout=60)
                try:
                    service.book(
                        s, resource=res, startup_id=startups[i % 4].id, user=user, start_at=start, end_at=end, now=NOW
                    )
                    s.commit()
                    result = "booked"
                except BookingConflict as exc:
                    s.rollback()
                    result = f"409 {exc.status}" if exc.status == 409 else f"wrong status {exc.status}"
                except Exception as exc:  # anything else is a failure of the guarantee
                    s.rollback()
                    result = f"error {type(exc).__name__}: {exc}"
            with lock:
                outcomes.append(result)

        threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert sorted(set(outcomes)) == ["409 409", "booked"], outcomes
        assert outcomes.count("booked") == 1
        assert outcomes.count("409 409") == CLIENTS - 1
        with Session(engine) as check:
            confirmed = check.exec(
                select(Booking).where(Booking.resource_id == resource.id, Booking.status == BookingStatus.confirmed)
            ).all()
            assert len(confirmed) == 1
    finally:
        engine.dispose()


def test_postgresql_exclusion_constraint_refuses_an_overlap_that_skips_the_check(
    session: Session, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("the exclusion constraint exists on PostgreSQL only")
    from sqlalchemy.exc import IntegrityError

    site = make_site(session)
    resource = make_resource(session, site=site, buffer_minutes=60)
    founder = make_user(session, roles=[Role.founder])
    startup = make_startup(session, founder=founder)
    start, end = slot(1, 9, 2)
    first = service.book(
        session, resource=resource, startup_id=startup.id, user=founder, start_at=start, end_at=end, now=NOW
    )

    def raw(begin_hour: int) -> Booking:
        s, e = slot(1, begin_hour, 1)
        return Booking(
            resource_id=resource.id,
            site_id=site.id,
            startup_id=startup.id,
            user_id=founder.id,
            start_at=s,
            end_at=e,
            blocked_until=e,
            service_date=first.service_date,
            minutes=60,
            currency="GBP",
        )

    with pytest.raises(IntegrityError, match="ex_booking_no_overlap"), session.begin_nested():
        session.add(raw(11))  # inside the first booking's cleaning buffer (11:00-12:00)
        session.flush()
    with session.begin_nested():
        session.add(raw(12))  # right after the buffer: allowed
        session.flush()


@pytest.mark.slow
def test_ten_clients_cancelling_one_booking_restore_the_allowance_once(
    backend: str, worker_id_str: str, tmp_dir: Path
) -> None:
    from datetime import date

    from facilities.repository import AllowanceRepository
    from incubator.errors import InvalidTransition
    from tests.facilities.builders import make_membership, make_plan

    url = backends.database_url(backend, worker_id_str, tmp_dir, purpose="cancel_race")
    upgrade(url)
    engine = create_db_engine(url, pool_size=10)
    try:
        with Session(engine, expire_on_commit=False) as setup:
            site = make_site(setup)
            resource = make_resource(setup, site=site)
            founder = make_user(setup, roles=[Role.founder])
            startup = make_startup(setup, founder=founder)
            make_membership(setup, startup=startup, plan=make_plan(setup, site=site, included_minutes=240))
            start, end = slot(3, 9, 2)
            booking = service.book(
                setup, resource=resource, startup_id=startup.id, user=founder, start_at=start, end_at=end, now=NOW
            )
            setup.commit()
        barrier = threading.Barrier(10)
        outcomes: list[str] = []
        lock = threading.Lock()

        def client() -> None:
            with Session(engine, expire_on_commit=False) as s:
                user = s.get_one(User, founder.id)
                mine = s.get_one(Booking, booking.id)
                s.commit()
                barrier.wait(timeout=60)
                try:
                    service.cancel_booking(s, booking=mine, actor=user, now=NOW)
                    s.commit()
                    result = "cancelled"
                except InvalidTransition:
                    s.rollback()
                    result = "409"
                except Exception as exc:
                    s.rollback()
                    result = f"error {type(exc).__name__}: {exc}"
            with lock:
                outcomes.append(result)

        threads = [threading.Thread(target=client) for _ in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert sorted(set(outcomes)) == ["409", "cancelled"], outcomes
        assert outcomes.count("cancelled") == 1
        with Session(engine) as check:
            assert AllowanceRepository(check).balance(startup.id, site.id, date(2026, 11, 1)) == 240
    finally:
        engine.dispose()
