"""Scores: weighted totals, per-application statistics and per-reviewer normalisation (pure functions).

Normalisation. Each review has a weighted total on the 1-5 scale. A reviewer's totals are turned into z-scores
against that reviewer's own mean and population standard deviation, so a harsh and a lenient reviewer count the
same: z = (total - reviewer mean) / reviewer std. An application's normalised score is the mean of its reviews'
z-scores.

Fallback: a reviewer with fewer than `MIN_REVIEWS` (3) reviews, or whose totals have no spread (std 0), says too
little about their own scale; their reviews are normalised against the cohort-wide mean and population standard
deviation of all reviews instead. If the whole cohort has no spread either, the z-score is 0.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

MIN_REVIEWS = 3
SCALE = (1, 5)


def weighted_total(scores: Mapping[str, int], weights: Mapping[str, int]) -> float:
    """Weighted mean of the criterion scores, on the same 1-5 scale."""
    total_weight = sum(weights[c] for c in scores)
    if total_weight == 0:
        return 0.0
    return sum(score * weights[c] for c, score in scores.items()) / total_weight


@dataclass(frozen=True)
class ReviewScore:
    application_id: uuid.UUID
    reviewer_id: uuid.UUID
    total: float


@dataclass(frozen=True)
class ReviewerScale:
    mean: float
    std: float
    reviews: int
    fallback: bool  # True when the cohort-wide mean and spread were used


@dataclass(frozen=True)
class AppScore:
    application_id: uuid.UUID
    reviews: int
    raw_mean: float | None
    median: float | None
    normalised: float | None
    disagreement: float | None  # population std of the reviewers' totals


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def _pstdev(values: list[float]) -> float:
    """Population standard deviation (plain floats: `statistics.pstdev` is exact but far slower)."""
    if len(values) < 2:
        return 0.0
    m = _mean(values)
    return math.sqrt(sum((x - m) ** 2 for x in values) / len(values))


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def reviewer_scales(reviews: Iterable[ReviewScore]) -> dict[uuid.UUID, ReviewerScale]:
    items = list(reviews)
    by_reviewer: dict[uuid.UUID, list[float]] = defaultdict(list)
    for r in items:
        by_reviewer[r.reviewer_id].append(r.total)
    all_totals = [r.total for r in items]
    cohort_mean = _mean(all_totals) if all_totals else 0.0
    cohort_std = _pstdev(all_totals) if len(all_totals) > 1 else 0.0
    scales: dict[uuid.UUID, ReviewerScale] = {}
    for reviewer, totals in by_reviewer.items():
        std = _pstdev(totals) if len(totals) > 1 else 0.0
        if len(totals) >= MIN_REVIEWS and std > 0:
            scales[reviewer] = ReviewerScale(_mean(totals), std, len(totals), False)
        else:
            scales[reviewer] = ReviewerScale(cohort_mean, cohort_std, len(totals), True)
    return scales


def z_score(total: float, scale: ReviewerScale) -> float:
    if scale.std == 0:
        return 0.0
    return (total - scale.mean) / scale.std


def application_scores(reviews: Iterable[ReviewScore]) -> dict[uuid.UUID, AppScore]:
    items = list(reviews)
    scales = reviewer_scales(items)
    totals: dict[uuid.UUID, list[float]] = defaultdict(list)
    zs: dict[uuid.UUID, list[float]] = defaultdict(list)
    for r in items:
        totals[r.application_id].append(r.total)
        zs[r.application_id].append(z_score(r.total, scales[r.reviewer_id]))
    return {
        app: AppScore(
            application_id=app,
            reviews=len(values),
            raw_mean=_mean(values),
            median=_median(values),
            normalised=_mean(zs[app]),
            disagreement=_pstdev(values) if len(values) > 1 else 0.0,
        )
        for app, values in totals.items()
    }


def rank_key(score: AppScore | None) -> tuple[int, float, float]:
    """Sort key: scored applications first, by normalised score then raw mean, both descending."""
    if score is None or score.normalised is None:
        return (1, 0.0, 0.0)
    return (0, -score.normalised, -(score.raw_mean or 0.0))
