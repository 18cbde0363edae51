"""All SQL of post observations."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Text, and_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.posts.models import post_observation as o
from beacon_shared.batch_sql import unnested

PostKey = tuple[str, str, str]  # tenant, network, post external id
_KEYS = unnested(
    "wanted", (("tenant_id", Text()), ("network", Text()), ("post_external_id", Text()))
)
_LATEST = select(
    o.c.tenant_id, o.c.network, o.c.post_external_id, o.c.impressions, o.c.reach, o.c.observed_at
).join(
    _KEYS,
    and_(
        o.c.tenant_id == _KEYS.c.tenant_id,
        o.c.network == _KEYS.c.network,
        o.c.post_external_id == _KEYS.c.post_external_id,
    ),
)


async def latest(
    session: AsyncSession, keys: Iterable[PostKey]
) -> dict[PostKey, tuple[int | None, int | None, datetime]]:
    """The last recorded (impressions, reach, observed at) of each post, locked until commit."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    rows = await session.execute(
        _LATEST.with_for_update(of=o),
        {
            "tenant_id": [k[0] for k in wanted],
            "network": [k[1] for k in wanted],
            "post_external_id": [k[2] for k in wanted],
        },
    )
    return {
        (r.tenant_id, r.network, r.post_external_id): (r.impressions, r.reach, r.observed_at)
        for r in rows
    }


async def save(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Store the latest totals of each post."""
    if not rows:
        return
    statement = insert(o)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[o.c.tenant_id, o.c.network, o.c.post_external_id],
            set_={
                "impressions": statement.excluded.impressions,
                "reach": statement.excluded.reach,
                "observed_at": statement.excluded.observed_at,
            },
        ),
        sorted(rows, key=lambda r: (r["tenant_id"], r["network"], r["post_external_id"])),
    )
