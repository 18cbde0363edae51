"""Counting consumed events and reading the counts back."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from analytics.counters import repository
from analytics.counters.exceptions import InvalidTimeRange, TooManyBuckets, UnknownMetric
from analytics.counters.metrics import KNOWN_METRICS, CounterKey
from analytics.counters.schemas import (
    Bucket,
    CounterPoint,
    CounterSeries,
    CounterSummary,
)

MAX_RANGE = timedelta(days=400)
# A week of minutes; hour and day series reach MAX_RANGE first.
MAX_POINTS = 7 * 24 * 60


async def record(
    session: AsyncSession,
    keys: Iterable[CounterKey],
    *,
    undone: Iterable[CounterKey] = (),
    amounts: Mapping[CounterKey, int] | None = None,
) -> int:
    """Add one to the counter of each key, take one from each `undone` key and add each of
    `amounts` (repeats add up); returns the rows touched."""
    deltas = Counter(keys)
    deltas.subtract(undone)
    deltas.update(amounts or {})
    await repository.add(session, {key: delta for key, delta in deltas.items() if delta})
    return len(deltas)


async def series(
    session: AsyncSession,
    *,
    tenant_id: str,
    metric: str,
    start: datetime,
    end: datetime,
    bucket: Bucket,
    brand_id: str | None = None,
) -> CounterSeries:
    """One metric of the tenant per bucket over [start, end)."""
    if metric not in KNOWN_METRICS:
        raise UnknownMetric(
            f"No metric is called {metric!r}.",
            errors=[
                _error("metric", "unknown_metric", f"one of: {', '.join(sorted(KNOWN_METRICS))}")
            ],
        )
    _check_range(start, end)
    if (end - start) / bucket.width > MAX_POINTS:
        raise TooManyBuckets(
            f"At most {MAX_POINTS} {bucket.value} buckets per request; use a coarser bucket.",
            errors=[
                _error("bucket", "too_many_buckets", "use a coarser bucket or a shorter range")
            ],
        )
    rows = await repository.series(
        session,
        tenant_id=tenant_id,
        metric=metric,
        start=start,
        end=end,
        bucket=bucket.value,
        brand_id=brand_id,
    )
    return CounterSeries(
        metric=metric,
        bucket=bucket,
        brand_id=brand_id,
        points=[CounterPoint(bucket_start=at, count=count) for at, count in rows],
    )


async def summary(
    session: AsyncSession,
    *,
    tenant_id: str,
    start: datetime,
    end: datetime,
    brand_id: str | None = None,
) -> CounterSummary:
    """The tenant's total of every metric over [start, end)."""
    _check_range(start, end)
    totals = await repository.totals(
        session, tenant_id=tenant_id, start=start, end=end, brand_id=brand_id
    )
    return CounterSummary(brand_id=brand_id, totals=totals)


def _check_range(start: datetime, end: datetime) -> None:
    if start >= end:
        raise InvalidTimeRange(
            "`from` must be before `to`.",
            errors=[_error("to", "range_empty", "must be after `from`")],
        )
    if end - start > MAX_RANGE:
        raise InvalidTimeRange(
            f"The range may span at most {MAX_RANGE.days} days.",
            errors=[_error("to", "range_too_long", f"at most {MAX_RANGE.days} days after `from`")],
        )


def _error(field: str, error_type: str, message: str) -> dict[str, object]:
    # The same shape as request validation errors, so clients handle both alike.
    return {
        "pointer": f"/query/{field}",
        "location": "query",
        "type": error_type,
        "message": message,
    }
