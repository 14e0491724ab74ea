"""Helpers for the kernel's tests: e-mails in the outbox, the links they carry, one-time tokens."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import Session, col, select

from incubator.db import utcnow
from incubator.models import OneTimeToken, OutboxEmail, TokenPurpose
from incubator.security import token_hash

LINK = re.compile(r"http://testserver(/(?:invitations|reset-password)/([A-Za-z0-9_-]+))")


def emails_to(session: Session, address: str) -> list[OutboxEmail]:
    stmt = select(OutboxEmail).where(OutboxEmail.to_address == address).order_by(col(OutboxEmail.created_at))
    return list(session.exec(stmt).all())


def link_in_last_email(session: Session, address: str) -> tuple[str, str]:
    """The (path, token) of the one-time link in the newest e-mail to `address`."""
    mails = emails_to(session, address)
    assert mails, f"no e-mail was queued for {address}"
    found = LINK.search(mails[-1].body_text)
    assert found, f"no link in the e-mail to {address}:\n{mails[-1].body_text}"
    return found.group(1), found.group(2)


def expire(session: Session, raw_token: str, purpose: TokenPurpose) -> None:
    row = session.exec(
        select(OneTimeToken).where(OneTimeToken.token_hash == token_hash(raw_token), OneTimeToken.purpose == purpose)
    ).one()
    row.expires_at = utcnow() - timedelta(minutes=1)
    session.add(row)
    session.commit()
