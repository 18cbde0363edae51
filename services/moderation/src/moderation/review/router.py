"""HTTP routes of the review queue."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from beacon_shared.auth import Principal, require_scope
from beacon_shared.db import DbSession
from moderation.review import service
from moderation.review.schemas import (
    AssignIn,
    ClaimIn,
    ReleaseIn,
    ResolveIn,
    ReviewItemOut,
    ReviewPage,
    ReviewQuery,
)

router = APIRouter(prefix="/v1/review-items", tags=["review queue"])
Reader = Annotated[Principal, Depends(require_scope("moderation:read"))]
Writer = Annotated[Principal, Depends(require_scope("moderation:write"))]
CHANGE: dict[int | str, dict[str, Any]] = {401: {}, 403: {}, 404: {}, 409: {}, 422: {}}


@router.get(
    "", summary="List the review queue, oldest first", responses={401: {}, 403: {}, 422: {}}
)
async def list_items(
    query: Annotated[ReviewQuery, Query()], principal: Reader, session: DbSession
) -> ReviewPage:
    """Unresolved items unless `status` says otherwise; page with `cursor`."""
    rows, next_cursor = await service.list_page(session, tenant_id=principal.tenant_id, query=query)
    return ReviewPage(items=[ReviewItemOut.from_row(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/{item_id}", summary="Get one item with its comment", responses={401: {}, 403: {}, 404: {}}
)
async def get_item(item_id: UUID, principal: Reader, session: DbSession) -> ReviewItemOut:
    row, comment = await service.get_with_comment(
        session, tenant_id=principal.tenant_id, item_id=item_id
    )
    return ReviewItemOut.from_row(row, comment)


@router.post("/{item_id}/claim", summary="Claim an item", responses=CHANGE)
async def claim_item(
    item_id: UUID, body: ClaimIn, principal: Writer, session: DbSession
) -> ReviewItemOut:
    """409 when someone else holds it or it is resolved."""
    row = await service.claim(
        session, tenant_id=principal.tenant_id, item_id=item_id, assignee=body.assignee
    )
    return ReviewItemOut.from_row(row)


@router.post("/{item_id}/assign", summary="Assign an item to someone", responses=CHANGE)
async def assign_item(
    item_id: UUID, body: AssignIn, principal: Writer, session: DbSession
) -> ReviewItemOut:
    row = await service.assign(
        session, tenant_id=principal.tenant_id, item_id=item_id, assignee=body.assignee, by=body.by
    )
    return ReviewItemOut.from_row(row)


@router.post("/{item_id}/release", summary="Put an item back in the queue", responses=CHANGE)
async def release_item(
    item_id: UUID, body: ReleaseIn, principal: Writer, session: DbSession
) -> ReviewItemOut:
    row = await service.assign(
        session, tenant_id=principal.tenant_id, item_id=item_id, assignee=None, by=body.by
    )
    return ReviewItemOut.from_row(row)


@router.post("/{item_id}/resolve", summary="Approve, hide, delete or reply", responses=CHANGE)
async def resolve_item(
    item_id: UUID, body: ResolveIn, principal: Writer, session: DbSession
) -> ReviewItemOut:
    """The reviewer's decision replaces the rule's; hide, delete and reply reach the network."""
    row = await service.resolve(session, tenant_id=principal.tenant_id, item_id=item_id, data=body)
    return ReviewItemOut.from_row(row)
