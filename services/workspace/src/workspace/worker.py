"""The workspace's worker: `python -m workspace.worker` relays its outbox, adopts the brand
settings the publisher saved before the registry existed, refreshes connected accounts' tokens
ahead of expiry and seals their credentials again after a key rotation."""

from __future__ import annotations

from beacon_shared.contracts.topics import (
    ACCOUNT_CONNECTED,
    ACCOUNT_CREDENTIALS_CHANGED,
    ACCOUNT_DEAUTHORIZED,
    ACCOUNT_DISCONNECTED,
    BRAND_CONFIGURED,
)
from beacon_shared.worker import WorkerSpec, worker_main
from workspace.brands.handlers import brands_consumer
from workspace.config import Settings
from workspace.connections.jobs import connection_jobs
from workspace.db import inbox, outbox


def spec() -> WorkerSpec:
    """What the workspace's worker runs: the outbox relay, the brands consumer, the refresher
    and the re-sealing job."""
    return WorkerSpec(
        topics=(
            BRAND_CONFIGURED,
            ACCOUNT_CONNECTED,
            ACCOUNT_CREDENTIALS_CHANGED,
            ACCOUNT_DISCONNECTED,
            ACCOUNT_DEAUTHORIZED,
        ),
        outbox=outbox,
        inbox=inbox,
        consumers=(brands_consumer(),),
        jobs=connection_jobs,
    )


if __name__ == "__main__":
    worker_main(Settings(), spec())
