"""The workspace's worker: `python -m workspace.worker` relays its outbox and adopts the brand
settings the publisher saved before the registry existed."""

from __future__ import annotations

from beacon_shared.contracts.topics import BRAND_CONFIGURED
from beacon_shared.worker import WorkerSpec, worker_main
from workspace.brands.handlers import brands_consumer
from workspace.config import Settings
from workspace.db import inbox, outbox


def spec() -> WorkerSpec:
    """What the workspace's worker runs: the outbox relay and the brands consumer."""
    return WorkerSpec(
        topics=(BRAND_CONFIGURED,), outbox=outbox, inbox=inbox, consumers=(brands_consumer(),)
    )


if __name__ == "__main__":
    worker_main(Settings(), spec())
