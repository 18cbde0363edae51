"""Moderation's worker: `python -m moderation.worker` decides comments and relays the outbox."""

from __future__ import annotations

from beacon_shared.contracts.topics import COMMENT_MODERATED, COMMENT_RECEIVED
from beacon_shared.worker import WorkerSpec, worker_main
from moderation.config import Settings
from moderation.db import inbox, outbox
from moderation.decisions.handlers import comments_consumer
from moderation.rules import PlaceholderPolicy, Policy


def spec(policy: Policy | None = None) -> WorkerSpec:
    """What moderation's worker runs; the policy defaults to the placeholder rules."""
    return WorkerSpec(
        topics=[COMMENT_RECEIVED, COMMENT_MODERATED],
        outbox=outbox,
        inbox=inbox,
        consumers=[comments_consumer(policy or PlaceholderPolicy())],
    )


if __name__ == "__main__":
    worker_main(Settings(), spec())
