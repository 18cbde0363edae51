"""Raw network payloads are kept `raw_payload_retention_days`, then cleared, a batch per
transaction; replicas share the work by skipping rows another one holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from beacon_shared.logging import get_logger
from beacon_shared.worker import Job, WorkerContext, every
from ingest.config import Settings
from ingest.interactions.erasure import clear_raw_payloads

log = get_logger(__name__)
# Rows per transaction: short enough to hold few locks, long enough to drain a backlog.
BATCH_SIZE = 1000


async def clear_expired(
    sessionmaker: async_sessionmaker[AsyncSession], *, retention: timedelta
) -> int:
    """Clear every raw payload older than `retention`; how many were cleared."""
    before = datetime.now(UTC) - retention
    total = 0
    while True:
        async with sessionmaker() as session, session.begin():
            cleared = await clear_raw_payloads(session, before=before, limit=BATCH_SIZE)
        total += cleared
        if cleared < BATCH_SIZE:
            break
    if total:
        log.info("raw_payloads.cleared", count=total)
    return total


def retention_job(ctx: WorkerContext, settings: Settings) -> Job:
    """The worker's job clearing expired raw payloads now and then."""
    retention = timedelta(days=settings.raw_payload_retention_days)

    async def run() -> None:
        await clear_expired(ctx.sessionmaker, retention=retention)

    return every(settings.raw_payload_retention_poll_seconds, run, name="raw_payload_retention")
