"""Counting each comment's sentiment once, cut like the comment itself, whichever of its
comment.received and comment.moderated is handled first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal, NamedTuple
from uuid import UUID

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.rollups import metrics
from analytics.rollups.facts import Fact
from analytics.rollups.lateness import LATENESS_HORIZON, Placement
from analytics.sentiment import repository

Sentiment = Literal["positive", "neutral", "negative"]
# Moderation's classifier (VADER) and its authors' cut-offs on the compound score in [-1, 1].
THRESHOLD = 0.05
_METRICS: Mapping[str, str] = {
    "positive": metrics.SENTIMENT_POSITIVE,
    "neutral": metrics.SENTIMENT_NEUTRAL,
    "negative": metrics.SENTIMENT_NEGATIVE,
}


def label(compound: float) -> Sentiment:
    """positive at ≥ 0.05, negative at ≤ -0.05, neutral between (moderation's own labels)."""
    if compound >= THRESHOLD:
        return "positive"
    if compound <= -THRESHOLD:
        return "negative"
    return "neutral"


class ReceivedComment(NamedTuple):
    """A comment as comment.received placed it (its time already past the lateness policy)."""

    tenant_id: str
    interaction_id: UUID
    brand_id: str
    network: str
    account: str | None
    thread: str | None
    author: str
    at: datetime


class ScoredComment(NamedTuple):
    """A first moderation decision's sentiment, and when that decision was received."""

    tenant_id: str
    interaction_id: UUID
    sentiment: Sentiment
    received: datetime


async def received(session: AsyncSession, comments: Sequence[ReceivedComment]) -> list[Fact]:
    """Remember the comments; facts for those whose sentiment arrived first."""
    first: dict[tuple[str, UUID], ReceivedComment] = {}
    for c in comments:
        first.setdefault((c.tenant_id, c.interaction_id), c)
    completed = await repository.received(
        session,
        [
            (
                c.tenant_id,
                c.interaction_id,
                c.brand_id,
                c.network,
                c.account,
                c.thread,
                c.author,
                c.at,
            )
            for c in first.values()
        ],
    )
    facts = []
    for row in completed:
        c = first[(row.tenant_id, row.interaction_id)]
        facts.append(
            Fact(
                c.tenant_id,
                c.brand_id,
                c.at,
                _METRICS[row.sentiment],
                1,
                c.network,
                c.account,
                c.thread,
                author=c.author,
            )
        )
    return facts


async def scored(
    session: AsyncSession, scores: Sequence[ScoredComment], placement: Placement
) -> list[Fact]:
    """Remember the sentiments; facts for those whose comment arrived first (a comment older
    than the lateness horizon at the decision's receipt counts as late instead)."""
    first: dict[tuple[str, UUID], ScoredComment] = {}
    for s in scores:
        first.setdefault((s.tenant_id, s.interaction_id), s)
    completed = await repository.scored(
        session, [(s.tenant_id, s.interaction_id, s.sentiment) for s in first.values()]
    )
    facts = []
    for row in completed:
        placed = placement.place(
            row.tenant_id,
            row.brand_id or "",
            row.created_at,
            max(row.created_at, first[(row.tenant_id, row.interaction_id)].received),
        )
        if placed is not None:
            facts.append(_fact(row, placed))
    return facts


def _fact(row: Row[Any], at: datetime) -> Fact:
    return Fact(
        row.tenant_id,
        row.brand_id or "",
        at,
        _METRICS[row.sentiment],
        1,
        row.network,
        row.account_key,
        row.thread_external_id,
        author=row.author_key,
    )


async def purge(session: AsyncSession, *, now: datetime) -> int:
    """Forget comments and scores past the horizon: their other half can no longer count."""
    return await repository.purge(session, now - LATENESS_HORIZON - timedelta(days=1))
