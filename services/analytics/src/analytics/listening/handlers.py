"""Batch handlers of listening, and the consumer group that runs them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from analytics.listening import recording
from analytics.listening.readings import reading_of
from beacon_shared.consumer import Consumer
from beacon_shared.contracts.ingest import CommentReceived, InteractionKind, PostMetricsObserved
from beacon_shared.contracts.topics import COMMENT_RECEIVED, POST_METRICS_OBSERVED
from beacon_shared.events import Envelope
from beacon_shared.logging import get_logger

log = get_logger(__name__)

GROUP_ID = "analytics.listening"


async def post_metrics_observed(session: AsyncSession, envelopes: Sequence[Envelope]) -> None:
    """Latest totals per post, their differences into account-days, new posts' terms."""
    # A malformed event fails the batch; the runner then handles each event alone and
    # dead-letters only that one.
    readings = [reading_of(envelope) for envelope in envelopes]
    recorded = await recording.record_observations(session, readings)
    log.debug(
        "listening.observations_recorded",
        events=len(envelopes),
        new_posts=recorded.new_posts,
        updated_posts=recorded.updated_posts,
        stale=recorded.stale,
    )


async def comment_received(session: AsyncSession, envelopes: Sequence[Envelope]) -> None:
    """Terms of public comments, replies and mentions; direct messages are private."""
    comments = []
    for envelope in envelopes:
        comment = envelope.payload(CommentReceived)
        if comment.kind is InteractionKind.direct_message or not comment.text:
            continue
        comments.append(
            recording.Comment(
                tenant_id=envelope.tenantid,
                brand_id=comment.brand_id or "",
                text=comment.text,
                created_at=comment.created_at,
                received_at=comment.received_at,
            )
        )
    late = await recording.record_comment_terms(session, comments)
    if late:
        log.info("listening.comments_too_late", comments=late)


def listening_consumer() -> Consumer:
    """Its own group: listening neither slows nor waits for the other aggregates."""
    return Consumer(
        group_id=GROUP_ID,
        topics=[POST_METRICS_OBSERVED.name, COMMENT_RECEIVED.name],
        batch_handlers={
            PostMetricsObserved.event_type: post_metrics_observed,
            CommentReceived.event_type: comment_received,
        },
    )
