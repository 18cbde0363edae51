"""HTTP routes of the counters API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime

from analytics.counters import service
from analytics.counters.schemas import Bucket, CounterSeries, CounterSummary
from beacon_shared.auth import Principal, require_scope
from beacon_shared.db import DbSession

router = APIRouter(prefix="/v1/counters", tags=["counters"])
Reader = Annotated[Principal, Depends(require_scope("analytics:read"))]
From = Annotated[
    AwareDatetime, Query(alias="from", description="Start of the range, inclusive (with offset).")
]
To = Annotated[AwareDatetime, Query(description="End of the range, exclusive (with offset).")]
BrandId = Annotated[
    str | None,
    Query(
        max_length=128,
        description="Only this brand ('' for events without a brand); every brand when absent.",
    ),
]


@router.get(
    "",
    summary="One metric as a time series",
    responses={401: {}, 403: {}, 422: {}},
)
async def get_series(
    principal: Reader,
    session: DbSession,
    metric: Annotated[str, Query(max_length=200, description="e.g. `comments.received`.")],
    from_: From,
    to: To,
    bucket: Bucket = Bucket.hour,
    brand_id: BrandId = None,
) -> CounterSeries:
    """Counts per UTC minute, hour or day over [from, to); a week at most for minute buckets."""
    return await service.series(
        session,
        tenant_id=principal.tenant_id,
        metric=metric,
        start=from_,
        end=to,
        bucket=bucket,
        brand_id=brand_id,
    )


@router.get(
    "/summary",
    summary="The total of every metric",
    responses={401: {}, 403: {}, 422: {}},
)
async def get_summary(
    principal: Reader, session: DbSession, from_: From, to: To, brand_id: BrandId = None
) -> CounterSummary:
    """Totals per metric over [from, to), at most 400 days."""
    return await service.summary(
        session, tenant_id=principal.tenant_id, start=from_, end=to, brand_id=brand_id
    )
