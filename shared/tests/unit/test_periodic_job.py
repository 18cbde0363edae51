"""every(): a periodic job that outlives its action's failures and stops when told."""

from __future__ import annotations

import asyncio

from beacon_shared.worker import every


async def test_runs_at_once_then_every_period_and_survives_failures():
    calls = 0
    stop = asyncio.Event()

    async def action() -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("first run fails")
        if calls == 3:
            stop.set()

    await asyncio.wait_for(every(0.01, action, name="test_job")(stop), timeout=5)

    assert calls == 3


async def test_stops_during_the_wait_without_running_again():
    calls = 0
    stop = asyncio.Event()

    async def action() -> None:
        nonlocal calls
        calls += 1

    job = asyncio.create_task(every(3600, action, name="test_job")(stop))
    await asyncio.sleep(0.05)
    stop.set()
    await asyncio.wait_for(job, timeout=5)

    assert calls == 1


async def test_a_stop_abandons_the_action_in_progress_when_asked_to():
    started, finished, cancelled = asyncio.Event(), asyncio.Event(), asyncio.Event()
    stop = asyncio.Event()

    async def long_cycle() -> None:
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        finished.set()

    job = asyncio.create_task(every(0.01, long_cycle, name="poll", abandon_on_stop=True)(stop))
    await asyncio.wait_for(started.wait(), timeout=5)
    stop.set()
    await asyncio.wait_for(job, timeout=5)

    assert cancelled.is_set()
    assert not finished.is_set()


async def test_an_abandonable_action_that_fails_is_retried_at_the_next_tick():
    calls = 0
    stop = asyncio.Event()

    async def action() -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("the database is away")
        stop.set()

    await asyncio.wait_for(every(0.01, action, name="poll", abandon_on_stop=True)(stop), timeout=5)

    assert calls == 2
