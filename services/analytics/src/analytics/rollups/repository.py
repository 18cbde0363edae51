"""All SQL of rollups: set-based upserts compiled once, and reads over index ranges."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    DateTime,
    Table,
    Text,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    select,
    text,
    union_all,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from analytics.rollups.aggregate import PendingKey, RollupKey
from analytics.rollups.buckets import Span
from analytics.rollups.facts import PostRef, ThreadKey
from analytics.rollups.models import pending_post_rollup, published_post, rollup
from beacon_shared.batch_sql import Columns, arrays, unnested

TEXT = Text()
TIME = DateTime(timezone=True)
BIGINT = BigInteger()


def _upsert_adding(table: Table, columns: Columns) -> Any:
    """INSERT … SELECT FROM unnest … ON CONFLICT (primary key) DO UPDATE SET value = table.value
    + excluded.value.

    The rows are inserted in primary-key order, sorted by the server: concurrent batches (other
    partitions, other replicas) then lock the rows they share in one order and cannot deadlock.
    """
    source = unnested("batch", columns)
    names = [column for column, _ in columns]
    key = [column.name for column in table.primary_key.columns]
    statement = insert(table).from_select(
        names, select(*(source.c[n] for n in names)).order_by(*(source.c[n] for n in key))
    )
    return statement.on_conflict_do_update(
        index_elements=list(table.primary_key.columns),
        set_={"value": table.c.value + statement.excluded.value},
    )


_ROLLUP_COLUMNS = (
    ("tenant_id", TEXT),
    ("brand_id", TEXT),
    ("grain", TEXT),
    ("dimension", TEXT),
    ("dimension_key", TEXT),
    ("bucket_start", TIME),
    ("metric", TEXT),
    ("value", BIGINT),
)
_PENDING_COLUMNS = (
    ("tenant_id", TEXT),
    ("network", TEXT),
    ("thread_external_id", TEXT),
    ("brand_id", TEXT),
    ("bucket_start", TIME),
    ("metric", TEXT),
    ("value", BIGINT),
)
_ADD_ROLLUP = _upsert_adding(rollup, _ROLLUP_COLUMNS)
_ADD_PENDING = _upsert_adding(pending_post_rollup, _PENDING_COLUMNS)


def _rows(increments: Mapping[Any, int]) -> list[tuple[Any, ...]]:
    # In any order: the upsert sorts them (see _upsert_adding).
    return [(*key, amount) for key, amount in increments.items()]


async def add(session: AsyncSession, increments: Mapping[RollupKey, int]) -> None:
    """Add each increment to its rollup row, in one statement."""
    if increments:
        await session.execute(_ADD_ROLLUP, arrays(_rows(increments), _ROLLUP_COLUMNS))


async def hold(session: AsyncSession, increments: Mapping[PendingKey, int]) -> None:
    """Add each increment to the amounts held for a thread not known as a post yet."""
    if increments:
        await session.execute(_ADD_PENDING, arrays(_rows(increments), _PENDING_COLUMNS))


_THREADS = unnested("thread", (("tenant_id", TEXT), ("network", TEXT), ("external_id", TEXT)))
_FIND_POSTS = select(
    published_post.c.tenant_id,
    published_post.c.network,
    published_post.c.external_id,
    published_post.c.post_id,
    published_post.c.campaign_id,
    published_post.c.brand_id,
).join(
    _THREADS,
    and_(
        published_post.c.tenant_id == _THREADS.c.tenant_id,
        published_post.c.network == _THREADS.c.network,
        published_post.c.external_id == _THREADS.c.external_id,
    ),
)


async def find_posts(
    session: AsyncSession, threads: Iterable[ThreadKey]
) -> dict[ThreadKey, PostRef]:
    """The published posts among `threads`."""
    keys = list(threads)
    if not keys:
        return {}
    rows = await session.execute(
        _FIND_POSTS,
        {
            "tenant_id": [k[0] for k in keys],
            "network": [k[1] for k in keys],
            "external_id": [k[2] for k in keys],
        },
    )
    return {
        (r.tenant_id, r.network, r.external_id): PostRef(str(r.post_id), r.campaign_id, r.brand_id)
        for r in rows
    }


async def insert_published(
    session: AsyncSession, rows: Sequence[dict[str, Any]]
) -> set[tuple[str, str, str]]:
    """Record posts not recorded yet; the (tenant, network, external id) of those inserted."""
    if not rows:
        return set()
    result = await session.execute(
        insert(published_post)
        .on_conflict_do_nothing()
        .returning(
            published_post.c.tenant_id, published_post.c.network, published_post.c.external_id
        ),
        sorted(rows, key=lambda r: (r["tenant_id"], r["network"], r["external_id"])),
    )
    return {(r.tenant_id, r.network, r.external_id) for r in result}


# The amounts held for the threads of posts recorded since `:since`, deleted and returned in
# one statement: the DELETE … RETURNING hands each held row over once, even to two workers
# racing for it. The rows are locked in primary-key order first, the order `hold` adds to them in.
_TAKE_HELD = text(
    """
