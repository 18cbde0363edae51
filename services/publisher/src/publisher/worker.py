"""Publisher's worker: `python -m publisher.worker` publishes due posts, delivers webhooks
(analytics' scheduled reports among them), keeps the bad-buzz alerts that pause brands' queues
and the workspace's brands and connected accounts, hands its own older accounts over to the
workspace's registry, and relays the outbox."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import httpx

from beacon_shared.account_handover import hand_over_job
from beacon_shared.contracts.topics import (
    ACCOUNT_CONNECTED,
    ACCOUNT_CREDENTIALS_CHANGED,
    ACCOUNT_DEAUTHORIZED,
    ACCOUNT_DISCONNECTED,
    ACCOUNT_HANDED_OVER,
    ACCOUNT_REFRESH_REQUESTED,
    ALERT_RAISED,
    ALERT_RESOLVED,
    BRAND_CONFIGURED,
    CAMPAIGN_CHANGED,
    POST_PUBLISHED,
    POST_SCHEDULED,
    REPORT_GENERATED,
)
from beacon_shared.egress import egress_client
from beacon_shared.reseal import Sealed, reseal_job
from beacon_shared.worker import Job, WorkerContext, WorkerSpec, worker_main
from publisher.accounts import service as accounts
from publisher.accounts.handlers import AccountKeys, accounts_consumer
from publisher.accounts.handover import handover_spec
from publisher.brands.handlers import alerts_consumer, brands_consumer
from publisher.config import Settings, account_box, webhook_box
from publisher.connectors.registry import built_in_registry
from publisher.db import inbox, outbox
from publisher.reports.handlers import reports_consumer
from publisher.scheduling.config import SchedulerConfig
from publisher.scheduling.scheduler import Scheduler
from publisher.webhooks import service as webhooks
from publisher.webhooks.dispatcher import build_dispatcher


def sealed_secrets(settings: Settings) -> list[Sealed]:
    """What the publisher seals at rest, each re-sealed under its keyring's newest key: the
    accounts' credentials (the platform's keys) and the webhook endpoints' signing secrets."""
    return [
        accounts.sealed_credentials(account_box(settings)),
        webhooks.sealed_secrets(webhook_box(settings)),
    ]


def _jobs(ctx: WorkerContext) -> Sequence[Job]:
    settings = ctx.settings
    if not isinstance(settings, Settings):
        raise TypeError("the publisher worker needs publisher.config.Settings")

    async def publish(stop: asyncio.Event) -> None:
        # One client for every network: its pool is shared, its lifetime is the job's.
        timeout = httpx.Timeout(settings.publish_timeout_seconds, connect=10.0)
        async with egress_client(settings.egress, timeout=timeout) as http:
            scheduler = Scheduler(
                sessionmaker=ctx.sessionmaker,
                connectors=built_in_registry(ctx.sessionmaker, http),
                config=SchedulerConfig.from_settings(settings),
                box=account_box(settings),
                http=http,
            )
            await scheduler.run(stop)

    hand_over = hand_over_job(
        ctx.sessionmaker, handover_spec(settings), every_seconds=settings.account_handover_seconds
    )
    return [
        publish,
        build_dispatcher(ctx.sessionmaker, settings).run,
        hand_over,
        reseal_job(ctx.sessionmaker, sealed_secrets(settings)),
    ]


def spec(settings: Settings | None = None) -> WorkerSpec:
    """What publisher's worker runs; the credentials of the workspace's account events are opened
    with the keys of `settings` (without them, those events are retried, then dead-lettered)."""
    keys = AccountKeys.from_settings(settings) if settings is not None else AccountKeys.none()
    return WorkerSpec(
        topics=[
            POST_SCHEDULED,
            POST_PUBLISHED,
            CAMPAIGN_CHANGED,
            BRAND_CONFIGURED,
            ALERT_RAISED,
            ALERT_RESOLVED,
            REPORT_GENERATED,
            ACCOUNT_CONNECTED,
            ACCOUNT_CREDENTIALS_CHANGED,
            ACCOUNT_DISCONNECTED,
            ACCOUNT_DEAUTHORIZED,
            ACCOUNT_HANDED_OVER,
            ACCOUNT_REFRESH_REQUESTED,
        ],
        outbox=outbox,
        inbox=inbox,
        consumers=[
            alerts_consumer(),
            brands_consumer(),
            reports_consumer(),
            accounts_consumer(keys),
        ],
        jobs=_jobs,
    )


if __name__ == "__main__":
    settings = Settings()
    worker_main(settings, spec(settings))
