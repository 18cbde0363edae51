"""The bad-buzz detector, without I/O: fixed windows, an EWMA baseline and a z-score.

Each (tenant, brand, kind) keeps an exponentially weighted mean and variance of its window
counts. A closed window scores z = (count - mean) / sd, with sd floored at √max(mean, 1) (counts
of rare events are Poisson-like: their spread is at least √mean, and a brand that usually sees
nothing must not alert on its first two comments). An alert is raised when the baseline is warm,
z ≥ RAISE_Z and the count reaches MIN_COUNT; it resolves after CALM_WINDOWS windows in a row at
or under mean + CALM_Z·sd. docs/analytics.md ("Bad buzz") states the method and its figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

WINDOW = timedelta(minutes=5)
# A window closes once the brand's newest event is this far past its end.
LATENESS = timedelta(minutes=2)
# An event reaching Beacon this long after it happened is history, not buzz: not counted here.
MAX_DELAY = timedelta(hours=1)
# With no event for this long, a brand watched for an open alert has its windows closed by the
# clock, so the alert can resolve while the brand is quiet.
QUIET = timedelta(minutes=15)
# Weight of the newest window in the baseline: a memory of about twenty windows (100 minutes).
ALPHA = 0.05
# Windows seen before any alert: two hours of the brand's traffic.
WARMUP_WINDOWS = 24
RAISE_Z = 4.0
MIN_COUNT = 10
CALM_Z = 1.0
CALM_WINDOWS = 3
# A longer silence (a week of empty windows) makes the old baseline meaningless: it starts over.
MAX_GAP_WINDOWS = 7 * 24 * 12
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def window_start(at: datetime) -> datetime:
    """The start of the UTC-aligned window `at` falls in."""
    return at - ((at - _EPOCH) % WINDOW)


def closed_before(watermark: datetime) -> datetime:
    """Windows starting before this are closed once the newest event is at `watermark`."""
    return window_start(watermark - LATENESS)


@dataclass(frozen=True)
class Baseline:
    """What a brand's windows usually hold: an EWMA of the counts and of their variance."""

    windows: int = 0
    mean: float = 0.0
    variance: float = 0.0

    @property
    def warm(self) -> bool:
        """Whether enough windows were seen to raise alerts."""
        return self.windows >= WARMUP_WINDOWS

    @property
    def deviation(self) -> float:
        """The standard deviation, floored as for Poisson counts (and at 1)."""
        return max(math.sqrt(self.variance), math.sqrt(max(self.mean, 1.0)))

    def score(self, count: float) -> float:
        """How many deviations `count` lies above the mean."""
        return (count - self.mean) / self.deviation

    def updated(self, count: float) -> Baseline:
        """The baseline after one more window.

        The weight is 1/n for the first windows (the plain mean and variance), then ALPHA. Once
        warm, a window is clipped to mean + RAISE_Z·sd first, so one spike barely moves the
        baseline while a lasting change of level is still learnt, a little each window.
        """
        if self.warm:
            count = min(count, self.mean + RAISE_Z * self.deviation)
        windows = self.windows + 1
        weight = max(ALPHA, 1.0 / windows)
        diff = count - self.mean
        step = weight * diff
        return Baseline(
            windows=windows,
            mean=self.mean + step,
            variance=(1.0 - weight) * (self.variance + diff * step),
        )


@dataclass(frozen=True)
class Watch:
    """A brand's detector state between windows."""

    baseline: Baseline = Baseline()
    # Consecutive calm windows, counted while an alert is open or after a person closed one.
    calm_windows: int = 0
    alert_open: bool = False
    # A person closed the last alert: none is raised again before the signal calms down.
    suppressed: bool = False


class Change(StrEnum):
    """What a closed window does to the brand's alert."""

    none = "none"
    raise_ = "raise"
    resolve = "resolve"


@dataclass(frozen=True)
class Evaluation:
    """One closed window scored against the baseline it found."""

    window_start: datetime
    count: int
    expected: float
    score: float
    change: Change
    watch: Watch


def evaluate(watch: Watch, *, start: datetime, count: int) -> Evaluation:
    """Score the window starting at `start` and move the state on."""
    baseline = watch.baseline
    score = baseline.score(count)
    calm = score <= CALM_Z
    change = Change.none
    calm_windows = watch.calm_windows + 1 if calm else 0
    alert_open, suppressed = watch.alert_open, watch.suppressed
    if alert_open:
        if calm_windows >= CALM_WINDOWS:
            change, alert_open, calm_windows = Change.resolve, False, 0
    elif suppressed:
        if calm_windows >= CALM_WINDOWS:
            suppressed, calm_windows = False, 0
    elif baseline.warm and score >= RAISE_Z and count >= MIN_COUNT:
        change, alert_open, calm_windows = Change.raise_, True, 0
    return Evaluation(
        window_start=start,
        count=count,
        expected=baseline.mean,
        score=score,
        change=change,
        watch=Watch(baseline.updated(count), calm_windows, alert_open, suppressed),
    )


def run(
    watch: Watch, *, first: datetime, until: datetime, counts: dict[datetime, int]
) -> tuple[Watch, list[Evaluation]]:
    """Evaluate every window from `first` up to (excluding) `until`, empty ones included.

    Returns the final state and the evaluations that raise or resolve (the others are not kept).
    A run of more than MAX_GAP_WINDOWS empty windows restarts the baseline after it.
    """
    changes: list[Evaluation] = []
    start = first
    empty_run = 0
    while start < until:
        count = counts.get(start, 0)
        empty_run = empty_run + 1 if count == 0 else 0
        if empty_run > MAX_GAP_WINDOWS and not watch.alert_open:
            # Nothing can happen in the rest of the silence: skip to its end and start over.
            next_counted = min((at for at in counts if at > start), default=until)
            watch = replace(watch, baseline=Baseline(), calm_windows=0)
            start, empty_run = next_counted, 0
            continue
        evaluation = evaluate(watch, start=start, count=count)
        watch = evaluation.watch
        if evaluation.change is not Change.none:
            changes.append(evaluation)
        start += WINDOW
    return watch, changes