WITH taken AS (
    SELECT held.ctid AS row_id, post.post_id::text AS post_id, post.campaign_id
    FROM analytics.pending_post_rollup AS held
    JOIN analytics.published_post AS post
      ON held.tenant_id = post.tenant_id
     AND held.network = post.network
     AND held.thread_external_id = post.external_id
    WHERE post.recorded_at >= :since
    ORDER BY held.tenant_id, held.network, held.thread_external_id, held.brand_id,
             held.bucket_start, held.metric
    FOR UPDATE OF held
)
DELETE FROM analytics.pending_post_rollup AS held
USING taken
WHERE held.ctid = taken.row_id
RETURNING held.tenant_id, held.brand_id, held.bucket_start, held.metric, held.value,
          taken.post_id, taken.campaign_id
"""
).bindparams(bindparam("since", type_=TIME))


class HeldAmount(NamedTuple):
    """An hour's amount held for a thread, now known as a post (and maybe a campaign)."""

    tenant_id: str
    brand_id: str
    hour: datetime
    metric: str
    value: int
    post_id: str
    campaign_id: str | None


async def take_held(session: AsyncSession, *, recorded_since: datetime) -> list[HeldAmount]:
    """Delete and return the amounts held for the threads of posts recorded since then."""
    rows = await session.execute(_TAKE_HELD, {"since": recorded_since})
    return [HeldAmount(*row) for row in rows]


