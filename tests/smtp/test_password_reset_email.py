"""Password reset over HTTP and real SMTP, no browser: the live app queues the e-mail, the worker sends it to the
aiosmtpd server, and the link in the message sets a new password once. Unknown addresses get the same answer and
no e-mail."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from tests.support.live import LiveServer
from tests.support.smtp import SmtpServer, links_in, message_text

# The same worker as the browser tests, so they all share one live server.
pytestmark = pytest.mark.xdist_group("browser")

OLD_PASSWORD = "first-password-for-reset"
NEW_PASSWORD = "second-password-after-reset"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def _csrf(client: httpx.Client, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text[:500]
    found = CSRF_FIELD.search(page.text)
    assert found, f"no CSRF field on {path}"
    return found.group(1)


def _post_form(client: httpx.Client, path: str, data: dict[str, str], form_page: str | None = None) -> httpx.Response:
    token = _csrf(client, form_page or path)
    return client.post(path, data={**data, "csrf_token": token})


def _log_in(client: httpx.Client, email: str, password: str) -> httpx.Response:
    return _post_form(client, "/login", {"email": email, "password": password})


@pytest.fixture
def account(live_server: LiveServer) -> str:
    email = f"reset-{uuid.uuid4().hex[:10]}@example.org"
    live_server.cli(
        "user", "create", "--email", email, "--full-name", "Rosa Reset", "--role", "mentor", "--password", OLD_PASSWORD
    )
    return email


def test_password_reset_email_link_sets_a_new_password_once(
    live_server: LiveServer, smtp_server: SmtpServer, account: str
) -> None:
    with httpx.Client(base_url=live_server.url, follow_redirects=False, timeout=10) as client:
        asked = _post_form(client, "/forgot-password", {"email": account})
        assert asked.status_code == 303
        assert asked.headers["location"] == "/login"

        live_server.run_jobs()
        message = smtp_server.wait_for(account)
        assert message["Subject"] == "Reset your Incubator password"
        assert "Hello Rosa Reset," in message_text(message)
        links = [link for link in links_in(message) if "/reset-password/" in link]
        assert len(links) == 1, message_text(message)
        path = links[0].removeprefix(live_server.url)
        assert path.startswith("/reset-password/")

        form = client.get(path)
        assert form.status_code == 200
        assert f"For the account <strong>{account}</strong>" in form.text
        done = _post_form(client, path, {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}, form_page=path)
        assert done.status_code == 303, done.text[:500]
        assert done.headers["location"] == "/login"

        # Used once: the link is refused afterwards, and only the new password works.
        again = client.get(path)
        assert again.status_code == 409
        assert "already been used" in again.text
        assert _log_in(client, account, OLD_PASSWORD).status_code == 401
        signed_in = _log_in(client, account, NEW_PASSWORD)
        assert signed_in.status_code == 303
        assert signed_in.headers["location"] == "/"


def test_reset_for_an_unknown_address_sends_nothing_and_says_the_same(
    live_server: LiveServer, smtp_server: SmtpServer
) -> None:
    nobody = f"nobody-{uuid.uuid4().hex[:10]}@example.org"
    with httpx.Client(base_url=live_server.url, follow_redirects=False, timeout=10) as client:
        asked = _post_form(client, "/forgot-password", {"email": nobody})
        assert asked.status_code == 303
        assert asked.headers["location"] == "/login"
        flash = client.get("/login")
        assert "If an account exists for that e-mail, a reset link is on its way." in flash.text
    live_server.run_jobs()
    assert smtp_server.messages_to(nobody) == []
