"""The main pages of each role render (no server error) and fit a phone's width without sideways scrolling."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import login, new_context, open_menu
from tests.support.live import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PHONE = {"width": 390, "height": 844}

PAGES = {
    "admin": ["/", "/account", "/startups", "/admin/users", "/admin/invitations/new", "/admin/audit"],
    "pm": ["/", "/account", "/startups"],
    "founder": ["/", "/account", "/startups"],
    "mentor": ["/", "/account", "/startups"],
    "investor": ["/", "/account", "/startups"],
    "finance": ["/", "/account", "/startups"],
}


@pytest.fixture
def phone(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    context = new_context(browser, live_server, viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        yield context.new_page()
    finally:
        context.close()


def _page_width(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def _check(page: Page, path: str) -> None:
    response = page.goto(path)
    assert response is not None
    assert response.status == 200, f"{path} answered {response.status}"
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert _page_width(page) <= PHONE["width"], f"{path} is wider than the phone ({_page_width(page)} px)"


@pytest.mark.parametrize("role", list(PAGES))
def test_main_pages_render_and_fit_a_phone(phone: Page, role: str) -> None:
    login(phone, f"{role}@demo.example.org")
    for path in PAGES[role]:
        _check(phone, path)
    # One startup profile the role can read, reached by its link, when the list has any.
    phone.goto("/startups")
    first = phone.locator("main table a[href^='/startups/']").first
    if role in ("admin", "pm", "founder", "finance"):
        href = first.get_attribute("href")
        assert href is not None
        _check(phone, href)
    if role == "admin":
        phone.goto("/admin/users")
        href = phone.locator("main table a[href^='/admin/users/']").first.get_attribute("href")
        assert href is not None
        _check(phone, href)


def test_phone_menu_opens_and_leads_to_a_page(phone: Page) -> None:
    login(phone, "admin@demo.example.org")
    nav_link = phone.locator("header nav").get_by_role("link", name="Users")
    expect(nav_link).to_be_hidden()
    open_menu(phone)
    expect(nav_link).to_be_visible()
    nav_link.click()
    expect(phone.get_by_role("heading", level=1, name="Users")).to_be_visible()


def test_account_page_shows_the_profile(page: Page) -> None:
    login(page, "finance@demo.example.org")
    page.get_by_role("link", name="Your account", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Your account")).to_be_visible()
    profile = page.get_by_role("region", name="Profile")
    expect(profile).to_contain_text("finance@demo.example.org")
    expect(profile).to_contain_text(re.compile(r"Member since\s*\d{1,2} \w{3} \d{4}, \d{2}:\d{2}"))
    expect(profile).to_contain_text(re.compile(r"Last log-in\s*\d{1,2} \w{3} \d{4}"))


def test_form_errors_name_the_missing_fields(page: Page) -> None:
    page.goto("/signup")
    page.evaluate("document.querySelector('main form').noValidate = true")
    page.locator("main form").get_by_role("button", name="Create account").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Full name is required.")
    expect(summary).to_contain_text("Startup name is required.")
    expect(summary.get_by_role("link", name="Full name is required.")).to_have_attribute("href", "#f-full_name")


def test_a_protected_page_asks_to_log_in_then_returns_to_it(page: Page) -> None:
    page.goto("/startups?sector=climate")
    page.wait_for_url(re.compile(r"/login\?next="))
    expect(page.get_by_text("Log in to see that page.")).to_be_visible()
    form = page.locator("main form")
    form.get_by_label("Email address").fill("pm@demo.example.org")
    form.get_by_label("Password").fill("demo-password")
    form.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/startups\?sector=climate$"))
    expect(page.get_by_role("heading", level=1, name="Startups")).to_be_visible()
    expect(page.get_by_label("Sector")).to_have_value("climate")
