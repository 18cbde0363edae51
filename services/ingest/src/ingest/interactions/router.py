"""HTTP routes of the generic interactions API."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, status

from beacon_shared.auth import Principal, require_scope
from beacon_shared.db import DbSession
from ingest.interactions import service
from ingest.interactions.schemas import InteractionAccepted, InteractionIn, InteractionOut

router = APIRouter(prefix="/v1/interactions", tags=["interactions"])
Writer = Annotated[Principal, Depends(require_scope("interactions:write"))]
Reader = Annotated[Principal, Depends(require_scope("interactions:read"))]


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Submit one interaction from a custom source",
    responses={400: {}, 401: {}, 403: {}, 413: {}, 422: {}},
)
async def submit(body: InteractionIn, principal: Writer, session: DbSession) -> InteractionAccepted:
    """Stored once per (network, external id); a resubmission is accepted as a duplicate."""
    (accepted,) = await service.accept(session, tenant_id=principal.tenant_id, items=[body])
    return accepted


@router.get("/{interaction_id}", summary="Get one interaction", responses={401: {}, 404: {}})
async def get_one(interaction_id: UUID, principal: Reader, session: DbSession) -> InteractionOut:
    row = await service.get(session, tenant_id=principal.tenant_id, interaction_id=interaction_id)
    return InteractionOut.model_validate(
        {
            **row._mapping,
            "author": {
                "network_id": row.author_id,
                "handle": row.author_handle,
                "display_name": row.author_name,
                "follower_count": row.author_followers,
            },
        }
    )
