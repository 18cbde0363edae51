"""The worker's clock for listening: hourly term counts older than any trend reads are deleted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from analytics.listening import repository, trends
from beacon_shared.logging import get_logger
from beacon_shared.worker import Job, WorkerContext, every

log = get_logger(__name__)

# The furthest before a period's end that trends read: the previous period of the same length
# (for `previous_count`), or the spike baseline's lookback before the period, whichever is longer.
TRENDS_READ_WINDOW = max(2 * trends.MAX_RANGE, trends.MAX_RANGE + trends.LOOKBACK)
# A period that ended up to a week ago (a report read late) keeps its whole comparison; this also
# covers the whole hours a period's ends are widened to.
RETENTION_MARGIN = timedelta(days=7)
TERM_RETENTION = TRENDS_READ_WINDOW + RETENTION_MARGIN
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
