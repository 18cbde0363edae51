"""HTTP routes of brand publishing settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from beacon_shared.auth import Principal, require_scope
from beacon_shared.db import DbSession
from publisher.brands import service
from publisher.brands.schemas import BrandPublishing, BrandSettings

router = APIRouter(prefix="/v1/brands/{brand_id}/publishing-settings", tags=["brands"])
BrandId = Annotated[str, Path(min_length=1, max_length=128)]


@router.get("", summary="A brand's publishing settings", responses={401: {}, 403: {}, 422: {}})
async def get_settings(
    brand_id: BrandId,
    principal: Annotated[Principal, Depends(require_scope("posts:read"))],
    session: DbSession,
) -> BrandPublishing:
    """The defaults (UTC, no approval, no pause) until the brand's settings are saved; with
    `paused_by_alert` true, the brand's due posts wait for its bad-buzz alerts to be resolved."""
    return await service.publishing(session, tenant_id=principal.tenant_id, brand_id=brand_id)


@router.put("", summary="Save a brand's publishing settings", responses={401: {}, 403: {}, 422: {}})
async def put_settings(
    brand_id: BrandId,
    body: BrandSettings,
    principal: Annotated[Principal, Depends(require_scope("posts:write"))],
    session: DbSession,
) -> BrandPublishing:
    """Time zone, approval rule and pause on alert (`brand.configured` is published); posts
    already scheduled keep their UTC time, and turning pause_on_alert on or off applies at once."""
    return await service.put(
        session, tenant_id=principal.tenant_id, brand_id=brand_id, settings=body
    )
