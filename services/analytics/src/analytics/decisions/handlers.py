"""Facts of moderation's decisions, a batch at a time."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from analytics.decisions.extract import decision_facts
from analytics.rollups.facts import Fact
from analytics.rollups.lateness import Placement
from analytics.sentiment import service as sentiment
from beacon_shared.events import Envelope


async def comment_moderated(session: AsyncSession, envelopes: Sequence[Envelope]) -> list[Fact]:
    """Outcomes (with reversals) and the sentiment of comments already received."""
    placement = Placement()
    facts: list[Fact] = []
    scores = []
    for envelope in envelopes:
        outcome, score = decision_facts(envelope, placement)
        facts.extend(outcome)
        if score is not None:
            scores.append(score)
    facts.extend(await sentiment.scored(session, scores, placement))
    facts.extend(placement.policy_facts)
    return facts
