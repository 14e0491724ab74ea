"""A founder finds a 300 L fermenter in the directory, books it, sees the allowance drop and the booking in the
calendar, cancels it and sees the allowance restored (real app with demo data, real Chromium)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import login

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
HOURS = 4


def _hours_left(page: Page, site_code: str, month: date) -> float:
    page.goto("/facilities/mine")
    row = page.get_by_test_id(f"allowance-{site_code}-{month:%Y-%m}")
    expect(row).to_be_visible()
    match = re.search(r"([\d.]+) h left", row.inner_text())
    assert match, row.inner_text()
    return float(match.group(1))


def _free_day(page: Page, first_hour: int, hours: int) -> str:
    """A day on the calendar shown whose cells from `first_hour` are free for the run and its cleaning buffer."""
    today = datetime.now(UTC).date()
    for column in range(7):
        cells = page.locator(".calendar .slot").nth(first_hour * 7 + column)
        day = cells.get_attribute("data-day")
        assert day is not None
        if date.fromisoformat(day) <= today + timedelta(days=1):
            continue
        needed = range(first_hour, min(24, first_hour + hours + 5))
        if all(
            "slot-free" in (page.locator(f'.slot[data-day="{day}"][data-hour="{h}"]').get_attribute("class") or "")
            for h in needed
        ):
            return day
    raise AssertionError("no free day next week on the demo calendar")


def test_founder_finds_books_sees_allowance_and_calendar_then_cancels(page: Page) -> None:
    login(page, "founder@demo.example.org")

    # One search in the directory: a fermenter of 200-500 L at BSL-1, free next week.
    page.goto("/facilities")
    expect(page.get_by_role("heading", level=1, name="Facility directory")).to_be_visible()
    search = page.get_by_role("search", name="Search equipment")
    search.get_by_label("Category").select_option("fermenter")
    search.get_by_label("Volume from (L)").fill("200")
    search.get_by_label("to (L)").fill("500")
    search.get_by_label("Biosafety level").select_option("bsl1")
    today = datetime.now(UTC).date()
    year, week, _ = (today + timedelta(days=7)).isocalendar()
    search.get_by_label("Week", exact=True).select_option(f"{year}-W{week:02d}")
    search.get_by_label("Free that week").check()
    search.get_by_role("button", name="Search").click()
    rows = page.locator("main table tbody tr")
    expect(rows.filter(has_text="London Bioprocess Lab").filter(has_text="Pilot fermenter 300 L")).to_have_count(1)
    expect(rows.filter(has_text="3,000 L")).to_have_count(0)
    expect(rows.filter(has_text="5 L")).to_have_count(0)
    rows.filter(has_text="London Bioprocess Lab").get_by_role("link", name="Pilot fermenter 300 L").click()
    expect(page.get_by_role("heading", level=1, name="Pilot fermenter 300 L")).to_be_visible()
    resource_url = page.url

    # Pick a free morning next week and book it from the calendar.
    day = _free_day(page, 9, HOURS)
    month = date.fromisoformat(day).replace(day=1)
    page.goto(resource_url)
    before = _hours_left(page, "LDN", month)
    assert before >= HOURS, f"the demo founder should have {HOURS} included hours left, has {before}"
    page.goto(resource_url)
    page.locator(f'.slot[data-day="{day}"][data-hour="9"] a').click()
    form = page.locator("#book form")
    expect(form.get_by_label("Day")).to_have_value(day)
    expect(form.get_by_label(re.compile(r"^Start"))).to_have_value("09:00")
    form.get_by_label("Hours").fill(str(HOURS))
    form.get_by_role("button", name="Book").click()

    expect(page.get_by_role("heading", level=1, name="My facilities")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Booked Pilot fermenter 300 L")).to_be_visible()
    booking_row = (
        page.get_by_test_id("booking-row")
        .filter(has_text="Pilot fermenter 300 L")
        .filter(has_text=re.compile(r"09:00–13:00"))
    )
    expect(booking_row).to_have_count(1)
    assert _hours_left(page, "LDN", month) == before - HOURS

    # The booking is on the resource's calendar as the founder's own.
    page.goto(resource_url)
    expect(page.locator(f'.slot-mine[data-day="{day}"][data-hour="9"]')).to_have_text("Your booking")
    expect(page.locator(f'.slot[data-day="{day}"][data-hour="13"]')).to_have_class(re.compile(r"slot-blocked"))

    # Cancel well before the cut-off: free, and the hours come back.
    page.goto("/facilities/mine")
    row = (
        page.get_by_test_id("booking-row")
        .filter(has_text=re.compile(r"09:00–13:00"))
        .filter(has_text="Pilot fermenter 300 L")
    )
    row.locator("summary", has_text="Cancel booking").click()
    row.get_by_role("button", name="Yes, cancel booking").click()
    expect(page.get_by_role("status").filter(has_text="Booking cancelled")).to_be_visible()
    assert _hours_left(page, "LDN", month) == before
    page.goto(resource_url)
    expect(page.locator(f'.slot[data-day="{day}"][data-hour="9"]')).to_have_class(re.compile(r"slot-free"))
