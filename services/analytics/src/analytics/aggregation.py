"""The rollup consumer: every event type analytics aggregates, its facts written once per
batch, and the job that attributes held amounts and purges what is past the lateness horizon."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

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
from analytics.rollups.facts import Fact
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
from beacon_shared.contracts.workspace import BrandConfigured as WorkspaceBrandConfigured
from beacon_shared.events import Envelope, EventPayload
from beacon_shared.logging import get_logger
from beacon_shared.worker import Job, WorkerContext, every

log = get_logger(__name__)
GROUP_ID = "analytics.events"
SWEEP_SECONDS = 30.0

FactHandler = Callable[[AsyncSession, Sequence[Envelope]], Awaitable[list[Fact]]]

# In this order within a batch: zones and publications first, so that the other events of the
# same batch find their brand's day and their post.
_FACTS: Mapping[type[EventPayload], FactHandler] = {
    BrandConfigured: brand_configured,
    WorkspaceBrandConfigured: brand_configured,
    PostPublished: post_published,
    CommentReceived: comment_received,
    EngagementRecorded: engagement_recorded,
    CommentModerated: comment_moderated,
    PostScheduled: post_scheduled,
    PostFailed: post_failed,
    PostMetricsObserved: post_metrics_observed,
    ActionCompleted: action_completed,
}
_BY_TYPE: Mapping[str, FactHandler] = {
    payload.event_type: handler for payload, handler in _FACTS.items()
}


async def aggregate(session: AsyncSession, envelopes: Sequence[Envelope]) -> None:
    """Every event of the batch into its facts, written with one rollup upsert.

    One upsert per transaction, whose rows the server sorts: concurrent batches lock shared rows
    (a brand's minute, say) in one order. A statement per event type would each lock in order,
    but two of them could still deadlock against another batch's two.
    """
    by_type: dict[str, list[Envelope]] = {}
    for envelope in envelopes:
        by_type.setdefault(envelope.type, []).append(envelope)
    facts: list[Fact] = []
    for event_type, handler in _BY_TYPE.items():
        if event_type in by_type:
            facts.extend(await handler(session, by_type[event_type]))
    rows = await rollups.record(session, facts)
    log.debug("rollups.recorded", events=len(envelopes), rows=rows)


# One handler for every type: the runner hands it the whole fetch at once.
BATCH_HANDLERS: Mapping[str, BatchHandler] = dict.fromkeys(_BY_TYPE, aggregate)
TOPICS = sorted({payload.topic for payload in _FACTS})


def events_consumer() -> Consumer:
    """The group aggregating every event analytics understands into rollups, a fetch at a time
    (unknown types on these topics are skipped by the runner)."""
    return Consumer(group_id=GROUP_ID, topics=TOPICS, batch_handlers=BATCH_HANDLERS)


def sweep_job(ctx: WorkerContext) -> Job:
    """Every SWEEP_SECONDS: attribute amounts held for posts recorded lately, and purge held
    amounts past the lateness horizon."""

    async def sweep() -> None:
        now = datetime.now(UTC)
        async with ctx.sessionmaker() as session, session.begin():
            held = await rollups.sweep(session, now=now)
        if held:
            log.info("rollups.purged", held=held)

    return every(SWEEP_SECONDS, sweep, name="rollups.sweep")
