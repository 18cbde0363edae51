"""wait_or_stop(): a worker's wait that a stop cuts short."""

from __future__ import annotations

import asyncio

from beacon_shared.waiting import Backoff, doubling, wait_or_stop


class TestWaitOrStop:
    async def test_waits_the_time_out_and_says_not_stopped(self):
        loop = asyncio.get_running_loop()
        started = loop.time()

        stopped = await wait_or_stop(asyncio.Event(), 0.05)

        assert stopped is False
        assert loop.time() - started >= 0.05

    async def test_ends_as_soon_as_stop_is_set_and_says_so(self):
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(0.01, stop.set)

        stopped = await asyncio.wait_for(wait_or_stop(stop, 3600), timeout=5)

        assert stopped is True

    async def test_an_already_stopped_worker_does_not_wait(self):
        stop = asyncio.Event()
        stop.set()

        assert await asyncio.wait_for(wait_or_stop(stop, 3600), timeout=5) is True


class TestDoubling:
    def test_doubles_with_each_failure_in_a_row(self):
        assert [doubling(5, n) for n in range(4)] == [5, 10, 20, 40]

    def test_never_waits_less_than_the_first_wait(self):
        assert doubling(5, -1) == 5

    def test_stops_at_the_cap(self):
        assert doubling(30, 10, cap=900) == 900
        assert doubling(30, 2, cap=900) == 120

    def test_failures_past_what_a_float_can_double_still_give_the_cap(self):
        assert doubling(30, 5000, cap=900) == 900


class TestBackoff:
    def test_waits_the_first_then_doubles_up_to_the_cap(self):
        backoff = Backoff(0.5, cap=3.0)

        assert [backoff.failed() for _ in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]

    def test_a_first_wait_above_the_cap_is_waited_whole_then_the_cap(self):
        backoff = Backoff(30.0, cap=10.0)

        assert [backoff.failed() for _ in range(3)] == [30.0, 10.0, 10.0]

    def test_is_the_doubling_wait_of_its_failures_in_a_row(self):
        backoff = Backoff(0.25, cap=10.0)

        waits = [backoff.failed() for _ in range(10)]

        assert waits == [doubling(0.25, n, cap=10.0) for n in range(10)]

    def test_waits_the_cap_however_long_it_keeps_failing(self):
        backoff = Backoff(0.5, cap=10.0)

        waits = [backoff.failed() for _ in range(3000)]

        assert waits[-1] == 10.0

    def test_a_success_starts_again_from_the_first(self):
        backoff = Backoff(0.5, cap=3.0)
        backoff.failed()
        backoff.failed()

        backoff.succeeded()

        assert backoff.failed() == 0.5
