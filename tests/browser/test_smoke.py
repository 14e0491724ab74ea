"""Each demo role logs in through the form, sees its own dashboard and logs out (real app, real Chromium)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import login, logout

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _nav(page: Page) -> list[str]:
    return [text.strip() for text in page.locator("header nav a").all_inner_texts()]


def _admin(page: Page) -> None:
    assert "Users" in _nav(page)
    assert "Audit log" in _nav(page)
    panel = page.get_by_role("region", name="Administration")
    expect(panel).to_be_visible()
    expect(panel.get_by_role("link", name="Invite someone")).to_be_visible()
    # Six demo roles, one demo user each at least: the panel counts real users.
    expect(panel.get_by_role("row", name=re.compile(r"^Founder \d+$"))).to_be_visible()
    activity = page.get_by_role("region", name="Recent activity")
    expect(activity.get_by_role("listitem").first).to_contain_text(re.compile(r"\buser\.[a-z_]+"))


def _pm(page: Page) -> None:
    assert "Startups" in _nav(page)
    assert "Users" not in _nav(page)
    panel = page.get_by_role("region", name="Startups")
    expect(panel).to_be_visible()
    expect(panel.locator(".stat-value")).to_have_text(re.compile(r"^[1-9]\d*$"))
    expect(panel.get_by_role("link", name="Browse all startups")).to_be_visible()


def _founder(page: Page) -> None:
    assert "Users" not in _nav(page)
    panel = page.get_by_role("region", name="Your startup")
    expect(panel).to_be_visible()
    expect(panel.get_by_role("link", name="Fermentis Labs", exact=True)).to_be_visible()
    expect(panel.get_by_role("link", name="Edit profile of Fermentis Labs")).to_be_visible()


def _other(label: str) -> Callable[[Page], None]:
    def check(page: Page) -> None:
        assert "Startups" in _nav(page)
        assert "Users" not in _nav(page)
        assert "Audit log" not in _nav(page)
        expect(page.get_by_text(f"Signed in as {label}", exact=True)).to_be_visible()
        expect(page.get_by_role("region", name="Administration")).to_have_count(0)

    return check


ROLES: dict[str, tuple[str, Callable[[Page], None]]] = {
    "admin": ("Ada Admin", _admin),
    "pm": ("Priya Menon", _pm),
    "founder": ("Felix Okafor", _founder),
    "mentor": ("Maria Lindqvist", _other("Mentor")),
    "investor": ("Ivan Castellanos", _other("Investor")),
    "finance": ("Fiona Zhang", _other("Finance")),
}


@pytest.mark.parametrize("role", list(ROLES))
def test_each_demo_role_logs_in_sees_its_dashboard_and_logs_out(page: Page, role: str) -> None:
    name, check = ROLES[role]
    login(page, f"{role}@demo.example.org")

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {name}")
    expect(page.get_by_role("status").filter(has_text=f"Welcome back, {name}.")).to_be_visible()
    expect(page.locator("header .user-name")).to_have_text(name)
    check(page)

    logout(page)
    expect(page.get_by_role("status").filter(has_text="You are logged out.")).to_be_visible()
    # The session is really gone: the dashboard is the public landing page again.
    page.goto("/")
    expect(page.locator("header").get_by_role("link", name="Log in")).to_be_visible()
    expect(page.locator("header .user-name")).to_have_count(0)


def test_wrong_password_is_refused_with_a_message(page: Page) -> None:
    page.goto("/login")
    form = page.locator("main form")
    form.get_by_label("Email address").fill("pm@demo.example.org")
    form.get_by_label("Password").fill("not-the-password")
    form.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1, name="Log in")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text(re.compile("password", re.IGNORECASE))
    expect(form.get_by_label("Email address")).to_have_value("pm@demo.example.org")
    expect(page.locator("header .user-name")).to_have_count(0)
