"""Facts of ingest's interaction events, a batch at a time."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from analytics.interactions.extract import comment_fact, engagement_fact
from analytics.rollups.facts import Fact
from analytics.rollups.lateness import Placement
from beacon_shared.events import Envelope


async def comment_received(session: AsyncSession, envelopes: Sequence[Envelope]) -> list[Fact]:
    """The comments by kind (their sentiment comes with comment.moderated)."""
    placement = Placement()
    facts = [f for f in (comment_fact(e, placement) for e in envelopes) if f is not None]
    facts.extend(placement.policy_facts)
    return facts


async def engagement_recorded(session: AsyncSession, envelopes: Sequence[Envelope]) -> list[Fact]:
    """The reactions, shares and follows."""
    placement = Placement()
    facts = [f for f in (engagement_fact(e, placement) for e in envelopes) if f is not None]
    facts.extend(placement.policy_facts)
    return facts
