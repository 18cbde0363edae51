"""The workspace's worker: `python -m workspace.worker` relays its outbox, adopts the brand
settings the publisher saved and the accounts ingest and the publisher connected before the
registry existed, refreshes connected accounts' tokens
ahead of expiry, checks Meta's, revokes a disconnected account's tokens at the network and seals
credentials again after a key rotation, and gathers each service's erasure reports into the
requests' receipts."""

from __future__ import annotations

from beacon_shared.contracts.topics import (
    ACCOUNT_CONNECTED,
    ACCOUNT_CREDENTIALS_CHANGED,
    ACCOUNT_DEAUTHORIZED,
    ACCOUNT_DISCONNECTED,
    ACCOUNT_HANDED_OVER,
    ACCOUNT_REFRESH_REQUESTED,
    BRAND_CONFIGURED,
    ERASURE_COMPLETED,
    ERASURE_REQUESTED,
)
from beacon_shared.worker import WorkerSpec, worker_main
from workspace.brands.handlers import brands_consumer
from workspace.config import Settings
from workspace.connections.handlers import accounts_consumer
from workspace.connections.handover import HandOverKeys
from workspace.connections.jobs import connection_jobs
from workspace.db import inbox, outbox
from workspace.erasures.handlers import erasures_consumer


def spec(settings: Settings | None = None) -> WorkerSpec:
    """What the workspace's worker runs: the outbox relay, the brands consumer, the accounts
    consumer (handed-over accounts adopted with the keys of `settings`, refused tokens refreshed
    at once), the refresher, the Meta token check, the revoker and the re-sealing job."""
    return WorkerSpec(
        topics=(
            BRAND_CONFIGURED,
            ACCOUNT_CONNECTED,
            ACCOUNT_CREDENTIALS_CHANGED,
            ACCOUNT_DISCONNECTED,
            ACCOUNT_DEAUTHORIZED,
            ACCOUNT_HANDED_OVER,
            ACCOUNT_REFRESH_REQUESTED,
            ERASURE_REQUESTED,
            ERASURE_COMPLETED,
        ),
        outbox=outbox,
        inbox=inbox,
        consumers=(
            brands_consumer(),
            accounts_consumer(HandOverKeys.of(settings)),
            erasures_consumer(),
        ),
        jobs=connection_jobs,
    )


if __name__ == "__main__":
    settings = Settings()
    worker_main(settings, spec(settings))
