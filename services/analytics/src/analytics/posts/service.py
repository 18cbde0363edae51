"""Observed totals of own posts become increments: the sum of a post's increments is always its
latest observed total, however often or out of order it is observed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy.ext.asyncio import AsyncSession

from analytics.posts import repository
from analytics.rollups import metrics
from analytics.rollups.buckets import as_utc
from analytics.rollups.facts import Fact
from analytics.rollups.lateness import Placement


class Observation(NamedTuple):
    """One post.metrics.observed of the brand's own post."""

    tenant_id: str
    brand_id: str
    network: str
    account: str | None
    post_external_id: str
    impressions: int | None
    reach: int | None
    observed_at: datetime
    received: datetime


async def observed(
    session: AsyncSession, observations: Sequence[Observation], placement: Placement
) -> list[Fact]:
    """Increments since each post's previous observation, counted at the observation's time.

    An observation no newer than the post's latest is ignored (its totals are already
    included); a figure missing from an observation keeps its previous total; a total going
    down (a network's correction) gives a negative increment.
    """
    state = await repository.latest(
        session, ((o.tenant_id, o.network, o.post_external_id) for o in observations)
    )
    changed: dict[repository.PostKey, tuple[int | None, int | None, datetime]] = {}
    facts = []
    for obs in sorted(observations, key=lambda o: as_utc(o.observed_at)):
        key = (obs.tenant_id, obs.network, obs.post_external_id)
        observed_at = as_utc(obs.observed_at)
        impressions, reach, last_at = state.get(key, (None, None, None))
        if last_at is not None and observed_at <= last_at:
            continue
        at = placement.place(obs.tenant_id, obs.brand_id, observed_at, obs.received)
        for metric, total, before in (
            (metrics.IMPRESSIONS, obs.impressions, impressions),
            (metrics.REACH, obs.reach, reach),
        ):
            if total is not None and at is not None and total != (before or 0):
                facts.append(
                    Fact(
                        obs.tenant_id,
                        obs.brand_id,
                        at,
                        metric,
                        total - (before or 0),
                        obs.network,
                        obs.account,
                        obs.post_external_id,
                    )
                )
        state[key] = changed[key] = (
            obs.impressions if obs.impressions is not None else impressions,
            obs.reach if obs.reach is not None else reach,
            observed_at,
        )
    await repository.save(
        session,
        [
            {
                "tenant_id": key[0],
                "network": key[1],
                "post_external_id": key[2],
                "impressions": impressions,
                "reach": reach,
                "observed_at": observed_at,
            }
            for key, (impressions, reach, observed_at) in changed.items()
        ],
    )
    return facts
