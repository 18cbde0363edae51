"""The product's topics and their partition counts."""

from __future__ import annotations

from beacon_shared.topics import TopicSpec

COMMENT_RECEIVED = TopicSpec(
    "comment.received",
    12,
    "Comments, replies, mentions and direct messages received by ingest; keyed by thread.",
)
ENGAGEMENT_RECORDED = TopicSpec(
    "engagement.recorded",
    12,
    "Reactions, shares and follows received by ingest; keyed by the engaged object.",
)
COMMENT_MODERATED = TopicSpec(
    "comment.moderated",
    12,
    "Moderation decisions, one per comment; keyed by thread.",
)
POST_SCHEDULED = TopicSpec(
    "post.scheduled",
    6,
    "Posts scheduled, rescheduled or cancelled; keyed by post.",
)
POST_PUBLISHED = TopicSpec(
    "post.published",
    6,
    "Posts published to a network, one event per target; keyed by post.",
)

ALL_TOPICS = (
    COMMENT_RECEIVED,
    ENGAGEMENT_RECORDED,
    COMMENT_MODERATED,
    POST_SCHEDULED,
    POST_PUBLISHED,
)
TOPICS = {t.name: t for t in ALL_TOPICS}
