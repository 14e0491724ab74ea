"""Pages and API of the facilities, as founders and finance use them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from facilities import service
from facilities.models import Booking, BookingStatus, Charge, ResourceCategory
from incubator.models import Role
from startups.models import BiosafetyLevel
from tests.facilities.builders import clear, make_membership, make_plan, make_resource, make_site, train
from tests.support.factories import bearer, make_startup, make_user, post_form, sign_in


def _next_monday() -> date:
    today = datetime.now(UTC).date()
    return today + timedelta(days=7 - today.weekday())


def _world(session: Session):  # type: ignore[no-untyped-def]
    site = make_site(session, currency="GBP", timezone="Europe/London", code="LDN")
    small = make_resource(session, site=site, name="Fermenter 5 L", volume_litres=Decimal(5))
    big = make_resource(
        session,
        site=site,
        name="Pilot fermenter 300 L",
        volume_litres=Decimal(300),
        max_days_ahead=60,
        biosafety_level=BiosafetyLevel.bsl1,
        requires_training=True,
        hourly_rate_minor=18000,
    )
    founder = make_user(session, roles=[Role.founder])
    startup = make_startup(session, founder=founder, name="Fermentis Test")
    train(session, user=founder, resource=big)
    clear(session, startup=startup, level=BiosafetyLevel.bsl1)
    make_membership(session, startup=startup, plan=make_plan(session, site=site, included_minutes=600))
    return site, small, big, founder, startup


def test_directory_finds_a_300_litre_bsl1_fermenter_free_next_week(client: TestClient, session: Session) -> None:
    site, small, big, founder, _ = _world(session)
    hplc = make_resource(session, site=site, name="HPLC", category=ResourceCategory.chromatography, volume_litres=None)
    sign_in(client, session, founder)
    week = service.iso_week(_next_monday())
    page = client.get(
        "/facilities",
        params={
            "category": "fermenter",
            "min_volume": "200",
            "max_volume": "500",
            "bsl": "bsl1",
            "week": week,
            "free": "1",
        },
    )
    assert page.status_code == 200, page.text
    assert "Pilot fermenter 300 L" in page.text
    assert f"/facilities/resources/{small.id}" not in page.text
    assert f"/facilities/resources/{hplc.id}" not in page.text
    assert f"/facilities/resources/{big.id}" in page.text
    api = client.get(
        "/api/v1/resources",
        params={"category": "fermenter", "min_volume": 200, "biosafety_level": "bsl1", "week": week, "free_only": True},
        headers=bearer(session, founder),
    )
    assert api.status_code == 200
    assert [e["resource"]["name"] for e in api.json()] == ["Pilot fermenter 300 L"]
    assert api.json()[0]["free_minutes"] == 7 * 24 * 60


def test_founder_books_on_the_calendar_page_sees_allowance_drop_and_cancels(
    client: TestClient, session: Session
) -> None:
    site, _, big, founder, startup = _world(session)
    sign_in(client, session, founder)
    monday = _next_monday()
    page = client.get(f"/facilities/resources/{big.id}", params={"week": service.iso_week(monday)})
    assert page.status_code == 200
    assert "Book Pilot fermenter 300 L" in page.text
    response = post_form(
        client, f"/facilities/resources/{big.id}/book", {"day": monday.isoformat(), "start_time": "09:00", "hours": "6"}
    )
    assert response.status_code == 303, response.text
    mine = client.get("/facilities/mine")
    assert "Pilot fermenter 300 L" in mine.text
    month_allowance = service.allowance_left(session, startup_id=startup.id, site=site, day=monday)
    assert month_allowance.left_minutes == 600 - 360
    calendar = client.get(f"/facilities/resources/{big.id}", params={"week": service.iso_week(monday)})
    assert "Your booking" in calendar.text
    booking = session.exec(select(Booking).where(Booking.resource_id == big.id)).one()
    assert post_form(client, f"/facilities/bookings/{booking.id}/cancel").status_code == 303
    session.refresh(booking)
    assert booking.status == BookingStatus.cancelled
    assert service.allowance_left(session, startup_id=startup.id, site=site, day=monday).left_minutes == 600


def test_booking_form_shows_the_taken_slot_and_the_training_gate(client: TestClient, session: Session) -> None:
    site, _small, big, founder, _startup = _world(session)
    other = make_user(session, roles=[Role.founder])
    other_startup = make_startup(session, founder=other)
    train(session, user=other, resource=big)
    clear(session, startup=other_startup, level=BiosafetyLevel.bsl1)
    monday = _next_monday()
    start, end = service.booking_times(site, monday, "08:00", Decimal(4))
    service.book(session, resource=big, startup_id=other_startup.id, user=other, start_at=start, end_at=end)
    session.commit()
    sign_in(client, session, founder)
    clash = post_form(
        client, f"/facilities/resources/{big.id}/book", {"day": monday.isoformat(), "start_time": "10:00", "hours": "4"}
    )
    assert clash.status_code == 409
    assert "already booked" in clash.text and "08:00–12:00" in clash.text
    lcms = make_resource(session, site=site, name="LC-MS", requires_training=True)
    gate = post_form(
        client,
        f"/facilities/resources/{lcms.id}/book",
        {"day": monday.isoformat(), "start_time": "10:00", "hours": "2"},
    )
    assert gate.status_code == 403
    assert "training" in gate.text


def test_api_booking_conflict_is_409_and_names_the_slot(client: TestClient, session: Session) -> None:
    site, _, big, founder, _startup = _world(session)
    headers = bearer(session, founder)
    monday = _next_monday()
    start, end = service.booking_times(site, monday, "09:00", Decimal(4))
    body = {"resource_id": str(big.id), "start_at": start.isoformat(), "end_at": end.isoformat()}
    first = client.post("/api/v1/bookings", json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert first.json()["included_minutes"] == 240
    second = client.post("/api/v1/bookings", json=body, headers=headers)
    assert second.status_code == 409
    assert "09:00–13:00" in second.json()["detail"]
    availability = client.get(
        f"/api/v1/resources/{big.id}/availability", params={"week": service.iso_week(monday)}, headers=headers
    )
    assert availability.status_code == 200
    kinds = [b["kind"] for b in availability.json()["busy"]]
    assert kinds == ["booking", "buffer"]
    assert availability.json()["busy"][0]["mine"] is True
    assert availability.json()["free_minutes"] == 7 * 24 * 60 - 4 * 60 - 60  # the booking and its cleaning hour
    allowance = client.get("/api/v1/allowance", params={"day": monday.isoformat()}, headers=headers)
    assert allowance.json()[0]["left_minutes"] == 600 - 240
    cancel = client.post(f"/api/v1/bookings/{first.json()['id']}/cancel", headers=headers)
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled"


def test_other_founder_cannot_see_or_cancel_a_booking(client: TestClient, session: Session) -> None:
    site, _, big, founder, startup = _world(session)
    start, end = service.booking_times(site, _next_monday(), "09:00", Decimal(4))
    booking = service.book(session, resource=big, startup_id=startup.id, user=founder, start_at=start, end_at=end)
    session.commit()
    stranger = make_user(session, roles=[Role.founder])
    make_startup(session, founder=stranger)
    headers = bearer(session, stranger)
    assert client.get(f"/api/v1/bookings/{booking.id}", headers=headers).status_code == 404
    assert client.post(f"/api/v1/bookings/{booking.id}/cancel", headers=headers).status_code == 404
    session.refresh(booking)
    assert booking.status == BookingStatus.confirmed


def test_icalendar_feed_lists_the_users_bookings_behind_a_secret_url(client: TestClient, session: Session) -> None:
    site, _, big, founder, startup = _world(session)
    start, end = service.booking_times(site, _next_monday(), "09:00", Decimal(4))
    service.book(session, resource=big, startup_id=startup.id, user=founder, start_at=start, end_at=end)
    session.commit()
    link = client.get("/api/v1/me/calendar", headers=bearer(session, founder)).json()["url"]
    path = link.removeprefix("http://testserver")
    feed = client.get(path)
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    assert "SUMMARY:Pilot fermenter 300 L" in feed.text
    assert f"DTSTART:{start:%Y%m%dT%H%M%SZ}" in feed.text
    assert client.get("/calendar/not-the-token.ics").status_code == 404


def test_finance_generates_charges_from_the_page_and_sees_reports(client: TestClient, session: Session) -> None:
    site, _, _big, _founder, _startup = _world(session)
    finance = make_user(session, roles=[Role.finance])
    sign_in(client, session, finance)
    period = f"{datetime.now(UTC):%Y-%m}"
    first = post_form(client, "/facilities/charges/generate", {"site_code": "LDN", "period": period})
    assert first.status_code == 303, first.text
    again = post_form(client, "/facilities/charges/generate", {"site_code": "LDN", "period": period})
    assert again.status_code == 303
    memberships = session.exec(
        select(Charge).where(Charge.site_id == site.id, Charge.source_type == "membership")
    ).all()
    assert len(memberships) == 1
    charges = client.get("/facilities/charges", params={"period": period})
    assert charges.status_code == 200 and "membership" in charges.text
    reports = client.get("/facilities/reports", params={"period": period})
    assert reports.status_code == 200
    assert reports.text.count('class="pygal-chart"') == 3
    assert "<script" not in reports.text
    bad = post_form(client, "/facilities/charges/generate", {"site_code": "LDN", "period": "November"})
    assert bad.status_code == 422


def test_founder_cannot_generate_charges_or_change_prices(client: TestClient, session: Session) -> None:
    _, _, big, founder, _ = _world(session)
    headers = bearer(session, founder)
    assert (
        client.post(
            "/api/v1/charges/generate", json={"site_code": "LDN", "period": "2026-11"}, headers=headers
        ).status_code
        == 403
    )
    assert (
        client.patch(f"/api/v1/resources/{big.id}", json={"hourly_rate_minor": 1}, headers=headers).status_code == 403
    )
    negative = client.post(
        "/api/v1/leases",
        json={
            "startup_id": str(big.id),
            "space_id": str(big.id),
            "start_date": "2026-12-01",
            "monthly_price_minor": -5,
        },
        headers=bearer(session, make_user(session, roles=[Role.finance])),
    )
    assert negative.status_code == 422


def test_staff_record_training_on_the_page_and_it_unlocks_booking(client: TestClient, session: Session) -> None:
    site, _, big, _, _ = _world(session)
    newcomer = make_user(session, roles=[Role.founder], email="newcomer@example.org")
    team = make_startup(session, founder=newcomer)
    pm = make_user(session, roles=[Role.program_manager])
    sign_in(client, session, pm)
    assert client.get("/facilities/qualifications").status_code == 200
    missing = post_form(
        client,
        "/facilities/qualifications/training",
        {"email": "nobody@example.org", "resource_id": str(big.id), "qualified_date": "2026-09-01"},
    )
    assert missing.status_code == 422 and "No account has this e-mail." in missing.text
    done = post_form(
        client,
        "/facilities/qualifications/training",
        {"email": "newcomer@example.org", "resource_id": str(big.id), "qualified_date": "2026-09-01"},
    )
    assert done.status_code == 303
    cleared = post_form(
        client,
        "/facilities/qualifications/clearance",
        {"startup_id": str(team.id), "level": "bsl1", "granted_date": "2026-09-01", "expires_date": "2027-09-01"},
    )
    assert cleared.status_code == 303
    start, end = service.booking_times(site, _next_monday(), "09:00", Decimal(4))
    booking = service.book(session, resource=big, startup_id=team.id, user=newcomer, start_at=start, end_at=end)
    assert booking.status == BookingStatus.confirmed


def test_finance_prices_the_catalogue_on_the_site_page(client: TestClient, session: Session) -> None:
    site, _, big, founder, startup = _world(session)
    finance = make_user(session, roles=[Role.finance])
    sign_in(client, session, finance)
    page = client.get(f"/facilities/sites/{site.id}")
    assert page.status_code == 200 and "Pilot fermenter 300 L" in page.text
    added = post_form(
        client,
        f"/facilities/sites/{site.id}/resources",
        {
            "name": "HPLC 2",
            "category": "chromatography",
            "hourly_rate": "35.50",
            "min_minutes": "60",
            "max_minutes": "240",
            "increment_minutes": "30",
            "requires_training": "1",
        },
    )
    assert added.status_code == 303, added.text
    start, end = service.booking_times(site, _next_monday(), "09:00", Decimal(4))
    booking = service.book(session, resource=big, startup_id=startup.id, user=founder, start_at=start, end_at=end)
    session.commit()
    rate = post_form(client, f"/facilities/sites/{site.id}/resources/{big.id}/rate", {"hourly_rate": "999.00"})
    assert rate.status_code == 303
    session.refresh(big)
    session.refresh(booking)
    assert big.hourly_rate_minor == 99900
    assert booking.hourly_rate_minor == 18000  # frozen at confirmation
    bad = post_form(
        client, f"/facilities/sites/{site.id}/spaces", {"name": "Desk", "kind": "desk", "monthly_price": "-1"}
    )
    assert bad.status_code == 422
    space = post_form(
        client, f"/facilities/sites/{site.id}/spaces", {"name": "Desk 9", "kind": "desk", "monthly_price": "350"}
    )
    assert space.status_code == 303
    created = client.get(f"/facilities/sites/{site.id}")
    assert "Desk 9" in created.text and "HPLC 2" in created.text
    other = make_startup(session)
    from facilities.models import Space

    desk = session.exec(select(Space).where(Space.name == "Desk 9")).one()
    first = post_form(
        client,
        f"/facilities/sites/{site.id}/leases",
        {"startup_id": str(startup.id), "space_id": str(desk.id), "start_date": "2026-12-01"},
    )
    assert first.status_code == 303
    clash = post_form(
        client,
        f"/facilities/sites/{site.id}/leases",
        {"startup_id": str(other.id), "space_id": str(desk.id), "start_date": "2027-01-01"},
    )
    assert clash.status_code == 409 and "is leased from" in clash.text


def test_odd_input_gets_a_clear_answer_never_a_server_error(client: TestClient, session: Session) -> None:
    _site, _, big, founder, _ = _world(session)
    sign_in(client, session, founder)
    assert client.get(f"/facilities/resources/{big.id}", params={"week": "9999-W52"}).status_code == 422
    assert client.get(f"/facilities/resources/{big.id}", params={"week": "soon"}).status_code == 422
    assert client.get("/facilities", params={"week": "nonsense", "min_volume": "lots"}).status_code == 200
    far = post_form(
        client, f"/facilities/resources/{big.id}/book", {"day": "9999-12-31", "start_time": "23:00", "hours": "1"}
    )
    assert far.status_code == 422
    odd = post_form(
        client, f"/facilities/resources/{big.id}/book", {"day": "2026-12-01", "start_time": "25:99", "hours": "x"}
    )
    assert odd.status_code == 422
    headers = bearer(session, founder)
    assert client.get("/api/v1/charges", params={"period": "2026-13"}, headers=headers).status_code == 422
    assert (
        client.get(f"/api/v1/resources/{big.id}/availability", params={"week": "0001-W01"}, headers=headers).status_code
        == 422
    )


def test_finance_reprices_a_booking_from_the_bookings_page_with_a_reason(client: TestClient, session: Session) -> None:
    site, _, big, founder, startup = _world(session)
    start, end = service.booking_times(site, _next_monday(), "09:00", Decimal(12))
    booking = service.book(session, resource=big, startup_id=startup.id, user=founder, start_at=start, end_at=end)
    big.hourly_rate_minor = 20000
    session.add(big)
    session.commit()
    finance = make_user(session, roles=[Role.finance])
    sign_in(client, session, finance)
    listing = client.get("/facilities/bookings", params={"upcoming": "1"})
    assert listing.status_code == 200 and "Re-price" in listing.text
    assert post_form(client, f"/facilities/bookings/{booking.id}/reprice", {"reason": ""}).status_code == 422
    assert (
        post_form(client, f"/facilities/bookings/{booking.id}/reprice", {"reason": "Rate card 2027"}).status_code == 303
    )
    session.refresh(booking)
    assert booking.hourly_rate_minor == 20000
    assert booking.amount_minor == 2 * 20000  # 12 h less 10 h included
    from incubator.models import AuditEvent

    event = session.exec(select(AuditEvent).where(AuditEvent.action == "facilities.booking.reprice")).one()
    assert event.summary == "Rate card 2027"


def test_staff_dashboard_shows_the_months_facilities(client: TestClient, session: Session) -> None:
    _world(session)
    sign_in(client, session, make_user(session, roles=[Role.finance]))
    page = client.get("/")
    assert page.status_code == 200
    assert "Orders waiting on staff" in page.text


def test_report_api_gives_occupancy_utilisation_and_charges(client: TestClient, session: Session) -> None:
    site, _, big, founder, startup = _world(session)
    finance = make_user(session, roles=[Role.finance])
    from facilities.models import SpaceKind
    from tests.facilities.builders import make_space

    desk = make_space(session, site=site, kind=SpaceKind.desk)
    make_space(session, site=site, kind=SpaceKind.desk)
    service.create_lease(
        session, startup_id=startup.id, space=desk, start_date=date(2026, 11, 16), end_date=None, actor=finance
    )
    session.add(
        Booking(
            resource_id=big.id,
            site_id=site.id,
            startup_id=startup.id,
            user_id=founder.id,
            start_at=datetime(2026, 11, 3, 9, tzinfo=UTC),
            end_at=datetime(2026, 11, 3, 21, tzinfo=UTC),
            blocked_until=datetime(2026, 11, 3, 22, tzinfo=UTC),
            service_date=date(2026, 11, 3),
            minutes=720,
            currency="GBP",
        )
    )
    service.generate_charges(session, site=site, period=date(2026, 11, 1))
    session.commit()
    response = client.get("/api/v1/facility-reports", params={"period": "2026-11"}, headers=bearer(session, finance))
    assert response.status_code == 200, response.text
    body = response.json()
    desks = next(r for r in body["occupancy"] if r["kind"] == "Desk")
    assert (desks["leased_days"], desks["available_days"]) == (15, 60)
    vessel = next(r for r in body["utilisation"] if r["resource"] == "Pilot fermenter 300 L")
    assert (vessel["booked_minutes"], vessel["bookable_minutes"]) == (720, 30 * 24 * 60)
    assert {c["category"] for c in body["charges"]} == {"lease", "membership"}
    assert (
        client.get(
            "/api/v1/facility-reports", params={"period": "2026-11"}, headers=bearer(session, founder)
        ).status_code
        == 403
    )
