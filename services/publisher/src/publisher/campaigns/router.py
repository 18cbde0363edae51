"""HTTP routes of the campaigns API."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, status

from beacon_shared.auth.brands import Brands
from beacon_shared.db import DbSession
from publisher.campaigns import service
from publisher.campaigns.dependencies import Reader, Writer
from publisher.campaigns.schemas import (
    CampaignIn,
    CampaignOut,
    CampaignPage,
    CampaignPatch,
    CampaignQuery,
)

router = APIRouter(prefix="/v1/campaigns", tags=["campaigns"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create a campaign",
    responses={401: {}, 403: {}, 409: {}, 422: {}},
)
async def create_campaign(
    body: CampaignIn, principal: Writer, brands: Brands, session: DbSession
) -> CampaignOut:
    """utm_campaign defaults to a slug of the name; a utm_campaign already in use is a 409; a
    brand must be registered (422 unknown_brand)."""
    if body.brand_id is not None:
        await brands.check(principal, "posts:write", body.brand_id)
    row = await service.create(session, tenant_id=principal.tenant_id, body=body)
    return CampaignOut.model_validate(row)


@router.get("", summary="List campaigns, newest first", responses={401: {}, 403: {}, 422: {}})
async def list_campaigns(
    query: Annotated[CampaignQuery, Query()], principal: Reader, brands: Brands, session: DbSession
) -> CampaignPage:
    """Filter by brand, kind and a time the campaign runs at; archived ones only on request."""
    if query.brand_id is not None:
        await brands.check(principal, "posts:read", query.brand_id)
    rows, next_cursor = await service.list_page(session, tenant_id=principal.tenant_id, query=query)
    return CampaignPage(
        items=[CampaignOut.model_validate(row) for row in rows], next_cursor=next_cursor
    )


@router.get(
    "/{campaign_id}", summary="Get one campaign", responses={401: {}, 403: {}, 404: {}, 422: {}}
)
async def get_campaign(campaign_id: UUID, principal: Reader, session: DbSession) -> CampaignOut:
    """One campaign of the caller's tenant, archived or not."""
    row = await service.get(session, tenant_id=principal.tenant_id, campaign_id=campaign_id)
    return CampaignOut.model_validate(row)


@router.patch(
    "/{campaign_id}",
    summary="Change a campaign",
    responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}},
)
async def update_campaign(
    campaign_id: UUID, body: CampaignPatch, principal: Writer, brands: Brands, session: DbSession
) -> CampaignOut:
    """Fields left out stay as they are; null clears an optional field."""
    if body.brand_id is not None:
        await brands.check(principal, "posts:write", body.brand_id)
    row = await service.update(
        session, tenant_id=principal.tenant_id, campaign_id=campaign_id, patch=body
    )
    return CampaignOut.model_validate(row)


@router.post(
    "/{campaign_id}/archive",
    summary="Archive a campaign: it takes no new posts",
    responses={401: {}, 403: {}, 404: {}, 422: {}},
)
async def archive_campaign(campaign_id: UUID, principal: Writer, session: DbSession) -> CampaignOut:
    """Posts already in the campaign keep it; archiving again changes nothing."""
    row = await service.archive(session, tenant_id=principal.tenant_id, campaign_id=campaign_id)
    return CampaignOut.model_validate(row)
