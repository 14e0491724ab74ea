"""Weighted totals and per-reviewer normalisation against a worked example computed by hand."""

from __future__ import annotations

import math
import uuid

import pytest

from cohorts.scoring import ReviewScore, application_scores, reviewer_scales, weighted_total


def test_weighted_total_is_the_weighted_mean_on_the_same_scale() -> None:
    # (4 x 2 + 2 x 1) / (2 + 1) = 10 / 3
    assert weighted_total({"science": 4, "team": 2}, {"science": 2, "team": 1}) == pytest.approx(10 / 3)


A, B, C = (uuid.UUID(int=i) for i in (1, 2, 3))
P, Q, R, S = (uuid.UUID(int=i) for i in (11, 12, 13, 14))

# Worked example.
#   Reviewer A (harsh, 3 reviews):   P=2, Q=3, R=1  -> mean 2, population std sqrt(2/3) = 0.816497
#   Reviewer B (lenient, 3 reviews): P=4, Q=5, S=3  -> mean 4, std sqrt(2/3)
#   Reviewer C (2 reviews: fallback): R=4, S=2      -> cohort-wide: 8 totals summing to 24, mean 3;
#                                                     squared deviations 1+0+4+1+4+0+1+1 = 12, std sqrt(12/8) = 1.224745
#   z-scores: A: P 0, Q +1.224745, R -1.224745;  B: P 0, Q +1.224745, S -1.224745
#             C: R (4-3)/1.224745 = +0.816497, S (2-3)/1.224745 = -0.816497
#   Normalised per application (mean of z): P 0;  Q 1.224745;  R (-1.224745 + 0.816497)/2 = -0.204124;
#                                           S (-1.224745 - 0.816497)/2 = -1.020621
#   Raw mean P 3, Q 4, R 2.5, S 2.5; disagreement (population std) P 1, Q 1, R 1.5, S 0.5.
REVIEWS = [
    ReviewScore(P, A, 2), ReviewScore(Q, A, 3), ReviewScore(R, A, 1),
    ReviewScore(P, B, 4), ReviewScore(Q, B, 5), ReviewScore(S, B, 3),
    ReviewScore(R, C, 4), ReviewScore(S, C, 2),
]  # fmt: skip


def test_normalisation_matches_the_worked_example() -> None:
    scores = application_scores(REVIEWS)
    root = math.sqrt(2 / 3)
    assert scores[P].normalised == pytest.approx(0.0)
    assert scores[Q].normalised == pytest.approx(1 / root)
    assert scores[R].normalised == pytest.approx((-1.224745 + 0.816497) / 2, abs=1e-6)
    assert scores[S].normalised == pytest.approx((-1.224745 - 0.816497) / 2, abs=1e-6)
    assert [scores[x].raw_mean for x in (P, Q, R, S)] == [3, 4, 2.5, 2.5]
    assert [scores[x].median for x in (P, Q, R, S)] == [3, 4, 2.5, 2.5]
    assert [scores[x].disagreement for x in (P, Q, R, S)] == pytest.approx([1, 1, 1.5, 0.5])


def test_harsh_and_lenient_reviewers_count_the_same() -> None:
    # P got the middle score from both A and B, two points apart in raw terms: normalised it is exactly 0 for both.
    scales = reviewer_scales(REVIEWS)
    assert (scales[A].mean, scales[B].mean) == (2, 4)
    assert not scales[A].fallback and not scales[B].fallback


def test_fallback_for_too_few_reviews_or_no_spread_uses_the_cohort_scale() -> None:
    D = uuid.UUID(int=4)
    flat = [*REVIEWS, ReviewScore(P, D, 3), ReviewScore(Q, D, 3), ReviewScore(R, D, 3)]
    scales = reviewer_scales(flat)
    assert scales[C].fallback and scales[C].reviews == 2
    assert scales[D].fallback  # three reviews but no spread
    assert scales[D].mean == pytest.approx(33 / 11)


def test_a_cohort_without_spread_normalises_to_zero() -> None:
    scores = application_scores([ReviewScore(P, A, 3), ReviewScore(Q, A, 3)])
    assert scores[P].normalised == 0 and scores[Q].normalised == 0
