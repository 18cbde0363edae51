"""Publisher's worker: `python -m publisher.worker` publishes due posts and relays the outbox."""

from __future__ import annotations

from collections.abc import Sequence

from beacon_shared.contracts.topics import POST_PUBLISHED, POST_SCHEDULED
from beacon_shared.worker import Job, WorkerContext, WorkerSpec, worker_main
from publisher.config import Settings
from publisher.connectors.registry import built_in_registry
from publisher.db import outbox
from publisher.scheduling.scheduler import Scheduler, SchedulerConfig


def _jobs(ctx: WorkerContext) -> Sequence[Job]:
    if not isinstance(ctx.settings, Settings):
        raise TypeError("the publisher worker needs publisher.config.Settings")
    scheduler = Scheduler(
        sessionmaker=ctx.sessionmaker,
        connectors=built_in_registry(ctx.sessionmaker),
        config=SchedulerConfig.from_settings(ctx.settings),
    )
    return [scheduler.run]


def spec() -> WorkerSpec:
    """What publisher's worker runs."""
    return WorkerSpec(topics=[POST_SCHEDULED, POST_PUBLISHED], outbox=outbox, jobs=_jobs)


if __name__ == "__main__":
    worker_main(Settings(), spec())
