"""Ingest's worker: `python -m ingest.worker` relays the outbox, polls Mastodon and Bluesky
(notifications, and post metrics of own and tracked accounts), carries out moderation's network
actions, and forgets expired idempotency keys."""

from __future__ import annotations

from functools import partial

from beacon_shared.contracts.topics import (
    ACTION_COMPLETED,
    ACTION_REQUESTED,
    COMMENT_RECEIVED,
    ENGAGEMENT_RECORDED,
    POST_METRICS_OBSERVED,
)
from beacon_shared.worker import Job, WorkerContext, WorkerSpec, every, worker_main
from ingest.actions.executor import action_job
from ingest.actions.handlers import actions_consumer
from ingest.config import Settings
from ingest.db import inbox, outbox
from ingest.interactions import idempotency
from ingest.pollers.runner import poll_job
from ingest.post_metrics.runner import metrics_jobs

PRUNE_SECONDS = 3600.0


def spec() -> WorkerSpec:
    """What ingest's worker runs."""
    return WorkerSpec(
        topics=[
            COMMENT_RECEIVED,
            ENGAGEMENT_RECORDED,
            ACTION_REQUESTED,
            ACTION_COMPLETED,
            POST_METRICS_OBSERVED,
        ],
        outbox=outbox,
        inbox=inbox,
        consumers=[actions_consumer()],
        jobs=lambda ctx: [
            _prune_idempotency_keys(ctx),
            *([poll_job(ctx)] if _polls(ctx) else []),
            *([action_job(ctx)] if _acts(ctx) else []),
            *metrics_jobs(ctx),
        ],
    )


def _prune_idempotency_keys(ctx: WorkerContext) -> Job:
    return every(
        PRUNE_SECONDS, partial(idempotency.prune, ctx.sessionmaker), name="prune_idempotency_keys"
    )


def _polls(ctx: WorkerContext) -> bool:
    return isinstance(ctx.settings, Settings) and ctx.settings.poll_enabled


def _acts(ctx: WorkerContext) -> bool:
    return isinstance(ctx.settings, Settings) and ctx.settings.action_enabled


if __name__ == "__main__":
    worker_main(Settings(), spec())
