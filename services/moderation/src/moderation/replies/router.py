"""HTTP routes of saved replies."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response

from beacon_shared.auth.brand_reads import brands_to_read
from beacon_shared.auth.brands import Brands
from beacon_shared.db import DbSession
from moderation.access import READ, WRITE, visible_brands
from moderation.dependencies import Reader, Writer
from moderation.replies import service
from moderation.replies.schemas import SavedReplyIn, SavedReplyList, SavedReplyOut, SavedReplyUpdate

router = APIRouter(prefix="/v1/saved-replies", tags=["saved replies"])


@router.post(
    "", status_code=201, summary="Save a reply", responses={401: {}, 403: {}, 409: {}, 422: {}}
)
async def create_reply(
    body: SavedReplyIn, principal: Writer, brands: Brands, session: DbSession
) -> SavedReplyOut:
    """Names are unique per brand (or among tenant-wide replies). The brand must be registered
    and one the caller moderates; only a credential on every brand saves a tenant-wide reply."""
    await brands.check(principal, WRITE, body.brand_id)
    row = await service.create(session, tenant_id=principal.tenant_id, data=body)
    return SavedReplyOut.from_row(row)


@router.get("", summary="List saved replies", responses={401: {}, 403: {}, 422: {}})
async def list_replies(
    principal: Reader,
    brands: Brands,
    session: DbSession,
    brand_id: Annotated[str | None, Query(max_length=128)] = None,
) -> SavedReplyList:
    """By name; with `brand_id`, the brand's replies and the tenant-wide ones. A credential
    limited to some brands sees theirs and the tenant-wide ones."""
    rows = await service.list_all(
        session,
        tenant_id=principal.tenant_id,
        brand_id=brand_id,
        brand_ids=await brands_to_read(brands, principal, READ, brand_id),
    )
    return SavedReplyList(items=[SavedReplyOut.from_row(r) for r in rows])


@router.get("/{reply_id}", summary="Get a saved reply", responses={401: {}, 403: {}, 404: {}})
async def get_reply(reply_id: UUID, principal: Reader, session: DbSession) -> SavedReplyOut:
    row = await service.get(
        session,
        tenant_id=principal.tenant_id,
        reply_id=reply_id,
        brand_ids=visible_brands(principal),
    )
    return SavedReplyOut.from_row(row)


@router.patch(
    "/{reply_id}",
    summary="Change a saved reply",
    responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}},
)
async def update_reply(
    reply_id: UUID, body: SavedReplyUpdate, principal: Writer, session: DbSession
) -> SavedReplyOut:
    row = await service.update(session, principal=principal, reply_id=reply_id, data=body)
    return SavedReplyOut.from_row(row)


@router.delete(
    "/{reply_id}",
    status_code=204,
    summary="Delete a saved reply",
    responses={401: {}, 403: {}, 404: {}},
)
async def delete_reply(reply_id: UUID, principal: Writer, session: DbSession) -> Response:
    await service.delete(session, principal=principal, reply_id=reply_id)
    return Response(status_code=204)
