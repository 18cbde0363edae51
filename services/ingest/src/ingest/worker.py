"""Ingest's worker: `python -m ingest.worker` relays the outbox."""

from __future__ import annotations

from beacon_shared.contracts.topics import COMMENT_RECEIVED, ENGAGEMENT_RECORDED
from beacon_shared.worker import WorkerSpec, worker_main
from ingest.config import Settings
from ingest.db import outbox


def spec() -> WorkerSpec:
    """What ingest's worker runs."""
    return WorkerSpec(topics=[COMMENT_RECEIVED, ENGAGEMENT_RECORDED], outbox=outbox)


if __name__ == "__main__":
    worker_main(Settings(), spec())
