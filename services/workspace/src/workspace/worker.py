"""The workspace's worker: `python -m workspace.worker` relays its outbox.

It consumes nothing yet; the outbox is there for the events brands and connected accounts will
publish (docs/workspace.md).
"""

from __future__ import annotations

from beacon_shared.worker import WorkerSpec, worker_main
from workspace.config import Settings
from workspace.db import outbox


def spec() -> WorkerSpec:
    """What the workspace's worker runs: the outbox relay."""
    return WorkerSpec(topics=(), outbox=outbox)


if __name__ == "__main__":
    worker_main(Settings(), spec())
