"""The facts of comment.moderated (no I/O)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from analytics.rollups import metrics
from analytics.rollups.facts import Fact, account_key, author_key, comment_thread
from analytics.rollups.lateness import Placement
from beacon_shared.contracts.moderation import CommentModerated, Sentiment
from beacon_shared.events import Envelope

SENTIMENT_METRICS: Mapping[Sentiment, str] = {
    "positive": metrics.SENTIMENT_POSITIVE,
    "neutral": metrics.SENTIMENT_NEUTRAL,
    "negative": metrics.SENTIMENT_NEGATIVE,
}


def decision_facts(envelope: Envelope, placement: Placement) -> list[Fact]:
    """The decision's outcome facts (a revision: +1 for the new action at its time, -1 for the
    replaced one where it was counted) and, for a first decision, the comment's sentiment."""
    decision = envelope.payload(CommentModerated)
    tenant, brand, network = envelope.tenantid, decision.brand_id or "", decision.network.value
    facts = []
    at = placement.place(tenant, brand, decision.decided_at, envelope.time)
    if at is not None:
        facts.append(
            Fact(tenant, brand, at, metrics.moderation_metric(decision.action), 1, network)
        )
    if decision.replaces_action is not None:
        # Taken back where the replaced decision was counted, however long ago: a comment is
        # never counted under two actions.
        facts.append(
            Fact(
                tenant,
                brand,
                decision.replaces_decided_at or decision.decided_at,
                metrics.moderation_metric(decision.replaces_action),
                -1,
                network,
            )
        )
        if at is not None:
            facts.append(Fact(tenant, brand, at, metrics.MODERATION_REVISIONS, 1, network))
        # A revision changes the action, not what the comment says: sentiment counted once.
        return facts
    sentiment = sentiment_fact(envelope, decision, placement, decided=at)
    if sentiment is not None:
        facts.append(sentiment)
    return facts


def sentiment_fact(
    envelope: Envelope,
    decision: CommentModerated,
    placement: Placement,
    *,
    decided: datetime | None,
) -> Fact | None:
    """A first decision's sentiment, at the comment's time and cut like the comment (account,
    post, author); None when the comment was not scored or is too late to count.

    An event sent before comment.moderated carried the comment (no `comment_created_at`) counts
    at the decision's placed time `decided`, cut by network only; its label, if it has none, is
    cut from its score by the contract's `sentiment_of`.
    """
    label = decision.sentiment_of()
    if label is None:
        return None
    tenant, brand, network = envelope.tenantid, decision.brand_id or "", decision.network.value
    metric = SENTIMENT_METRICS[label]
    created = decision.comment_created_at
    if created is None:
        return None if decided is None else Fact(tenant, brand, decided, metric, 1, network)
    # Where comment.received placed the comment; its clamped or late count is that event's own,
    # so it is not counted again here.
    at = Placement(placement.horizon).place(
        tenant, brand, created, decision.comment_received_at or created
    )
    if at is None:
        return None
    # The decision's receipt is when the sentiment becomes known: a comment older than the
    # lateness horizon by then counts as late instead.
    at = placement.place(tenant, brand, at, max(at, envelope.time))
    if at is None:
        return None
    return Fact(
        tenant,
        brand,
        at,
        metric,
        1,
        network,
        account_key(network, decision.account_external_id),
        comment_thread(decision.kind, decision.thread_external_id) if decision.kind else None,
        author=author_key(network, decision.author_id) if decision.author_id else None,
    )
