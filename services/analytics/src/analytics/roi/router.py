"""HTTP routes of the conversions and ROI API."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from analytics.roi import conversions, reports
from analytics.roi.conversions import Submission
from analytics.roi.dependencies import READ, Reader, Writer
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
from beacon_shared import idempotency
from beacon_shared.auth.brand_reads import brands_to_read
from beacon_shared.auth.brands import Brands
from beacon_shared.db import DbSession
from beacon_shared.idempotency import IdempotencyKey

router = APIRouter(tags=["roi"])


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
    [stored], _ = await conversions.record_once(
        session,
        tenant_id=principal.tenant_id,
        key=idempotency_key,
        request=conversions.fingerprint(body),
        submissions=[Submission(body)],
    )
    if stored.replayed:
        response.status_code = status.HTTP_200_OK
    idempotency.mark(response, key=idempotency_key, replayed=stored.replayed)
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
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> ConversionBatchOut:
    """All stored or none (422 with a pointer per invalid item); each item says whether it was
    stored before. A batch retried with its Idempotency-Key replays every item."""
    stored, replayed = await conversions.record_once(
        session,
        tenant_id=principal.tenant_id,
        key=idempotency_key,
        request=conversions.batch_fingerprint(body.conversions),
        submissions=[
            Submission(item, pointer=f"/conversions/{i}") for i, item in enumerate(body.conversions)
        ],
    )
    idempotency.mark(response, key=idempotency_key, replayed=replayed)
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
