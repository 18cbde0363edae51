"""The publisher's webhook dispatcher job: `beacon_shared.webhooks.dispatcher` on its tables,
with its metrics, configured from its settings."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from beacon_shared.crypto import SecretBox
from beacon_shared.webhooks import dispatcher
from beacon_shared.webhooks.dispatcher import DispatcherConfig
from beacon_shared.webhooks.schedule import Uniform
from publisher.config import Settings, webhook_box
from publisher.webhooks.metrics import METRICS
from publisher.webhooks.models import TABLES

__all__ = ["Dispatcher", "DispatcherConfig", "build_dispatcher"]


class Dispatcher(dispatcher.Dispatcher):
    """Sends every webhook queued in the publisher's tables until it is delivered or its retries
    run out."""

    def __init__(
        self,
        *,
        sessionmaker: async_sessionmaker[AsyncSession],
        box: SecretBox,
        config: DispatcherConfig,
        client: httpx.AsyncClient | None = None,
        rng: Uniform | None = None,
    ) -> None:
        super().__init__(
            tables=TABLES,
            metrics=METRICS,
            sessionmaker=sessionmaker,
            box=box,
            config=config,
            client=client,
            rng=rng,
        )


def build_dispatcher(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> Dispatcher:
    """The dispatcher the worker runs, configured from the publisher's settings."""
    return Dispatcher(
        sessionmaker=sessionmaker,
        box=webhook_box(settings),
        config=DispatcherConfig.for_worker(settings.worker_id, settings.egress),
    )
