"""HTTP route of the service-level report."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from analytics.rollups.router import ERRORS, BrandId, From, Network, Reader, To, _within
from analytics.sla import report
from analytics.sla.schemas import SlaReport
from beacon_shared.auth.brands import Brands
from beacon_shared.db import DbSession

router = APIRouter(prefix="/v1/analytics", tags=["analytics"])


@router.get(
    "/sla",
    summary="Response and resolution times and SLA hit rates",
    responses=ERRORS,
    response_model_by_alias=True,
)
async def get_sla(
    principal: Reader,
    brands: Brands,
    session: DbSession,
    from_: From,
    to: To,
    by: Annotated[report.By, Query(description="Group by brand, network or member.")] = (
        report.By.brand
    ),
    brand_id: BrandId = None,
    network: Network = None,
) -> SlaReport:
    """Per group and target (first response, next response, resolution): how many were timed
    over [from, to), the share within target (hit rate), the median and 90th percentile in the
    brand's business hours, and the breaches that fell due. A member is who answered or
    resolved, or the conversation's assignee when a key or the network did."""
    items = await report.figures(
        session,
        tenant_id=principal.tenant_id,
        start=from_,
        end=to,
        by=by,
        brand_ids=await _within(brands, principal, brand_id),
        network=network,
    )
    return SlaReport(start=from_, end=to, by=by.value, items=items)
