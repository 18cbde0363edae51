"""The worker's clock for weekly reports: due schedules are run, one transaction each."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from analytics.reports import service
from beacon_shared.logging import get_logger
from beacon_shared.worker import Job, WorkerContext, every

log = get_logger(__name__)

SCHEDULE_CHECK_SECONDS = 60.0
# A tick stops after this many runs and leaves the rest to the next one.
MAX_RUNS_PER_TICK = 100


def scheduled_reports_job(ctx: WorkerContext) -> Job:
    """Every minute, run the weekly report schedules that are due."""

    async def run() -> None:
        await run_due(ctx.sessionmaker)

    return every(SCHEDULE_CHECK_SECONDS, run, name="reports.scheduled")


async def run_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    now: datetime | None = None,
    limit: int = MAX_RUNS_PER_TICK,
) -> int:
    """Run due schedules, oldest first, until none is left (or `limit`); returns the reports
    made. A schedule that fails is logged, left due, and tried again at the next tick, so it
    never holds the others up."""
    failed: set[tuple[str, str]] = set()
    made = 0
    for _ in range(limit):
        async with sessionmaker() as session, session.begin():
            at = now or datetime.now(UTC)
            schedule = await service.claim_due(session, now=at, skip=failed)
            if schedule is None:
                break
            try:
                async with session.begin_nested():
                    await service.run_schedule(session, schedule, now=at)
                made += 1
            except Exception as exc:
                failed.add((schedule.tenant_id, schedule.brand_id))
                log.warning(
                    "report.schedule_failed",
                    tenant_id=schedule.tenant_id,
                    brand_id=schedule.brand_id,
                    error=repr(exc),
                )
    return made
