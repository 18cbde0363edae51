"""Waiting in a worker's loop: the wait ends early when the worker is asked to stop, and the
wait before a retry doubles with each failure in a row."""

from __future__ import annotations

import asyncio
import contextlib


async def wait_or_stop(stop: asyncio.Event, seconds: float) -> bool:
    """Wait `seconds`, or less when `stop` is set first; whether it is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
    return stop.is_set()


# Doubling more often than this gives nothing a float can tell apart from a cap (2.0 ** 1024
# would not even be a float): a counter of failures that keeps growing stays safe.
_MOST_DOUBLINGS = 1000


def doubling(first: float, times: int, *, cap: float | None = None) -> float:
    """`first` doubled `times` times (none below zero), at most `cap`: the wait before a retry
    after failures in a row."""
    delay: float = first * 2.0 ** min(max(0, times), _MOST_DOUBLINGS)
    return delay if cap is None else min(delay, cap)


class Backoff:
    """The waits of a loop whose turns fail: `first`, then doubled with each failure in a row up
    to `cap`; a turn that succeeds starts them again from `first`. The first wait is `first`
    even above `cap`: the cap bounds the doubling only."""

    def __init__(self, first: float, *, cap: float) -> None:
        self.first, self.cap = first, cap
        self._failures = 0

    def failed(self) -> float:
        """How long to wait after this failure."""
        wait = doubling(self.first, self._failures, cap=self.cap if self._failures else None)
        self._failures = min(self._failures + 1, _MOST_DOUBLINGS)
        return wait

    def succeeded(self) -> None:
        """The next failure waits `first` again."""
        self._failures = 0
