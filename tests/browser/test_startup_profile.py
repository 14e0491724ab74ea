"""A founder edits their startup's profile: a TRL change lands in the dated history with its note, the website gets
its scheme, Markdown is rendered and anything script-like in it is not."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Dialog, Page, expect

from tests.support.browser import sign_up_founder

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_founder_edits_the_profile_and_the_trl_history_records_it(page: Page) -> None:
    dialogs: list[str] = []

    def refuse(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", refuse)
    suffix = uuid.uuid4().hex[:8]
    name = f"Helio Enzymes {suffix}"
    sign_up_founder(page, email=f"helio-{suffix}@example.org", startup=name, full_name="Ines Duarte")

    page.get_by_role("region", name="Your startup").get_by_role("link", name=f"Edit profile of {name}").click()
    expect(page.get_by_role("heading", level=1, name=f"Edit {name}")).to_be_visible()
    form = page.locator("main form")
    form.get_by_label(re.compile(r"^Technology readiness level")).select_option("4")
    form.get_by_label("Note on the TRL change").fill("First 50 L run at the pilot plant")
    form.get_by_label("Website").fill("helio.example.org")
    form.get_by_label("Description").fill("We make **thermostable** enzymes.\n\n<script>alert('x')</script>")
    form.get_by_role("button", name="Save profile").click()

    expect(page.get_by_role("status").filter(has_text="Profile saved.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    profile = page.get_by_role("region", name="Profile")
    expect(profile.get_by_role("img", name="Technology readiness level 4 of 9")).to_be_visible()
    expect(profile.get_by_role("link", name="helio.example.org")).to_have_attribute("href", "https://helio.example.org")
    about = page.get_by_role("region", name="About")
    expect(about.locator("strong")).to_have_text("thermostable")
    expect(about.locator("script")).to_have_count(0)
    history = page.get_by_role("region", name="TRL history")
    expect(history.get_by_role("row").nth(1)).to_contain_text("First 50 L run at the pilot plant")
    expect(history.get_by_role("row").nth(1).get_by_role("img")).to_have_accessible_name(
        "Technology readiness level 4 of 9"
    )
    assert dialogs == []

    # A TRL out of range (a tampered form) is refused with a message, not a server error, and nothing changes.
    page.get_by_role("link", name="Edit profile").click()
    page.locator("main form select[name=trl] option").first.evaluate("o => { o.value = '12' }")
    page.locator("main form").get_by_label(re.compile(r"^Technology readiness level")).select_option(index=0)
    page.locator("main form").get_by_role("button", name="Save profile").click()
    expect(page.get_by_role("alert")).to_be_visible()
    page.goto(page.url.removesuffix("/edit"))
    expect(page.get_by_role("region", name="Profile").get_by_role("img")).to_have_accessible_name(
        "Technology readiness level 4 of 9"
    )
