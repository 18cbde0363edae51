"""Writing rollups: the one way any analytics package adds figures.

`record` takes facts from any number of events, pre-aggregates them in memory and writes them
with one set-based upsert (plus one for amounts held for posts not published through Beacon
yet). Handlers call it once per batch; it may flush, never commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from analytics.brands import service as brands
from analytics.rollups import repository
from analytics.rollups.aggregate import aggregate, threads_of
from analytics.rollups.facts import Fact, PostRef, ThreadKey
from analytics.rollups.lateness import LATENESS_HORIZON

# Held amounts are re-attributed for posts recorded this recently (see `sweep`).
SWEEP_WINDOW = timedelta(minutes=15)


async def record(session: AsyncSession, facts: Sequence[Fact]) -> int:
    """Add the facts to the rollups; returns the rollup rows touched."""
    if not facts:
        return 0
    zones = await brands.zones(session, {(f.tenant_id, f.brand_id) for f in facts})
    posts = await _posts(session, threads_of(facts))
    increments = aggregate(facts, zones=zones, posts=posts)
    # Held amounts, then rollups, each one statement in key order: the order the sweep locks
    # them in too, so that no two transactions wait on each other.
    await repository.hold(session, increments.pending)
    await repository.add(session, increments.rollup)
    return len(increments.rollup)


# Threads known to be posts published through Beacon. A recorded post never changes, so found
# ones are remembered for good (bounded); unknown ones are looked up again at every batch.
_KNOWN_POSTS: dict[ThreadKey, PostRef] = {}
_KNOWN_POSTS_MAX = 200_000


async def _posts(session: AsyncSession, threads: set[ThreadKey]) -> dict[ThreadKey, PostRef]:
    found = {t: _KNOWN_POSTS[t] for t in threads if t in _KNOWN_POSTS}
    missing = threads.difference(found)
    if missing:
        looked_up = await repository.find_posts(session, missing)
        if len(_KNOWN_POSTS) + len(looked_up) > _KNOWN_POSTS_MAX:
            _KNOWN_POSTS.clear()
        _KNOWN_POSTS.update(looked_up)
        found.update(looked_up)
    return found


@dataclass(frozen=True)
class Publication:
    """A post published through Beacon on one account (one post.published)."""

    tenant_id: str
    brand_id: str
    network: str
    external_id: str
    post_id: UUID
    campaign_id: str | None
    account_key: str | None
    published_at: datetime


async def record_publications(
    session: AsyncSession, publications: Sequence[Publication]
) -> list[Publication]:
    """Remember posts published through Beacon, each (network, external id) once; returns those
    recorded now. Amounts held for them move at the next `sweep`."""
    first: dict[tuple[str, str, str], Publication] = {}
    for p in publications:
        first.setdefault((p.tenant_id, p.network, p.external_id), p)
    inserted = await repository.insert_published(
        session,
        [
            {
                "tenant_id": p.tenant_id,
                "network": p.network,
                "external_id": p.external_id,
                "post_id": p.post_id,
                "brand_id": p.brand_id,
                "campaign_id": p.campaign_id,
                "account_key": p.account_key,
                "published_at": p.published_at,
            }
            for p in first.values()
        ],
    )
    return [p for key, p in first.items() if key in inserted]


async def sweep(session: AsyncSession, *, now: datetime) -> int:
    """Move the amounts held for posts recorded lately to them, and purge held amounts past the
    lateness horizon; returns how many held rows were purged.

    Moving here rather than in the batch recording the post keeps each batch to one statement
    on held amounts: a batch taking them while another adds to them could deadlock."""
    held = await repository.take_held(session, recorded_since=now - SWEEP_WINDOW)
    # Already in the brand's totals (and networks, accounts, authors): now their post's too.
    await record(
        session,
        [
            Fact(
                h.tenant_id,
                h.brand_id,
                h.hour,
                h.metric,
                h.value,
                post=h.post_id,
                campaign=h.campaign_id,
                attributed_only=True,
            )
            for h in held
        ],
    )
    # A day bucket starts up to a day before its events: keep one more day.
    return await repository.purge_held(session, now - LATENESS_HORIZON - timedelta(days=1))
