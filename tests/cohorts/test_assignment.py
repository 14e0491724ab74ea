"""Automatic reviewer assignment, property-based: the rules hold for any pool, any conflicts, any N."""

from __future__ import annotations

import uuid
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cohorts.assignment import AppSlot, ReviewerSlot, assign_reviewers
from cohorts.errors import AssignmentImpossible

SECTORS = ["biomanufacturing", "synthetic_biology", "materials", "climate"]


@st.composite
def scenarios(draw: st.DrawFn, *, conflicts: bool = True, ample: bool = False) -> tuple:
    n_reviewers = draw(st.integers(min_value=1, max_value=8))
    n_apps = draw(st.integers(min_value=0, max_value=25))
    n = draw(st.integers(min_value=1, max_value=4))
    reviewer_ids = [uuid.UUID(int=i + 1) for i in range(n_reviewers)]
    app_ids = [uuid.UUID(int=1000 + i) for i in range(n_apps)]
    reviewers = [
        ReviewerSlot(
            id=r,
            capacity=n_apps if ample else draw(st.integers(min_value=0, max_value=12)),
            load=0 if ample else draw(st.integers(min_value=0, max_value=3)),
            tags=frozenset(draw(st.lists(st.sampled_from(SECTORS), max_size=2))),
        )
        for r in reviewer_ids
    ]
    apps = [AppSlot(id=a, sector=draw(st.sampled_from(SECTORS))) for a in app_ids]
    blocked: set[tuple[uuid.UUID, uuid.UUID]] = set()
    if conflicts and app_ids:
        blocked = set(draw(st.lists(st.tuples(st.sampled_from(reviewer_ids), st.sampled_from(app_ids)), max_size=15)))
    return apps, reviewers, blocked, n


def _check(apps: list[AppSlot], reviewers: list[ReviewerSlot], blocked: set, n: int, pairs: list) -> Counter:
    per_app: dict[uuid.UUID, list[uuid.UUID]] = {a.id: [] for a in apps}
    for app_id, reviewer_id in pairs:
        per_app[app_id].append(reviewer_id)
    for app_id, chosen in per_app.items():
        assert len(chosen) == n, "every application gets N reviewers"
        assert len(set(chosen)) == n, "the N reviewers are distinct"
        assert not any((r, app_id) in blocked for r in chosen), "never a reviewer with a conflict"
    load = Counter({r.id: r.load for r in reviewers})
    load.update(r for _, r in pairs)
    for r in reviewers:
        assert load[r.id] <= max(r.capacity, r.load), "never above capacity"
    return load


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_assignment_never_breaks_a_rule_or_explains_why(scenario: tuple) -> None:
    apps, reviewers, blocked, n = scenario
    try:
        pairs = assign_reviewers(apps, reviewers, blocked, n)
    except AssignmentImpossible as exc:
        assert exc.status == 409
        assert exc.detail  # a sentence for the programme manager
        return
    _check(apps, reviewers, blocked, n, pairs)


@settings(max_examples=300, deadline=None)
@given(scenarios(conflicts=False, ample=True))
def test_loads_differ_by_at_most_one_when_capacity_allows(scenario: tuple) -> None:
    apps, reviewers, blocked, n = scenario
    if n > len(reviewers) and apps:
        with pytest.raises(AssignmentImpossible):
            assign_reviewers(apps, reviewers, blocked, n)
        return
    pairs = assign_reviewers(apps, reviewers, blocked, n)
    load = _check(apps, reviewers, blocked, n, pairs)
    values = [load[r.id] for r in reviewers]
    assert max(values) - min(values) <= 1


@settings(max_examples=200, deadline=None)
@given(scenarios(conflicts=True, ample=True))
def test_with_unlimited_capacity_it_succeeds_whenever_each_application_has_n_free_reviewers(scenario: tuple) -> None:
    apps, reviewers, blocked, n = scenario
    feasible = all(sum((r.id, a.id) not in blocked for r in reviewers) >= n for a in apps)
    if not feasible:
        return
    for r in reviewers:
        object.__setattr__(r, "capacity", len(apps) + 1)
    _check(apps, reviewers, blocked, n, assign_reviewers(apps, reviewers, blocked, n))


def test_not_enough_capacity_is_a_clear_409() -> None:
    apps = [AppSlot(uuid.uuid4(), "climate") for _ in range(5)]
    reviewers = [ReviewerSlot(uuid.uuid4(), capacity=3) for _ in range(3)]
    with pytest.raises(AssignmentImpossible, match=r"10 reviews are needed .* room for only 9"):
        assign_reviewers(apps, reviewers, set(), 2)


def test_expertise_breaks_ties_between_equally_loaded_reviewers() -> None:
    generalist = ReviewerSlot(uuid.UUID(int=1), capacity=5, tags=frozenset({"materials"}))
    expert = ReviewerSlot(uuid.UUID(int=2), capacity=5, tags=frozenset({"climate"}))
    app = AppSlot(uuid.uuid4(), "climate")
    assert assign_reviewers([app], [generalist, expert], set(), 1) == [(app.id, expert.id)]


def test_already_assigned_reviewers_count_towards_n() -> None:
    a, b, c = (ReviewerSlot(uuid.UUID(int=i), capacity=5) for i in (1, 2, 3))
    app = AppSlot(uuid.uuid4(), "climate", assigned=frozenset({a.id}))
    pairs = assign_reviewers([app], [a, b, c], set(), 2)
    assert len(pairs) == 1 and pairs[0][1] != a.id
