"""Ingest's worker: `python -m ingest.worker` relays the outbox and polls Mastodon and Bluesky."""

from __future__ import annotations

from beacon_shared.contracts.topics import COMMENT_RECEIVED, ENGAGEMENT_RECORDED
from beacon_shared.worker import WorkerContext, WorkerSpec, worker_main
from ingest.config import Settings
from ingest.db import outbox
from ingest.pollers.runner import poll_job


def spec() -> WorkerSpec:
    """What ingest's worker runs."""
    return WorkerSpec(
        topics=[COMMENT_RECEIVED, ENGAGEMENT_RECORDED],
        outbox=outbox,
        jobs=lambda ctx: [poll_job(ctx)] if _polls(ctx) else [],
    )


def _polls(ctx: WorkerContext) -> bool:
    return isinstance(ctx.settings, Settings) and ctx.settings.poll_enabled


if __name__ == "__main__":
    worker_main(Settings(), spec())
