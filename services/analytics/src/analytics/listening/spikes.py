"""Spike detection on a term's hourly counts: an EWMA baseline and a z-score with a Poisson floor.

Before each hour t, the baseline is the exponentially weighted moving average mu of the term's
earlier hourly counts (hours without the term count as 0) and v their exponentially weighted
variance, both with smoothing alpha (0.1: a half-life of about 6.6 hours). Hour t scores

    z = (x_t - mu) / sqrt(max(v, mu, 1))

where the floor mu is the variance of a Poisson count of mean mu (counts are never steadier
than that) and 1 keeps a term never seen before from scoring infinitely. Hour t is a spike when
z >= threshold (3) and x_t >= min_count (5): a term unseen until now needs 5 texts in one hour,
one that averages 20 an hour needs about 20 + 3*sqrt 20 ~ 34. The hour then joins the baseline.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class SpikeRule:
    """How sensitive spike detection is."""

    alpha: float = 0.1
    threshold: float = 3.0
    min_count: int = 5


@dataclass(frozen=True)
class HourScore:
    """One hour against the baseline of the hours before it."""

    index: int
    count: int
    baseline: float
    z: float
    spike: bool


def score_hours(
    counts: Sequence[int], *, evaluate_from: int = 0, rule: SpikeRule = SpikeRule()
) -> list[HourScore]:
    """Scores of the hours from `evaluate_from` on; earlier ones only build the baseline."""
    mean = 0.0
    variance = 0.0
    scores: list[HourScore] = []
    for index, count in enumerate(counts):
        if index >= evaluate_from:
            z = (count - mean) / math.sqrt(max(variance, mean, 1.0))
            spike = count >= rule.min_count and z >= rule.threshold
            scores.append(HourScore(index, count, mean, z, spike))
        # West's incremental EWMA of the mean and the variance.
        diff = count - mean
        increment = rule.alpha * diff
        mean += increment
        variance = (1 - rule.alpha) * (variance + diff * increment)
    return scores


def strongest_spike(
    counts: Sequence[int], *, evaluate_from: int = 0, rule: SpikeRule = SpikeRule()
) -> HourScore | None:
    """The evaluated hour that spiked the most, or None when none did."""
    spikes = [s for s in score_hours(counts, evaluate_from=evaluate_from, rule=rule) if s.spike]
    return max(spikes, key=lambda s: (s.z, s.index), default=None)
