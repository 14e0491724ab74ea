"""Fixture `smtp_server`: a real SMTP server (aiosmtpd) on 127.0.0.1 that keeps every message it receives.

    def test_x(smtp_server, live_server):
        ...                                   # something queues an e-mail
        live_server.run_jobs()                # the worker sends it over SMTP
        msg = smtp_server.wait_for("someone@example.org")
        assert "Invitation" in msg["Subject"]
        body = message_text(msg)

It is session-scoped (one per xdist worker); call `smtp_server.clear()` when a test needs an empty mailbox, or
prefer unique recipient addresses so tests never see each other's mail.
"""

from __future__ import annotations

import email
import email.policy
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.support.live import free_port

LINK = re.compile(r"https?://[^\s<>\"')]+")


@dataclass
class Envelope:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class SmtpServer:
    """What the fixture yields: where to send, and what was received."""

    host: str
    port: int
    envelopes: list[Envelope] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return [env.message for env in self.envelopes]

    def clear(self) -> None:
        with self._lock:
            self.envelopes.clear()

    def received(self, envelope: Envelope) -> None:
        with self._lock:
            self.envelopes.append(envelope)

    def messages_to(self, to: str) -> list[EmailMessage]:
        """Every message whose envelope recipients or To/Cc headers include `to` (case-insensitive), oldest first."""
        wanted = to.strip().lower()
        found = []
        with self._lock:
            for env in self.envelopes:
                headers = [
                    addr.lower()
                    for _, addr in getaddresses(env.message.get_all("To", []) + env.message.get_all("Cc", []))
                ]
                if wanted in {r.lower() for r in env.rcpt_tos} or wanted in headers:
                    found.append(env.message)
        return found

    def wait_for(self, to: str, timeout: float = 10) -> EmailMessage:
        """Poll until a message to `to` has arrived and return the newest one; fail after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.messages_to(to)
            if found:
                return found[-1]
            if time.monotonic() >= deadline:
                seen = [str(m["To"]) for m in self.messages]
                pytest.fail(f"no e-mail to {to} arrived within {timeout} s (received for: {seen or 'nobody'})")
            time.sleep(0.05)


def message_text(msg: EmailMessage) -> str:
    """The plain-text body of a message (the text/plain part of a multipart one)."""
    part = msg.get_body(preferencelist=("plain", "html"))
    assert part is not None, "the message has no text body"
    return str(part.get_content())


def links_in(msg: EmailMessage) -> list[str]:
    """Every http(s) link in the plain-text body, in order."""
    return [url.rstrip(".,;") for url in LINK.findall(message_text(msg))]


class _Handler:
    def __init__(self, server: SmtpServer):
        self.server = server

    async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        parsed = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.server.received(Envelope(str(envelope.mail_from), [str(r) for r in envelope.rcpt_tos], parsed))
        return "250 Message accepted for delivery"


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1 and a free port, collecting every message (session-scoped per worker)."""
    port = free_port()
    server = SmtpServer(host="127.0.0.1", port=port)
    controller = Controller(_Handler(server), hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()
