"""Spike detection: an EWMA baseline with a z-score floored by Poisson noise."""

from __future__ import annotations

import math

import pytest

from analytics.listening.spikes import SpikeRule, score_hours, strongest_spike

WEEK = 168


class TestScoreHours:
    def test_a_steady_term_does_not_spike(self):
        counts = [20, 22, 18, 21, 19, 23, 17, 20] * 21 + [24, 26]
        assert not any(s.spike for s in score_hours(counts, evaluate_from=WEEK))

    def test_a_burst_well_above_a_steady_baseline_spikes(self):
        counts = [20] * WEEK + [45]
        [score] = score_hours(counts, evaluate_from=WEEK)
        # A constant baseline has no variance: the Poisson floor sqrt(20) is the scale.
        assert score.baseline == pytest.approx(20, abs=1e-6)
        assert score.z == pytest.approx(25 / math.sqrt(20), rel=1e-6)
        assert score.spike

    def test_a_rise_within_poisson_noise_of_a_busy_term_does_not_spike(self):
        counts = [20] * WEEK + [30]  # z = 10 / sqrt(20) ~ 2.24
        assert not score_hours(counts, evaluate_from=WEEK)[0].spike

    def test_a_term_never_seen_before_spikes_from_min_count(self):
        four = score_hours([0] * WEEK + [4], evaluate_from=WEEK)[0]
        five = score_hours([0] * WEEK + [5], evaluate_from=WEEK)[0]
        assert (four.z, four.spike) == (4.0, False)  # z is high, but 4 texts are too few
        assert (five.z, five.spike) == (5.0, True)

    def test_a_rare_term_needs_a_real_jump(self):
        counts = ([1, 0, 0, 0] * 42) + [3]  # mean ~0.25: the floor of 1 keeps z = 2.75
        score = score_hours(counts, evaluate_from=WEEK)[0]
        assert not score.spike
        assert score.z < 3

    def test_a_noisy_baseline_raises_the_bar(self):
        noisy = [5, 35] * (WEEK // 2) + [45]
        steady = [20] * WEEK + [45]
        noisy_z = score_hours(noisy, evaluate_from=WEEK)[0].z
        steady_z = score_hours(steady, evaluate_from=WEEK)[0].z
        assert noisy_z < 3 < steady_z

    def test_the_baseline_only_uses_earlier_hours(self):
        scores = score_hours([0, 0, 10, 0], evaluate_from=0)
        assert [s.baseline for s in scores[:3]] == [0.0, 0.0, 0.0]
        assert scores[3].baseline == pytest.approx(1.0)

    def test_hours_before_evaluate_from_are_not_scored(self):
        assert [s.index for s in score_hours([0] * 10, evaluate_from=7)] == [7, 8, 9]

    def test_the_rule_is_adjustable(self):
        counts = [0] * WEEK + [3]
        assert not score_hours(counts, evaluate_from=WEEK)[0].spike
        rule = SpikeRule(min_count=3, threshold=2.0)
        assert score_hours(counts, evaluate_from=WEEK, rule=rule)[0].spike


class TestStrongestSpike:
    def test_the_strongest_evaluated_hour_is_reported(self):
        counts = [2] * WEEK + [9, 30, 12]
        spike = strongest_spike(counts, evaluate_from=WEEK)
        assert spike is not None
        assert (spike.index, spike.count) == (WEEK + 1, 30)

    def test_a_spike_before_the_evaluated_hours_is_not_reported(self):
        counts = [0] * 100 + [40] + [0] * 67 + [0, 1]
        assert strongest_spike(counts, evaluate_from=WEEK) is None
