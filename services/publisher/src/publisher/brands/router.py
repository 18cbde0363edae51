"""HTTP routes of brand publishing settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from beacon_shared.auth import Principal
from beacon_shared.auth.brands import Brands
from beacon_shared.auth.verify import require_brand_scope
from beacon_shared.db import DbSession
from publisher.brands import service
from publisher.brands.schemas import BrandPublishing

router = APIRouter(prefix="/v1/brands/{brand_id}/publishing-settings", tags=["brands"])
BrandId = Annotated[str, Path(min_length=1, max_length=128)]


@router.get("", summary="A brand's publishing settings", responses={401: {}, 403: {}, 422: {}})
async def get_settings(
    brand_id: BrandId,
    principal: Annotated[Principal, Depends(require_brand_scope("posts:read"))],
    brands: Brands,
    session: DbSession,
) -> BrandPublishing:
    """The brand's settings as the workspace last announced them (`PATCH /v1/brands/{id}` on
    the workspace service changes them), the defaults (UTC, no approval, no pause) until then;
    with `paused_by_alert` true, the brand's due posts wait for its bad-buzz alerts to be
    resolved."""
    await brands.check(principal, "posts:read", brand_id)
    return await service.publishing(session, tenant_id=principal.tenant_id, brand_id=brand_id)
