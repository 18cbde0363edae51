"""All SQL of counters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Text, bindparam, cast, func, select
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeEngine

from analytics.counters.metrics import CounterKey
from analytics.counters.models import counter

_COLUMNS = ("tenant_id", "brand_id", "metric", "bucket_start", "count")
_ELEMENT_TYPES: tuple[TypeEngine[Any], ...] = (
    Text(),
    Text(),
    Text(),
    DateTime(timezone=True),
    BigInteger(),
)


async def add(session: AsyncSession, deltas: Mapping[CounterKey, int]) -> None:
    """Add each delta to its counter in one set-based upsert."""
    if not deltas:
        return
    # Sorted rows make concurrent batches (other partitions, other replicas) lock in one order.
    rows = sorted(deltas.items())
    columns: list[list[object]] = [[] for _ in _COLUMNS]
    for key, delta in rows:
        for column, value in zip(columns, (*key, delta), strict=True):
            column.append(value)
    source = (
        func.unnest(
            *(
                # Typed arrays, so the driver sends unnest() parameters it can infer the types of.
                bindparam(name, values, type_=ARRAY(element_type))
                for name, values, element_type in zip(
                    _COLUMNS, columns, _ELEMENT_TYPES, strict=True
                )
            )
        )
        .table_valued(*_COLUMNS)
        .render_derived(name="delta")
    )
    statement = insert(counter).from_select(
        list(_COLUMNS), select(*(source.c[name] for name in _COLUMNS))
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=list(counter.primary_key.columns),
            set_={"count": counter.c.count + statement.excluded["count"]},
        )
    )


def _scope(
    tenant_id: str, start: datetime, end: datetime, brand_id: str | None
) -> list[ColumnElement[bool]]:
    conditions = [
        counter.c.tenant_id == tenant_id,
        counter.c.bucket_start >= start,
        counter.c.bucket_start < end,
    ]
    if brand_id is not None:
        conditions.append(counter.c.brand_id == brand_id)
    return conditions


async def series(
    session: AsyncSession,
    *,
    tenant_id: str,
    metric: str,
    start: datetime,
    end: datetime,
    bucket: str,
    brand_id: str | None,
) -> Sequence[tuple[datetime, int]]:
    """(bucket start, total) of one metric per non-empty `bucket` (a date_trunc unit), in order."""
    # The UTC argument makes hour and day buckets independent of the session's time zone.
    bucket_start = func.date_trunc(bucket, counter.c.bucket_start, "UTC")
    rows = await session.execute(
        select(bucket_start, cast(func.sum(counter.c.count), BigInteger))
        .where(counter.c.metric == metric, *_scope(tenant_id, start, end, brand_id))
        .group_by(bucket_start)
        .order_by(bucket_start)
    )
    return [(row[0], row[1]) for row in rows]


async def totals(
    session: AsyncSession, *, tenant_id: str, start: datetime, end: datetime, brand_id: str | None
) -> dict[str, int]:
    """The total of every metric counted in [start, end)."""
    rows = await session.execute(
        select(counter.c.metric, cast(func.sum(counter.c.count), BigInteger))
        .where(*_scope(tenant_id, start, end, brand_id))
        .group_by(counter.c.metric)
        .order_by(counter.c.metric)
    )
    return {row[0]: row[1] for row in rows}
