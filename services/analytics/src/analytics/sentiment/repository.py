"""All SQL of sentiment attribution."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from analytics.sentiment.models import comment_attribution as a
from analytics.sql import TEXT, TIME, UUIDS, arrays, insert_from_arrays

RECEIVED_COLUMNS = (
    ("tenant_id", TEXT),
    ("interaction_id", UUIDS),
    ("brand_id", TEXT),
    ("network", TEXT),
    ("account_key", TEXT),
    ("thread_external_id", TEXT),
    ("author_key", TEXT),
    ("created_at", TIME),
)
SCORED_COLUMNS = (("tenant_id", TEXT), ("interaction_id", UUIDS), ("sentiment", TEXT))

_received = insert_from_arrays(a, RECEIVED_COLUMNS)
# A comment's second comment.received (another event id for the same interaction) changes
# nothing: only a row still waiting for its comment takes it. Returned: rows already scored.
_RECEIVED = _received.on_conflict_do_update(
    index_elements=[a.c.tenant_id, a.c.interaction_id],
    set_={
        **{name: _received.excluded[name] for name, _ in RECEIVED_COLUMNS[2:]},
        "updated_at": func.now(),
    },
    where=a.c.created_at.is_(None),
).returning(a.c.tenant_id, a.c.interaction_id, a.c.sentiment)

_scored = insert_from_arrays(a, SCORED_COLUMNS)
# Only the first score of a comment counts; returned: rows whose comment was already received.
_SCORED = _scored.on_conflict_do_update(
    index_elements=[a.c.tenant_id, a.c.interaction_id],
    set_={"sentiment": _scored.excluded.sentiment, "updated_at": func.now()},
    where=a.c.sentiment.is_(None),
).returning(
    a.c.tenant_id,
    a.c.interaction_id,
    a.c.brand_id,
    a.c.network,
    a.c.account_key,
    a.c.thread_external_id,
    a.c.author_key,
    a.c.created_at,
    a.c.sentiment,
)


async def received(session: AsyncSession, rows: Sequence[tuple[Any, ...]]) -> list[Row[Any]]:
    """Record comments (RECEIVED_COLUMNS order); the rows newly completed by a score before."""
    if not rows:
        return []
    result = await session.execute(
        _RECEIVED, arrays(sorted(rows, key=_lock_order), RECEIVED_COLUMNS)
    )
    return [row for row in result if row.sentiment is not None]


async def scored(session: AsyncSession, rows: Sequence[tuple[Any, ...]]) -> list[Row[Any]]:
    """Record sentiments (SCORED_COLUMNS order); the rows whose comment was received before."""
    if not rows:
        return []
    result = await session.execute(_SCORED, arrays(sorted(rows, key=_lock_order), SCORED_COLUMNS))
    return [row for row in result if row.created_at is not None]


def _lock_order(row: Sequence[Any]) -> tuple[str, int]:
    # One row order for every batch (so concurrent ones lock alike); UUIDs compared as integers,
    # far cheaper than UUID objects.
    return row[0], row[1].int


async def purge(session: AsyncSession, before: datetime) -> int:
    """Forget rows untouched since `before`."""
    result = await session.execute(a.delete().where(a.c.updated_at < before))
    return int(getattr(result, "rowcount", 0) or 0)
