"""Facts of moderation's decisions, a batch at a time."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from analytics.decisions.extract import decision_facts
from analytics.rollups.facts import Fact
from analytics.rollups.lateness import Placement
from beacon_shared.events import Envelope


async def comment_moderated(session: AsyncSession, envelopes: Sequence[Envelope]) -> list[Fact]:
    """Outcomes (with reversals) and the sentiment of first decisions."""
    placement = Placement()
    facts = [fact for envelope in envelopes for fact in decision_facts(envelope, placement)]
    facts.extend(placement.policy_facts)
    return facts
