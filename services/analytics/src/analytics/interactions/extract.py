"""The facts of comment.received and engagement.recorded (no I/O)."""

from __future__ import annotations

from analytics.rollups.facts import Fact, account_key, author_key, comment_thread
from analytics.rollups.lateness import Placement
from analytics.rollups.metrics import KIND_METRICS
from beacon_shared.contracts.ingest import CommentReceived, EngagementRecorded, InteractionKind
from beacon_shared.events import Envelope

# Engagements aimed at a post (or a comment); a follow is aimed at the account.
_ON_CONTENT = frozenset({InteractionKind.reaction, InteractionKind.share})
# Authors are people who write about the brand: a share counts, a reaction or a follow does not
# (they are most of the volume and would make the author rollup one row per event).
_AUTHORED = frozenset({InteractionKind.share})


def comment_fact(envelope: Envelope, placement: Placement) -> Fact | None:
    """The comment's fact; None when too late."""
    comment = envelope.payload(CommentReceived)
    tenant, brand, network = envelope.tenantid, comment.brand_id or "", comment.network.value
    at = placement.place(tenant, brand, comment.created_at, envelope.time)
    if at is None:
        return None
    return Fact(
        tenant,
        brand,
        at,
        KIND_METRICS[comment.kind],
        1,
        network,
        account_key(network, comment.account_external_id),
        comment_thread(comment.kind, comment.thread_external_id),
        author=author_key(network, comment.author.network_id),
    )


def engagement_fact(envelope: Envelope, placement: Placement) -> Fact | None:
    """The engagement's fact; None when too late."""
    engagement = envelope.payload(EngagementRecorded)
    tenant, brand, network = envelope.tenantid, engagement.brand_id or "", engagement.network.value
    at = placement.place(tenant, brand, engagement.created_at, envelope.time)
    if at is None:
        return None
    return Fact(
        tenant,
        brand,
        at,
        KIND_METRICS[engagement.kind],
        1,
        network,
        account_key(network, engagement.account_external_id),
        engagement.target_external_id if engagement.kind in _ON_CONTENT else None,
        author=(
            author_key(network, engagement.author.network_id)
            if engagement.kind in _AUTHORED
            else None
        ),
    )
