"""The rollup consumer: every event type analytics aggregates and its batch handler, and the
job that attributes held amounts and purges what is past the lateness horizon."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from analytics.brands.handlers import brand_configured
from analytics.decisions.handlers import comment_moderated
from analytics.interactions.handlers import comment_received, engagement_recorded
from analytics.posts.handlers import (
    post_failed,
    post_metrics_observed,
    post_published,
    post_scheduled,
)
from analytics.responses.handlers import action_completed
from analytics.rollups import service as rollups
from analytics.sentiment import service as sentiment
from beacon_shared.consumer import BatchHandler, Consumer
from beacon_shared.contracts.ingest import (
    ActionCompleted,
    CommentReceived,
    EngagementRecorded,
    PostMetricsObserved,
)
from beacon_shared.contracts.moderation import CommentModerated
from beacon_shared.contracts.publisher import (
    BrandConfigured,
    PostFailed,
    PostPublished,
    PostScheduled,
)
from beacon_shared.events import EventPayload
from beacon_shared.logging import get_logger
from beacon_shared.worker import Job, WorkerContext, every

log = get_logger(__name__)
GROUP_ID = "analytics.events"
SWEEP_SECONDS = 30.0

_HANDLED: Mapping[type[EventPayload], BatchHandler] = {
    CommentReceived: comment_received,
    EngagementRecorded: engagement_recorded,
    CommentModerated: comment_moderated,
    PostScheduled: post_scheduled,
    PostPublished: post_published,
    PostFailed: post_failed,
    PostMetricsObserved: post_metrics_observed,
    ActionCompleted: action_completed,
    BrandConfigured: brand_configured,
}
BATCH_HANDLERS: Mapping[str, BatchHandler] = {
    payload.event_type: handler for payload, handler in _HANDLED.items()
}
TOPICS = sorted({payload.topic for payload in _HANDLED})


def events_consumer() -> Consumer:
    """The group aggregating every event analytics understands into rollups, a fetch at a time
    (unknown types on these topics are skipped by the runner)."""
    return Consumer(group_id=GROUP_ID, topics=TOPICS, batch_handlers=BATCH_HANDLERS)


def sweep_job(ctx: WorkerContext) -> Job:
    """Every SWEEP_SECONDS: attribute amounts held for posts recorded lately, and purge held
    amounts and half-joined comments past the lateness horizon."""

    async def sweep() -> None:
        now = datetime.now(UTC)
        async with ctx.sessionmaker() as session, session.begin():
            held = await rollups.sweep(session, now=now)
            comments = await sentiment.purge(session, now=now)
        if held or comments:
            log.info("rollups.purged", held=held, comments=comments)

    return every(SWEEP_SECONDS, sweep, name="rollups.sweep")
