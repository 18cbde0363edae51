"""`python -m beacon_shared.serve <uvicorn options>`: an API process whose drained stop exits 0.

It is uvicorn's own command line (the image's entry point runs every API through it), with
one difference. On SIGTERM or SIGINT uvicorn stops accepting, lets the requests in flight
finish within `--timeout-graceful-shutdown`, runs the lifespan's shutdown, and then raises the
signal again under the handler that was there before it started. Under the default handler
that kills the process, so a clean drain would report "killed by SIGTERM" (status 143), which
orchestrators and `restart: on-failure` read as a failure. The handler installed here ends
the process with status 0 instead: after a drain, or when the stop arrives before uvicorn
listens (nothing is in flight then). A failed start keeps uvicorn's non-zero status.

One process per container: with `--workers` uvicorn's supervisor handles signals itself.
"""

from __future__ import annotations

import signal
from collections.abc import Sequence
from types import FrameType

from uvicorn.main import main as uvicorn_command

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _stopped(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def main(argv: Sequence[str] | None = None) -> None:
    """Run uvicorn with `argv` (default: the command line); a drained stop exits 0."""
    for stop_signal in STOP_SIGNALS:
        signal.signal(stop_signal, _stopped)
    uvicorn_command.main(
        args=list(argv) if argv is not None else None, prog_name="python -m beacon_shared.serve"
    )


if __name__ == "__main__":
    main()
