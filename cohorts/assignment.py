"""Automatic reviewer assignment: a pure function over plain values, so it can be property-tested.

The rules, in priority order:
1. every application ends with `n` distinct reviewers (those already assigned count);
2. a reviewer with a known conflict on the application's startup is never assigned;
3. no reviewer goes above their capacity (already assigned load counts);
4. loads stay balanced: each pick takes a reviewer with the lowest load among those eligible, so when capacities and
   conflicts allow, the loads of the pool differ by at most one;
5. among equally loaded reviewers, one whose expertise tags include the startup's sector is preferred.

Applications with the fewest eligible reviewers are served first, so a scarce reviewer is not used up by an
application that had other choices. When the pool cannot cover what is asked, `AssignmentImpossible` (409) is
raised and nothing is assigned.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from cohorts.errors import AssignmentImpossible


@dataclass(frozen=True)
class AppSlot:
    id: uuid.UUID
    sector: str
    # Reviewers already on the application (active assignments): they count towards n and are not picked again.
    assigned: frozenset[uuid.UUID] = field(default_factory=frozenset)
    label: str = ""


@dataclass(frozen=True)
class ReviewerSlot:
    id: uuid.UUID
    capacity: int
    load: int = 0
    tags: frozenset[str] = field(default_factory=frozenset)
    label: str = ""


def assign_reviewers(
    applications: Sequence[AppSlot],
    reviewers: Sequence[ReviewerSlot],
    conflicts: Iterable[tuple[uuid.UUID, uuid.UUID]],
    n: int,
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Return new (application id, reviewer id) pairs. `conflicts` holds (reviewer id, application id) pairs."""
    if n < 1:
        raise AssignmentImpossible("Each application needs at least one reviewer.")
    blocked = set(conflicts)
    load = {r.id: r.load for r in reviewers}
    capacity = {r.id: r.capacity for r in reviewers}
    tags = {r.id: r.tags for r in reviewers}
    order = {r.id: i for i, r in enumerate(reviewers)}

    wanted = {a.id: max(0, n - len(a.assigned)) for a in applications}
    needed = sum(wanted.values())
    free = sum(max(0, capacity[r] - load[r]) for r in load)
    if needed > free:
        raise AssignmentImpossible(
            f"{needed} reviews are needed ({n} per application) but the reviewer pool has room for only {free}. "
            "Add reviewers or raise their capacity."
        )

    def eligible(app: AppSlot, taken: set[uuid.UUID]) -> list[uuid.UUID]:
        return [
            r
            for r in load
            if r not in app.assigned and r not in taken and (r, app.id) not in blocked and load[r] < capacity[r]
        ]

    # Most constrained first; ties keep the given order so results are deterministic.
    pending = sorted(
        (a for a in applications if wanted[a.id] > 0),
        key=lambda a: len(eligible(a, set())) - wanted[a.id],
    )
    result: list[tuple[uuid.UUID, uuid.UUID]] = []
    for app in pending:
        taken: set[uuid.UUID] = set()
        for _ in range(wanted[app.id]):
            choices = eligible(app, taken)
            if not choices:
                name = app.label or str(app.id)
                raise AssignmentImpossible(
                    f"Not enough reviewers without a conflict and with free capacity for {name}: it needs {n}."
                )
            pick = min(choices, key=lambda r: (load[r], app.sector not in tags[r], order[r]))
            taken.add(pick)
            load[pick] += 1
            result.append((app.id, pick))
    return result
