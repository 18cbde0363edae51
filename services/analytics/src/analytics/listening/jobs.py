"""The worker's clock for listening: hourly term counts older than any trend reads are deleted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from analytics.listening import repository, trends
from beacon_shared.logging import get_logger
from beacon_shared.worker import Job, WorkerContext, every

log = get_logger(__name__)

# The oldest hour a trend reads: its period starts at most trends.HISTORY ago and reads
# trends.READS_BEFORE before that; the margin covers the whole hours its ends are widened to.
RETENTION_MARGIN = timedelta(days=1)
TERM_RETENTION = trends.HISTORY + trends.READS_BEFORE + RETENTION_MARGIN
PRUNE_SECONDS = 3600.0
# Rows deleted per transaction: each chunk commits quickly, so the rows it locks never hold the
# listening consumer's upserts for long.
CHUNK_ROWS = 5_000


def prune_terms_job(ctx: WorkerContext) -> Job:
    """Every hour, delete the term counts past TERM_RETENTION."""

    async def prune() -> None:
        await prune_terms(ctx.sessionmaker, now=datetime.now(UTC))

    # Each chunk is its own transaction: a stop may cut a run short, the next run carries on.
    return every(PRUNE_SECONDS, prune, name="listening.prune_terms", abandon_on_stop=True)


async def prune_terms(
    sessionmaker: async_sessionmaker[AsyncSession], *, now: datetime, chunk: int = CHUNK_ROWS
) -> int:
    """Delete the counts of hours more than TERM_RETENTION before `now`, `chunk` rows per
    transaction, until a chunk comes back short; returns the rows deleted."""
    before = now - TERM_RETENTION
    deleted = 0
    while True:
        async with sessionmaker() as session, session.begin():
            gone = await repository.delete_terms_before(session, before=before, limit=chunk)
        deleted += gone
        if gone < chunk:
            break
    log.info("listening.terms_pruned", rows=deleted, before=before.isoformat())
    return deleted
