"""Demo billing data (filled below)."""

from __future__ import annotations

from sqlmodel import Session


def load(session: Session) -> None:
    return None
