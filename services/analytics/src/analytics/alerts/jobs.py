"""The worker's clock for bad buzz: open alerts of brands gone quiet are evaluated on time."""

from __future__ import annotations

from analytics.alerts import service
from beacon_shared.worker import Job, WorkerContext, every

QUIET_CHECK_SECONDS = 60.0


def quiet_brands_job(ctx: WorkerContext) -> Job:
    """Every minute, close the windows of brands with an alert open and no event for a while."""

    async def close() -> None:
        async with ctx.sessionmaker() as session, session.begin():
            await service.close_quiet(session)

    return every(QUIET_CHECK_SECONDS, close, name="alerts.close_quiet")
