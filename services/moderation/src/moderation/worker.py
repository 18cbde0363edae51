"""Moderation's worker: `python -m moderation.worker` decides comments and relays the outbox."""

from __future__ import annotations

from beacon_shared.contracts.topics import COMMENT_MODERATED, COMMENT_RECEIVED
from beacon_shared.worker import WorkerSpec, worker_main
from moderation.config import Settings
from moderation.db import inbox, outbox
from moderation.decisions.handlers import comments_consumer
from moderation.rules import DefaultPolicy, Policy


def spec(policy: Policy | None = None) -> WorkerSpec:
    """What moderation's worker runs; the policy defaults to the default rules."""
    return WorkerSpec(
        topics=[COMMENT_RECEIVED, COMMENT_MODERATED],
        outbox=outbox,
        inbox=inbox,
        consumers=[comments_consumer(policy or DefaultPolicy())],
    )


if __name__ == "__main__":
    worker_main(Settings(), spec())
