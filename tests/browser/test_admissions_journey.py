"""The whole admissions journey in Chromium against the live server and its demo data: a founder applies and
submits; the programme manager auto-assigns reviewers; one mentor declares no conflict and reviews; another declares
a conflict and the application is reassigned; the programme manager ranks, decides and releases; the founder
receives the e-mail over real SMTP, sees the decision, confirms and is enrolled."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import login, logout
from tests.support.live import LiveServer
from tests.support.smtp import SmtpServer, links_in, message_text

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

FOUNDER = "founder@demo.example.org"  # Felix Okafor, Fermentis Labs: no application to the open cohort in the demo
PM = "pm@demo.example.org"
MENTORS = {
    "Maria Lindqvist": "mentor@demo.example.org",
    "Marcus Adeyemi": "mentor2@demo.example.org",
    "Sun Li": "mentor3@demo.example.org",
}
STARTUP = "Fermentis Labs"
COHORT = "Spring 2027"


def _reviewers_of(page: Page, application_url: str) -> dict[str, str]:
    """Reviewer name -> assignment status, from the programme manager's view of the application."""
    page.goto(application_url)
    section = page.get_by_role("region", name="Reviewers")
    found: dict[str, str] = {}
    for item in section.locator("li").all():
        text = item.inner_text()
        for name in MENTORS:
            if text.startswith(name):
                found[name] = item.locator(".badge").inner_text().strip().lower()
    return found


def test_admissions_journey(page: Page, live_server: LiveServer, smtp_server: SmtpServer) -> None:
    # The founder finds the open cohort on the dashboard, applies with the startup profile and submits.
    login(page, FOUNDER)
    page.get_by_role("region", name="Your applications").get_by_role("link", name=COHORT).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(COHORT)
    page.get_by_role("button", name="Start application").click()
    expect(page.get_by_role("status").filter(has_text="Draft started")).to_be_visible()
    application_url = page.url
    assert re.search(r"/applications/[0-9a-f-]{36}$", application_url)
    form = page.locator("main form").filter(has=page.get_by_role("button", name="Submit application"))
    form.get_by_label("One-line pitch").fill("Dairy proteins by precision fermentation at 20 g/L")
    form.get_by_label("The problem and your solution").fill("Animal-free casein for cheese makers.")
    form.get_by_label("Best titre reached so far (g/L)").fill("20")
    form.get_by_label("Largest scale run so far").select_option("Pilot (5-300 L)")
    form.get_by_label("What you need from the programme").select_option(["Pilot plant time", "Mentoring"])
    form.get_by_label("Founders' backgrounds").fill("Felix Okafor, PhD in protein engineering")
    form.get_by_label("Pitch deck").set_input_files(
        files=[{"name": "deck.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n% deck\n"}]
    )
    form.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status").filter(has_text="Draft saved.")).to_be_visible()
    page.locator("main form").get_by_role("button", name="Submit application").click()
    expect(page.get_by_role("status").filter(has_text="Application submitted.")).to_be_visible()
    expect(page.locator("#application-status")).to_have_text("Submitted")
    logout(page)

    # The programme manager assigns reviewers automatically (two per application in this cohort).
    login(page, PM)
    page.goto("/cohorts")
    page.get_by_role("link", name=COHORT).click()
    page.get_by_role("link", name="Applications", exact=True).click()
    page.get_by_role("button", name="Assign reviewers automatically").click()
    expect(page.get_by_role("status").filter(has_text="assignment(s) made automatically")).to_be_visible()
    assigned = _reviewers_of(page, application_url)
    assert len(assigned) == 2 and set(assigned.values()) == {"assigned"}, assigned
    first, second = sorted(assigned)
    logout(page)

    # One mentor declares no conflict, opens the application (blind: no founder names) and reviews it.
    login(page, MENTORS[first])
    page.goto("/reviews")
    row = page.get_by_role("row").filter(has_text=STARTUP)
    row.get_by_role("button", name=f"I have no conflict with {STARTUP}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(STARTUP)
    expect(page.get_by_text("Hidden for blind review")).to_be_visible()
    expect(page.get_by_text("Felix Okafor")).to_have_count(0)
    for radio in page.locator("input[type=radio][value='4']").all():
        radio.check()
    page.get_by_label("Comment").fill("Credible titre; scale-up plan needs partners.")
    page.get_by_label("Recommendation").select_option("accept")
    page.get_by_role("button", name="Submit review").click()
    expect(page.get_by_role("status").filter(has_text="Review submitted.")).to_be_visible()
    logout(page)

    # The other declares a conflict: the assignment is handed back and the third mentor takes it.
    login(page, MENTORS[second])
    page.goto("/reviews")
    row = page.get_by_role("row").filter(has_text=STARTUP)
    row.locator("summary").filter(has_text="I have a conflict").click()
    row.get_by_label("Reason (shown to programme managers)").fill("I hold shares in Fermentis Labs.")
    row.get_by_role("button", name="Declare conflict").click()
    expect(page.get_by_role("status").filter(has_text="Conflict recorded.")).to_be_visible()
    logout(page)

    login(page, PM)
    after = _reviewers_of(page, application_url)
    (third,) = set(MENTORS) - {first, second}
    assert after == {first: "submitted", second: "conflicted", third: "assigned"}, after

    # The programme manager ranks, decides (pending), previews the e-mails and releases them all at once.
    page.goto("/cohorts")
    page.get_by_role("link", name=COHORT).click()
    page.locator(".page-header").get_by_role("link", name="Ranking").click()
    expect(page.get_by_text("How scores are computed")).to_be_visible()
    ranked = page.get_by_role("row").filter(has_text=STARTUP)
    ranked.get_by_label(f"Decision for {STARTUP}").select_option("accept")
    ranked.get_by_role("button", name=f"Save decision for {STARTUP}").click()
    expect(page.get_by_role("status").filter(has_text="Decision recorded as pending: accept.")).to_be_visible()
    page.get_by_role("link", name="Review and release decisions").click()
    preview = page.locator("section.card").filter(has_text=FOUNDER)
    expect(preview.get_by_role("heading", name=f"You have a place in {COHORT}")).to_be_visible()
    assert smtp_server.messages_to(FOUNDER) == []  # nothing reaches the founder before the release
    page.locator("summary").filter(has_text="Release decisions").click()
    page.get_by_role("button", name="Yes, release decisions").click()
    expect(page.get_by_role("status").filter(has_text="decisions released")).to_be_visible()
    logout(page)

    # The worker sends the outbox over SMTP; the founder follows the link, confirms and is enrolled.
    live_server.run_jobs()
    message = smtp_server.wait_for(FOUNDER)
    assert message["Subject"] == f"You have a place in {COHORT}"
    assert "Congratulations: Fermentis Labs has been offered a place" in message_text(message)
    (link,) = [link for link in links_in(message) if "/applications/" in link]
    assert link == application_url

    login(page, FOUNDER)
    page.goto(link)
    expect(page.locator("#application-status")).to_have_text("Accepted")
    expect(page.get_by_text("you have been offered a place")).to_be_visible()
    page.get_by_role("button", name="Confirm our place").click()
    expect(page.get_by_role("status").filter(has_text="Place confirmed")).to_be_visible()
    expect(page.locator("#application-status")).to_have_text("Enrolled")
    expect(page.get_by_text(f"You are enrolled in {COHORT}.")).to_be_visible()
