"""The bad-buzz detector on its own: windows, the EWMA baseline, raising and resolving."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from analytics.alerts import detector
from analytics.alerts.detector import (
    CALM_WINDOWS,
    MAX_GAP_WINDOWS,
    MIN_COUNT,
    WARMUP_WINDOWS,
    WINDOW,
    Baseline,
    Change,
    Watch,
)

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def windows(counts: list[int], *, first: datetime = T0) -> dict[datetime, int]:
    return {first + i * WINDOW: count for i, count in enumerate(counts) if count}


def run(counts: list[int], watch: Watch | None = None) -> tuple[Watch, list[detector.Evaluation]]:
    return detector.run(
        watch or Watch(), first=T0, until=T0 + len(counts) * WINDOW, counts=windows(counts)
    )


class TestWindows:
    def test_windows_are_five_utc_minutes_aligned_on_the_epoch(self):
        assert detector.window_start(T0 + timedelta(minutes=7, seconds=59)) == T0 + WINDOW
        assert detector.window_start(T0 + WINDOW) == T0 + WINDOW

    def test_a_window_closes_two_minutes_after_its_end(self):
        end = T0 + WINDOW
        assert detector.closed_before(end + timedelta(minutes=1, seconds=59)) == T0
        assert detector.closed_before(end + timedelta(minutes=2)) == end


class TestBaseline:
    def test_the_first_windows_give_the_plain_mean_and_variance(self):
        baseline = Baseline()
        for count in (2, 4, 6):
            baseline = baseline.updated(count)
        assert baseline.windows == 3
        assert baseline.mean == pytest.approx(4.0)
        assert baseline.variance == pytest.approx(8 / 3)

    def test_the_deviation_is_floored_like_poisson_counts(self):
        assert Baseline(30, mean=9.0, variance=0.0).deviation == pytest.approx(3.0)
        assert Baseline(30, mean=0.1, variance=0.0).deviation == pytest.approx(1.0)
        assert Baseline(30, mean=4.0, variance=25.0).deviation == pytest.approx(5.0)

    def test_once_warm_a_spike_is_clipped_before_it_enters_the_baseline(self):
        warm = Baseline(WARMUP_WINDOWS, mean=4.0, variance=0.0)
        after = warm.updated(1000)
        # Clipped to mean + 4 sd = 12: the mean moves by ALPHA * 8, not by ALPHA * 996.
        assert after.mean == pytest.approx(4.0 + detector.ALPHA * 8)


class TestRaising:
    def test_no_alert_during_warm_up_however_big_the_spike(self):
        _, changes = run([3] * (WARMUP_WINDOWS - 1) + [500])
        assert changes == []

    def test_a_spike_after_warm_up_raises_once_however_long_it_lasts(self):
        watch, changes = run([3] * WARMUP_WINDOWS + [40, 45, 50, 60])
        assert [c.change for c in changes] == [Change.raise_]
        raised = changes[0]
        assert raised.window_start == T0 + WARMUP_WINDOWS * WINDOW
        assert raised.count == 40
        assert raised.expected == pytest.approx(3.0)
        assert raised.score == pytest.approx((40 - 3) / math.sqrt(3))
        assert watch.alert_open

    def test_a_low_volume_brand_does_not_alert_on_two_comments(self):
        quiet = [1 if i % 4 == 0 else 0 for i in range(WARMUP_WINDOWS * 2)]
        _, changes = run([*quiet, 2])
        assert changes == []

    def test_a_high_score_under_the_minimum_count_does_not_alert(self):
        _, changes = run([0] * WARMUP_WINDOWS + [MIN_COUNT - 1])
        assert changes == []

    def test_the_minimum_count_with_a_high_score_alerts(self):
        _, changes = run([0] * WARMUP_WINDOWS + [MIN_COUNT])
        assert [c.change for c in changes] == [Change.raise_]

    def test_ordinary_noise_of_a_busy_brand_does_not_alert(self):
        # Poisson-like traffic around 50 a window: +/- 2 sd stays well under the threshold.
        noise = [50, 44, 57, 49, 61, 38, 52, 47, 55, 43] * 5
        _, changes = run(noise)
        assert changes == []


class TestResolving:
    def test_the_alert_resolves_after_calm_windows_in_a_row(self):
        spike = [3] * WARMUP_WINDOWS + [40]
        watch, changes = run([*spike, *[3] * CALM_WINDOWS])
        assert [c.change for c in changes] == [Change.raise_, Change.resolve]
        assert changes[1].window_start == T0 + (len(spike) + CALM_WINDOWS - 1) * WINDOW
        assert not watch.alert_open

    def test_a_busy_window_among_calm_ones_starts_the_count_again(self):
        spike = [3] * WARMUP_WINDOWS + [40]
        watch, changes = run([*spike, 3, 3, 30, 3, 3])
        assert [c.change for c in changes] == [Change.raise_]
        assert watch.alert_open
        assert watch.calm_windows == 2

    def test_after_a_person_closed_it_none_is_raised_before_the_signal_calms(self):
        watch, _ = run([3] * WARMUP_WINDOWS + [40])
        closed = Watch(watch.baseline, calm_windows=0, alert_open=False, suppressed=True)
        still_busy, changes = run([40, 45], closed)
        assert changes == []
        calmed, _ = run([3] * CALM_WINDOWS, still_busy)
        assert not calmed.suppressed
        _, again = run([60], calmed)
        assert [c.change for c in again] == [Change.raise_]


class TestSilence:
    def test_a_week_of_silence_starts_the_baseline_over(self):
        watch, _ = run([5] * WARMUP_WINDOWS)
        restarted, changes = detector.run(
            watch,
            first=T0,
            until=T0 + (MAX_GAP_WINDOWS + 10) * WINDOW,
            counts={T0 + (MAX_GAP_WINDOWS + 5) * WINDOW: 2},
        )
        assert changes == []
        # The silence was dropped; the windows from the first counted one on were learnt again.
        assert restarted.baseline.windows == 5
        assert not restarted.baseline.warm