async def purge_held(session: AsyncSession, before: datetime) -> int:
    """Forget held amounts of buckets before `before`: those threads were never our posts."""
    result = await session.execute(
        pending_post_rollup.delete().where(pending_post_rollup.c.bucket_start < before)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- reads -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The rows a read covers: brands (each with its spans) and one dimension key or all."""

    tenant_id: str
    spans_by_brands: Sequence[tuple[Sequence[str], Sequence[Span]]]
    dimension: str
    dimension_key: str | None  # None: every key of the dimension


def _rows_in(scope: Scope, metrics: Sequence[str] | None = None) -> Any:
    """The scope's rollup rows as a UNION ALL of index ranges, one per brand group and span.

    Separate ranges rather than one WHERE with ORs: each branch is a plain primary-key range
    scan, where an OR of ranges lets the planner fall back to scanning the table.
    """
    branches = []
    for brand_ids, spans in scope.spans_by_brands:
        if not brand_ids:
            continue
        brand_filter = (
            rollup.c.brand_id == brand_ids[0]
            if len(brand_ids) == 1
            else rollup.c.brand_id.in_(list(brand_ids))
        )
        for span in spans:
            conditions: list[ColumnElement[bool]] = [
                rollup.c.tenant_id == scope.tenant_id,
                brand_filter,
                rollup.c.grain == span.grain.value,
                rollup.c.dimension == scope.dimension,
                rollup.c.bucket_start >= span.start,
                rollup.c.bucket_start < span.end,
            ]
            if scope.dimension_key is not None:
                conditions.append(rollup.c.dimension_key == scope.dimension_key)
            if metrics is not None:
                conditions.append(rollup.c.metric.in_(list(metrics)))
            branches.append(
                select(
                    rollup.c.brand_id,
                    rollup.c.bucket_start,
                    rollup.c.dimension_key,
                    rollup.c.metric,
                    rollup.c.value,
                ).where(*conditions)
            )
    if not branches:
        # Nothing to read: an empty relation of the same shape.
        branches.append(
            select(
                rollup.c.brand_id,
                rollup.c.bucket_start,
                rollup.c.dimension_key,
                rollup.c.metric,
                rollup.c.value,
            ).where(literal_column("false"))
        )
    return (
        union_all(*branches).subquery("scoped")
        if len(branches) > 1
        else branches[0].subquery("scoped")
    )


async def sums_by_metric(
    session: AsyncSession, scope: Scope, *, split_at: datetime | None = None
) -> dict[str, tuple[int, int]]:
    """Per metric, the sum over the scope's spans: (from split_at on, before split_at); with no
    split_at everything is in the first."""
    rows_in = _rows_in(scope)
    value = rows_in.c.value
    current: ColumnElement[Any] = func.sum(value)
    previous: ColumnElement[Any] = literal_column("0")
    if split_at is not None:
        current = func.sum(value).filter(rows_in.c.bucket_start >= split_at)
        previous = func.sum(value).filter(rows_in.c.bucket_start < split_at)
    rows = await session.execute(
        select(rows_in.c.metric, cast(current, BigInteger), cast(previous, BigInteger)).group_by(
            rows_in.c.metric
        )
    )
    return {metric: (int(now or 0), int(before or 0)) for metric, now, before in rows}


async def _sums_by(
    session: AsyncSession, scope: Scope, metrics: Sequence[str], by: str
) -> dict[tuple[Any, str], int]:
    """(value of column `by`, metric) → sum of the scope's rows, for the given stored metrics."""
    rows_in = _rows_in(scope, metrics)
    rows = await session.execute(
        select(
            rows_in.c[by], rows_in.c.metric, cast(func.sum(rows_in.c.value), BigInteger)
        ).group_by(rows_in.c[by], rows_in.c.metric)
    )
    return {(key, metric): int(total) for key, metric, total in rows}


async def sums_by_bucket(
    session: AsyncSession, scope: Scope, metrics: Sequence[str]
) -> dict[tuple[datetime, str], int]:
    """(bucket start, metric) → sum over the scope's brands, for the given stored metrics."""
    return await _sums_by(session, scope, metrics, "bucket_start")


async def sums_by_key(
    session: AsyncSession, scope: Scope, metrics: Sequence[str]
) -> dict[tuple[str, str], int]:
    """(dimension key, metric) → sum over the scope's spans, for the given stored metrics."""
    await _roomy(session)
    return await _sums_by(session, scope, metrics, "dimension_key")


async def sums_by_brand(
    session: AsyncSession, scope: Scope, metrics: Sequence[str]
) -> dict[tuple[str, str], int]:
    """(brand, metric) → sum over the scope's spans, for the given stored metrics."""
    return await _sums_by(session, scope, metrics, "brand_id")


async def ranking(
    session: AsyncSession, scope: Scope, weights: Mapping[str, int], limit: int
) -> list[tuple[str, int]]:
    """The `limit` dimension keys with the highest weighted sum of stored metrics."""
    rows_in = _rows_in(scope, list(weights))
    weighted = case(
        *(
            (rows_in.c.metric == metric, rows_in.c.value * weight)
            for metric, weight in weights.items()
        ),
        else_=0,
    )
    score = cast(func.sum(weighted), BigInteger)
    await _roomy(session)
    rows = await session.execute(
        select(rows_in.c.dimension_key, score)
        .group_by(rows_in.c.dimension_key)
        .order_by(score.desc(), rows_in.c.dimension_key)
        .limit(limit)
    )
    return [(key, int(total)) for key, total in rows]


async def _roomy(session: AsyncSession) -> None:
    """Enough memory for this transaction to group tens of thousands of keys without spilling
    to disk (rankings of authors over a month)."""
    await session.execute(text("SET LOCAL work_mem = '64MB'"))


async def published_posts(
    session: AsyncSession, tenant_id: str, post_ids: Sequence[str]
) -> dict[str, list[tuple[str, str, str | None, str | None]]]:
    """Per post id: its publications (network, external id, campaign, account)."""
    if not post_ids:
        return {}
    rows = await session.execute(
        select(
            published_post.c.post_id,
            published_post.c.network,
            published_post.c.external_id,
            published_post.c.campaign_id,
            published_post.c.account_key,
        )
        .where(
            published_post.c.tenant_id == tenant_id,
            published_post.c.post_id.in_([UUID(p) for p in post_ids if _is_uuid(p)]),
        )
        .order_by(published_post.c.network, published_post.c.external_id)
    )
    found: dict[str, list[tuple[str, str, str | None, str | None]]] = {}
    for row in rows:
        found.setdefault(str(row.post_id), []).append(
            (row.network, row.external_id, row.campaign_id, row.account_key)
        )
    return found


def _is_uuid(value: str) -> bool:
    try:
        UUID(value)
    except ValueError:
        return False
    return True
