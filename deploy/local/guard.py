"""Stops the local stack's embedded servers if the runner dies without stopping them itself.

`python guard.py PID:SIGNAL ...` is started by the runner with SIGTERM blocked and requested as its
parent-death signal (Linux). PostgreSQL runs detached from the runner (pg_ctl daemonises it), so
without this a runner killed hard would leave it running. A runner that stops cleanly kills the
guard last, after stopping the servers itself.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys


def main(argv: list[str]) -> None:
    """Wait for the runner's death, then send each target its signal."""
    targets = [(int(pid), signal.Signals[name]) for pid, name in (a.split(":") for a in argv)]
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    signal.sigwait({signal.SIGTERM})
    for pid, sig in targets:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


if __name__ == "__main__":
    main(sys.argv[1:])
