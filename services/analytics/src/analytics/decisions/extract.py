"""The facts of comment.moderated (no I/O)."""

from __future__ import annotations

from analytics.rollups import metrics
from analytics.rollups.facts import Fact
from analytics.rollups.lateness import Placement
from analytics.sentiment.service import ScoredComment, label
from beacon_shared.contracts.moderation import CommentModerated
from beacon_shared.events import Envelope

# The key moderation puts VADER's compound score under in `scores`.
SENTIMENT_SCORE = "sentiment"


def decision_facts(
    envelope: Envelope, placement: Placement
) -> tuple[list[Fact], ScoredComment | None]:
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
        return facts, None
    score = decision.scores.get(SENTIMENT_SCORE)
    if score is None:
        return facts, None
    return facts, ScoredComment(tenant, decision.interaction_id, label(score), envelope.time)
