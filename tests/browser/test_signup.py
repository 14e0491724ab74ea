"""A founder signs up in the browser: a refused form keeps what was typed (except passwords), then the account and
its startup are created and the founder lands on their dashboard, signed in."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PASSWORD = "amber-pipette-orbit-7"


def test_founder_signs_up_and_lands_on_their_dashboard(page: Page) -> None:
    suffix = uuid.uuid4().hex[:8]
    email = f"founder-{suffix}@example.org"
    startup = f"Kinetic Yeast {suffix}"

    page.goto("/")
    page.locator("main").get_by_role("link", name="Sign up and apply").click()
    expect(page.get_by_role("heading", level=1, name="Create your account")).to_be_visible()
    form = page.locator("main form")
    form.get_by_label("Full name").fill("Sana Whitfield")
    form.get_by_label("Email address").fill(email)
    form.get_by_label(re.compile(r"^Password")).fill(PASSWORD)
    form.get_by_label("Confirm password").fill(PASSWORD)
    form.get_by_label("Startup name").fill(startup)
    form.get_by_label("Sector").select_option("synthetic_biology")
    form.get_by_role("button", name="Create account").click()

    # The terms were not accepted: refused, with what was typed kept and the passwords cleared.
    expect(page.get_by_role("alert")).to_contain_text("accept the terms")
    expect(form.get_by_label("Email address")).to_have_value(email)
    expect(form.get_by_label("Startup name")).to_have_value(startup)
    expect(form.get_by_label("Sector")).to_have_value("synthetic_biology")
    expect(form.get_by_label(re.compile(r"^Password"))).to_have_value("")

    form.get_by_label(re.compile(r"^Password")).fill(PASSWORD)
    form.get_by_label("Confirm password").fill(PASSWORD)
    form.get_by_label(re.compile("I accept the terms")).check()
    form.get_by_role("button", name="Create account").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Sana Whitfield")
    panel = page.get_by_role("region", name="Your startup")
    expect(panel.get_by_role("link", name=startup, exact=True)).to_be_visible()
    expect(panel).to_contain_text("Synthetic biology")

    # The same e-mail cannot sign up twice.
    page.context.clear_cookies()
    page.goto("/signup")
    form = page.locator("main form")
    form.get_by_label("Full name").fill("Someone Else")
    form.get_by_label("Email address").fill(email.upper())
    form.get_by_label(re.compile(r"^Password")).fill(PASSWORD)
    form.get_by_label("Confirm password").fill(PASSWORD)
    form.get_by_label("Startup name").fill(f"Other {suffix}")
    form.get_by_label("Sector").select_option("materials")
    form.get_by_label(re.compile("I accept the terms")).check()
    form.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("alert")).to_contain_text("already exists")
