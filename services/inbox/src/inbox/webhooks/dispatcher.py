"""The inbox's webhook dispatcher job: `beacon_shared.webhooks.dispatcher` on its tables."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from beacon_shared.webhooks.dispatcher import Dispatcher, DispatcherConfig
from beacon_shared.webhooks.metrics import webhook_metrics
from inbox.config import Settings, webhook_box
from inbox.webhooks.models import TABLES

METRICS = webhook_metrics("inbox")


def build_dispatcher(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> Dispatcher:
    """The dispatcher the worker runs, configured from the inbox's settings."""
    return Dispatcher(
        tables=TABLES,
        metrics=METRICS,
        sessionmaker=sessionmaker,
        box=webhook_box(settings),
        config=DispatcherConfig.for_worker(settings.worker_id, settings.egress),
    )
