"""HTTP route of a brand's moderation mode."""

from __future__ import annotations

from fastapi import APIRouter

from beacon_shared.db import DbSession
from moderation.alerts import service
from moderation.alerts.schemas import ModerationMode
from moderation.dependencies import ReadableBrand, Reader

router = APIRouter(prefix="/v1/brands/{brand_id}/moderation-mode", tags=["rules"])


@router.get(
    "",
    summary="Whether the brand is moderated with heightened care",
    responses={401: {}, 403: {}, 422: {}},
)
async def get_mode(
    brand_id: ReadableBrand, principal: Reader, session: DbSession
) -> ModerationMode:
    """Heightened while a bad-buzz alert of the brand is open: comments its rules would allow
    are flagged for review when negative or somewhat toxic."""
    return await service.mode(session, tenant_id=principal.tenant_id, brand_id=brand_id)
