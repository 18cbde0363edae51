"""Metric names and the counter increments each consumed event type makes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import NamedTuple

from beacon_shared.contracts.common import Network
from beacon_shared.contracts.ingest import CommentReceived, EngagementRecorded, InteractionKind
from beacon_shared.contracts.moderation import CommentModerated, ModerationAction
from beacon_shared.contracts.publisher import PostPublished, PostScheduled, ScheduleChange
from beacon_shared.events import Envelope

COMMENTS_RECEIVED = "comments.received"
ENGAGEMENTS_RECORDED = "engagements.recorded"
COMMENTS_MODERATED = "comments.moderated"
POSTS_SCHEDULED = "posts.scheduled"
POSTS_PUBLISHED = "posts.published"
# Care: comments that got a first reply from Beacon, and the sum of their delays in seconds.
FIRST_RESPONSES = "first_responses"
FIRST_RESPONSE_SECONDS = "first_response.seconds"


def per(family: str, value: str) -> str:
    """A family's metric for one value of a dimension, e.g. `comments.received.reply`."""
    return f"{family}.{value}"


# Every metric a counter may hold, so queries can refuse a misspelt name instead of answering 0.
KNOWN_METRICS = frozenset(
    {
        COMMENTS_RECEIVED,
        POSTS_SCHEDULED,
        POSTS_PUBLISHED,
        FIRST_RESPONSES,
        FIRST_RESPONSE_SECONDS,
        *(per(COMMENTS_RECEIVED, kind) for kind in InteractionKind),
        *(per(ENGAGEMENTS_RECORDED, kind) for kind in InteractionKind),
        *(per(COMMENTS_MODERATED, action) for action in ModerationAction),
        *(per(POSTS_PUBLISHED, network) for network in Network),
    }
)


class CounterKey(NamedTuple):
    """One counter row: a tenant's metric for one brand ('' for none) and one UTC minute."""

    tenant_id: str
    brand_id: str
    metric: str
    bucket_start: datetime


Extractor = Callable[[Envelope], list[CounterKey]]


def minute_bucket(at: datetime) -> datetime:
    """The UTC minute `at` falls in; a naive time is taken as UTC."""
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return aware.astimezone(UTC).replace(second=0, microsecond=0)


def _keys(
    envelope: Envelope, *, brand_id: str | None, at: datetime | None, metrics: Iterable[str]
) -> list[CounterKey]:
    # Domain time, so late or replayed events land in the minute they happened in.
    bucket = minute_bucket(at if at is not None else envelope.time)
    return [CounterKey(envelope.tenantid, brand_id or "", metric, bucket) for metric in metrics]


def comment_received(envelope: Envelope) -> list[CounterKey]:
    """`comments.received` and its per-kind metric, at the comment's creation time."""
    comment = envelope.payload(CommentReceived)
    return _keys(
        envelope,
        brand_id=comment.brand_id,
        at=comment.created_at,
        metrics=(COMMENTS_RECEIVED, per(COMMENTS_RECEIVED, comment.kind)),
    )


def engagement_recorded(envelope: Envelope) -> list[CounterKey]:
    """The per-kind `engagements.recorded` metric, at the engagement's creation time."""
    engagement = envelope.payload(EngagementRecorded)
    return _keys(
        envelope,
        brand_id=engagement.brand_id,
        at=engagement.created_at,
        metrics=(per(ENGAGEMENTS_RECORDED, engagement.kind),),
    )


def comment_moderated(envelope: Envelope) -> list[CounterKey]:
    """The per-action `comments.moderated` metric, at the decision time."""
    decision = envelope.payload(CommentModerated)
    return _keys(
        envelope,
        brand_id=decision.brand_id,
        at=decision.decided_at,
        metrics=(per(COMMENTS_MODERATED, decision.action),),
    )


def comment_moderated_replaced(envelope: Envelope) -> list[CounterKey]:
    """A revised decision's replaced per-action metric, at the time it was decided."""
    decision = envelope.payload(CommentModerated)
    if decision.replaces_action is None:
        return []
    return _keys(
        envelope,
        brand_id=decision.brand_id,
        at=decision.replaces_decided_at or decision.decided_at,
        metrics=(per(COMMENTS_MODERATED, decision.replaces_action),),
    )


def post_scheduled(envelope: Envelope) -> list[CounterKey]:
    """`posts.scheduled` for new schedules only; reschedules and cancellations count nothing."""
    post = envelope.payload(PostScheduled)
    if post.change is not ScheduleChange.scheduled:
        return []
    # scheduled_at is when it will go out, not when it was scheduled: use the event's time.
    return _keys(envelope, brand_id=post.brand_id, at=None, metrics=(POSTS_SCHEDULED,))


def post_published(envelope: Envelope) -> list[CounterKey]:
    """`posts.published` and its per-network metric, at the publication time."""
    post = envelope.payload(PostPublished)
    return _keys(
        envelope,
        brand_id=post.brand_id,
        at=post.published_at,
        metrics=(POSTS_PUBLISHED, per(POSTS_PUBLISHED, post.network)),
    )


EXTRACTORS: Mapping[str, Extractor] = {
    CommentReceived.event_type: comment_received,
    EngagementRecorded.event_type: engagement_recorded,
    CommentModerated.event_type: comment_moderated,
    PostScheduled.event_type: post_scheduled,
    PostPublished.event_type: post_published,
}
# Counters an event takes back (one each): what a revision replaces.
REVERSALS: Mapping[str, Extractor] = {
    CommentModerated.event_type: comment_moderated_replaced,
}
