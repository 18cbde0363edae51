"""Waiting in a worker's loop: the wait ends early when the worker is asked to stop."""

from __future__ import annotations

import asyncio
import contextlib


async def wait_or_stop(stop: asyncio.Event, seconds: float) -> bool:
    """Wait `seconds`, or less when `stop` is set first; whether it is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
    return stop.is_set()
