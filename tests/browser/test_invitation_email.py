"""An invitation goes out over real SMTP and its link works once: admin invites in the browser, the worker sends the
e-mail to the aiosmtpd server, the invitee opens the link from the message, chooses a password and logs in."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import login, logout
from tests.support.live import LiveServer
from tests.support.smtp import SmtpServer, links_in, message_text

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

NEW_PASSWORD = "violet-kettle-harbour-42"


def test_invitation_email_link_sets_a_password_and_works_only_once(
    page: Page, live_server: LiveServer, smtp_server: SmtpServer
) -> None:
    invitee = f"mentor-{uuid.uuid4().hex[:10]}@example.org"
    name = "Noor Haddad"

    # The admin invites a mentor through the form reached from the dashboard.
    login(page, "admin@demo.example.org")
    page.get_by_role("region", name="Administration").get_by_role("link", name="Invite someone").click()
    expect(page.get_by_role("heading", level=1, name="Invite someone")).to_be_visible()
    form = page.locator("main form")
    form.get_by_label("Email address").fill(invitee)
    form.get_by_label("Full name").fill(name)
    form.get_by_label("Mentor", exact=True).check()
    form.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_role("status").filter(has_text=f"Invitation sent to {invitee}.")).to_be_visible()
    assert page.url.endswith("/admin/users")
    logout(page)

    # Queued in the outbox, not sent until the worker runs.
    assert smtp_server.messages_to(invitee) == []
    result = live_server.run_jobs()
    assert re.search(r"Sent [1-9]\d* e-mail", result.stdout), result.stdout
    message = smtp_server.wait_for(invitee)
    assert message["Subject"] == "You are invited to Incubator"
    assert "no-reply@incubator.example.org" in message["From"]
    body = message_text(message)
    assert f"Hello {name}," in body
    assert "Ada Admin has invited you" in body
    assert "You will join as: Mentor." in body
    links = [link for link in links_in(message) if "/invitations/" in link]
    assert len(links) == 1, body
    link = links[0]
    assert link.startswith(live_server.url + "/invitations/")

    # The invitee cannot log in before accepting.
    page.goto("/login")
    page.locator("main form").get_by_label("Email address").fill(invitee)
    page.locator("main form").get_by_label("Password").fill(NEW_PASSWORD)
    page.locator("main form").get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator("header .user-name")).to_have_count(0)

    # The link from the e-mail lets them choose a password.
    response = page.goto(link)
    assert response is not None and response.status == 200
    expect(page.get_by_role("heading", level=1, name="Accept your invitation")).to_be_visible()
    form = page.locator("main form")
    form.get_by_label(re.compile(r"^New password")).fill(NEW_PASSWORD)
    form.get_by_label("Confirm new password").fill(NEW_PASSWORD)
    form.get_by_role("button", name="Save password").click()
    page.wait_for_url(re.compile(r"/login$"))
    expect(page.get_by_role("status").filter(has_text=f"Welcome, {name}.")).to_be_visible()

    login(page, invitee, NEW_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {name}")
    expect(page.get_by_text("Signed in as Mentor", exact=True)).to_be_visible()
    logout(page)

    # The same link again: refused with a clear message, and the password is not changed.
    again = page.goto(link)
    assert again is not None and again.status == 409
    expect(page.get_by_text("This invitation has already been used.", exact=False)).to_be_visible()
    expect(page.locator("main form")).to_have_count(0)


def test_unknown_invitation_link_is_a_clear_404(page: Page) -> None:
    response = page.goto("/invitations/not-a-real-token")
    assert response is not None and response.status == 404
    expect(page.get_by_text("This invitation is not valid.", exact=False)).to_be_visible()
