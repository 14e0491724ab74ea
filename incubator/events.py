"""Domain events: how a lower package tells an upper one that something happened, without importing it.

Handlers run synchronously in the publisher's transaction, so an event and its effects commit or roll back together.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlmodel import Session


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """Base class; subclasses are frozen dataclasses named in the past tense (`MilestoneApproved`)."""


E = TypeVar("E", bound=DomainEvent)
Handler = Callable[[Session, Any], None]
_handlers: dict[type[DomainEvent], list[Handler]] = defaultdict(list)


def subscribe(event_type: type[E], handler: Callable[[Session, E], None]) -> None:
    if handler not in _handlers[event_type]:
        _handlers[event_type].append(handler)


def publish(session: Session, event: DomainEvent) -> None:
    for event_type, handlers in list(_handlers.items()):
        if isinstance(event, event_type):
            for handler in list(handlers):
                handler(session, event)


def clear() -> None:
    """Forget every subscription (used by tests that register their own handlers)."""
    _handlers.clear()
