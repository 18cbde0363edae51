"""Analytics's worker: `python -m analytics.worker` aggregates the platform's events."""

from __future__ import annotations

from analytics.aggregation import GROUP_ID, events_consumer, sweep_job
from analytics.alerts.handlers import alerts_consumer
from analytics.alerts.jobs import quiet_brands_job
from analytics.config import Settings
from analytics.db import inbox, outbox
from analytics.listening.handlers import listening_consumer
from analytics.listening.jobs import prune_terms_job
from analytics.privacy.handlers import erasures_consumer
from analytics.reports.jobs import scheduled_reports_job
from analytics.roi.consumer import roi_consumer
from analytics.sla.handlers import sla_consumer
from beacon_shared.contracts.topics import ALL_TOPICS
from beacon_shared.worker import WorkerSpec, worker_main

__all__ = ["GROUP_ID", "events_consumer", "spec"]


def spec() -> WorkerSpec:
    """What analytics's worker runs; its outbox carries the bad-buzz alerts and the reports."""
    return WorkerSpec(
        topics=ALL_TOPICS,
        outbox=outbox,
        inbox=inbox,
        consumers=[
            events_consumer(),
            roi_consumer(),
            alerts_consumer(),
            listening_consumer(),
            sla_consumer(),
            erasures_consumer(),
        ],
        jobs=lambda ctx: [
            sweep_job(ctx),
            quiet_brands_job(ctx),
            scheduled_reports_job(ctx),
            prune_terms_job(ctx),
        ],
    )


if __name__ == "__main__":
    worker_main(Settings(), spec())
