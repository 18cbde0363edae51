"""Ingest's worker: `python -m ingest.worker` relays the outbox, keeps the workspace's connected
accounts (handing its own older ones over to the registry), polls Mastodon and Bluesky
(notifications, and post metrics of own and tracked accounts), carries out moderation's network
actions, erases authors' interactions on request, clears raw payloads past their retention and
forgets expired idempotency keys."""

from __future__ import annotations

from functools import partial

from beacon_shared.account_handover import hand_over_job
from beacon_shared.contracts.topics import (
    ACCOUNT_CONNECTED,
    ACCOUNT_CREDENTIALS_CHANGED,
    ACCOUNT_DEAUTHORIZED,
    ACCOUNT_DISCONNECTED,
    ACCOUNT_HANDED_OVER,
    ACCOUNT_REFRESH_REQUESTED,
    ACTION_COMPLETED,
    ACTION_REQUESTED,
    COMMENT_RECEIVED,
    ENGAGEMENT_RECORDED,
    ERASURE_COMPLETED,
    ERASURE_REQUESTED,
    OWN_ACTIVITY_RECORDED,
    POST_METRICS_OBSERVED,
)
from beacon_shared.reseal import Sealed, reseal_job
from beacon_shared.worker import Job, WorkerContext, WorkerSpec, every, worker_main
from ingest.accounts.crypto import credential_box
from ingest.accounts.handlers import AccountKeys, accounts_consumer
from ingest.accounts.handover import handover_spec
from ingest.accounts.service import sealed_credentials
from ingest.actions.executor import action_job
from ingest.actions.handlers import actions_consumer
from ingest.config import Settings
from ingest.db import inbox, outbox
from ingest.interactions import keys
from ingest.interactions.retention import retention_job
from ingest.pollers.runner import poll_job
from ingest.post_metrics.runner import metrics_jobs
from ingest.privacy.handlers import erasures_consumer

PRUNE_SECONDS = 3600.0


def spec(settings: Settings | None = None) -> WorkerSpec:
    """What ingest's worker runs; the credentials of the workspace's account events are opened
    with the keys of `settings` (without them, those events are retried, then dead-lettered)."""
    keys = (
        AccountKeys.from_settings(settings)
        if settings is not None
        else AccountKeys(events=None, ingest=None)
    )
    return WorkerSpec(
        topics=[
            COMMENT_RECEIVED,
            ENGAGEMENT_RECORDED,
            ACTION_REQUESTED,
            ACTION_COMPLETED,
            OWN_ACTIVITY_RECORDED,
            POST_METRICS_OBSERVED,
            ACCOUNT_CONNECTED,
            ACCOUNT_CREDENTIALS_CHANGED,
            ACCOUNT_DISCONNECTED,
            ACCOUNT_DEAUTHORIZED,
            ACCOUNT_HANDED_OVER,
            ACCOUNT_REFRESH_REQUESTED,
            ERASURE_REQUESTED,
            ERASURE_COMPLETED,
        ],
        outbox=outbox,
        inbox=inbox,
        consumers=[actions_consumer(), accounts_consumer(keys), erasures_consumer()],
        jobs=lambda ctx: [
            _prune_idempotency_keys(ctx),
            *([_hand_over(ctx, ctx.settings)] if isinstance(ctx.settings, Settings) else []),
            *([_reseal(ctx, ctx.settings)] if isinstance(ctx.settings, Settings) else []),
            *([retention_job(ctx, ctx.settings)] if isinstance(ctx.settings, Settings) else []),
            *([poll_job(ctx)] if _polls(ctx) else []),
            *([action_job(ctx)] if _acts(ctx) else []),
            *metrics_jobs(ctx),
        ],
    )


def _prune_idempotency_keys(ctx: WorkerContext) -> Job:
    return every(
        PRUNE_SECONDS,
        partial(keys.prune, ctx.sessionmaker),
        name="prune_idempotency_keys",
    )


def _hand_over(ctx: WorkerContext, settings: Settings) -> Job:
    return hand_over_job(
        ctx.sessionmaker, handover_spec(settings), every_seconds=settings.account_handover_seconds
    )


def sealed_secrets(settings: Settings) -> list[Sealed]:
    """What ingest seals at rest: the accounts' credentials, under the platform's keys."""
    box = credential_box(settings.account_keys)
    return [sealed_credentials(box)]


def _reseal(ctx: WorkerContext, settings: Settings) -> Job:
    return reseal_job(ctx.sessionmaker, sealed_secrets(settings))


def _polls(ctx: WorkerContext) -> bool:
    return isinstance(ctx.settings, Settings) and ctx.settings.poll_enabled


def _acts(ctx: WorkerContext) -> bool:
    return isinstance(ctx.settings, Settings) and ctx.settings.action_enabled


if __name__ == "__main__":
    settings = Settings()
    worker_main(settings, spec(settings))
