"""When `make up`'s runner restarts a process that exited: the back-off schedule, without I/O."""

from __future__ import annotations

import sys
from pathlib import Path

LOCAL = Path(__file__).resolve().parents[2] / "deploy" / "local"
if str(LOCAL) not in sys.path:
    sys.path.insert(0, str(LOCAL))

from processes import Backoff  # noqa: E402


class TestBackoff:
    def test_a_first_exit_is_restarted_after_the_first_delay(self):
        backoff = Backoff(first=1.0, longest=30.0, stable=60.0)
        backoff.started(100.0)

        assert backoff.exited(105.0) == 1.0
        assert not backoff.due(105.5)
        assert backoff.due(106.0)

    def test_exits_in_a_row_double_the_delay_up_to_the_longest(self):
        backoff = Backoff(first=1.0, longest=30.0, stable=60.0)
        delays = []
        now = 0.0
        for _ in range(7):
            backoff.started(now)
            delays.append(backoff.exited(now + 2.0))
            now += 2.0 + delays[-1]

        assert delays == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]

    def test_a_process_that_ran_long_enough_starts_over_from_the_first_delay(self):
        backoff = Backoff(first=1.0, longest=30.0, stable=60.0)
        for now in (0.0, 10.0, 20.0):
            backoff.started(now)
            backoff.exited(now + 1.0)
        backoff.started(30.0)

        assert backoff.exited(90.0) == 1.0

    def test_a_restart_clears_what_was_due(self):
        backoff = Backoff()
        backoff.started(0.0)
        backoff.exited(1.0)

        backoff.started(3.0)

        assert backoff.due_at is None
        assert not backoff.due(1000.0)
