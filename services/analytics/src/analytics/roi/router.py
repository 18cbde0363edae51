"""HTTP routes of the conversions and ROI API."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from analytics.roi import conversions, reports
from analytics.roi.conversions import Submission
from analytics.roi.dependencies import READ, IdempotencyKey, Reader, Writer
from analytics.roi.schemas import (
    CampaignBreakdown,
    CampaignPage,
    CampaignQuery,
    ConversionBatchIn,
    ConversionBatchOut,
    ConversionIn,
    ConversionOut,
    NetworkQuery,
    NetworkReport,
    PeriodQuery,
)
from beacon_shared.auth.brand_reads import brands_to_read
from beacon_shared.auth.brands import Brands
from beacon_shared.db import DbSession

router = APIRouter(tags=["roi"])
REPLAYED = "Idempotent-Replayed"


@router.post(
    "/v1/conversions",
    status_code=status.HTTP_201_CREATED,
    summary="Record a click or a conversion",
    responses={
        200: {"model": ConversionOut, "description": "A replay: the conversion stored before."},
        401: {},
        403: {},
        413: {},
        422: {},
    },
)
async def record_conversion(
    body: ConversionIn,
    principal: Writer,
    session: DbSession,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> ConversionOut:
    """Attributed by its UTM values; one for a campaign not known yet is stored with
    `attributed: false` and `reason: unknown_campaign`, and attributed when the campaign
    arrives. A conversion_id or Idempotency-Key seen before replays the stored conversion."""
    [stored] = await conversions.record(
        session,
        tenant_id=principal.tenant_id,
        submissions=[Submission(body, idempotency_key=idempotency_key)],
    )
    if stored.replayed:
        response.status_code = status.HTTP_200_OK
        response.headers[REPLAYED] = "true"
    return stored.out()


@router.post(
    "/v1/conversions:batch",
    summary="Record up to 1,000 clicks and conversions at once",
    responses={401: {}, 403: {}, 413: {}, 422: {}},
)
async def record_conversions(
    body: ConversionBatchIn,
    principal: Writer,
    session: DbSession,
    idempotency_key: IdempotencyKey = None,
) -> ConversionBatchOut:
    """All stored or none (422 with a pointer per invalid item); each item says whether it was
    stored before. An Idempotency-Key covers the whole batch, item by item."""
    stored = await conversions.record(
        session,
        tenant_id=principal.tenant_id,
        submissions=[
            Submission(
                item,
                # Item i of a retried batch replays item i of the first.
                idempotency_key=f"batch:{idempotency_key}:{i}" if idempotency_key else None,
                pointer=f"/conversions/{i}",
            )
            for i, item in enumerate(body.conversions)
        ],
    )
    items = [s.result() for s in stored]
    return ConversionBatchOut(
        created=sum(1 for item in items if not item.replayed),
        replayed=sum(1 for item in items if item.replayed),
        unattributed=sum(1 for item in items if not item.attributed),
        items=items,
    )


@router.get(
    "/v1/roi/campaigns",
    summary="Cost, conversions and ROI per campaign",
    responses={401: {}, 403: {}, 422: {}},
)
async def list_campaign_returns(
    query: Annotated[CampaignQuery, Query()], principal: Reader, brands: Brands, session: DbSession
) -> CampaignPage:
    """Campaigns that ran or converted in the period (every one without a period), newest
    first; the period (UTC days, both included) narrows the conversions, not the cost."""
    return await reports.campaign_page(
        session,
        tenant_id=principal.tenant_id,
        query=query,
        brands=await brands_to_read(brands, principal, READ, query.brand_id),
    )


@router.get(
    "/v1/roi/campaigns/{campaign_id}",
    summary="One campaign's ROI, per network and per post",
    responses={401: {}, 403: {}, 404: {}, 422: {}},
)
async def get_campaign_returns(
    campaign_id: UUID,
    query: Annotated[PeriodQuery, Query()],
    principal: Reader,
    session: DbSession,
) -> CampaignBreakdown:
    """Networks and posts get a share of the cost in proportion to their publications."""
    return await reports.campaign_breakdown(
        session,
        tenant_id=principal.tenant_id,
        campaign_id=campaign_id,
        query=query,
        brands=principal.brands_for(READ),
    )


@router.get(
    "/v1/roi/networks",
    summary="Cost, conversions and ROI per network",
    responses={401: {}, 403: {}, 422: {}},
)
async def list_network_returns(
    query: Annotated[NetworkQuery, Query()], principal: Reader, brands: Brands, session: DbSession
) -> NetworkReport:
    """Over every campaign that ran or converted in the period; per currency, never converted."""
    return await reports.network_report(
        session,
        tenant_id=principal.tenant_id,
        query=query,
        brands=await brands_to_read(brands, principal, READ, query.brand_id),
    )
