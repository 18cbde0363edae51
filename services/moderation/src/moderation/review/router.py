"""HTTP routes of the review queue."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query

from beacon_shared.auth.brand_reads import brands_to_read
from beacon_shared.auth.brands import Brands
from beacon_shared.db import DbSession
from moderation.access import READ
from moderation.dependencies import Reader, Writer
from moderation.review import service
from moderation.review.schemas import AssignIn, ResolveIn, ReviewItemOut, ReviewPage, ReviewQuery

router = APIRouter(prefix="/v1/review-items", tags=["review queue"])
CHANGE: dict[int | str, dict[str, Any]] = {401: {}, 403: {}, 404: {}, 409: {}, 422: {}}


@router.get(
    "", summary="List the review queue, oldest first", responses={401: {}, 403: {}, 422: {}}
)
async def list_items(
    query: Annotated[ReviewQuery, Query()], principal: Reader, brands: Brands, session: DbSession
) -> ReviewPage:
    """Unresolved items unless `status` says otherwise, on the brands the caller may read;
    `assignee=me` lists the caller's own; page with `cursor`."""
    brand_ids = await brands_to_read(brands, principal, READ, query.brand_id)
    rows, next_cursor = await service.list_page(
        session, principal=principal, query=query, brand_ids=brand_ids
    )
    return ReviewPage(items=[ReviewItemOut.from_row(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/{item_id}", summary="Get one item with its comment", responses={401: {}, 403: {}, 404: {}}
)
async def get_item(item_id: UUID, principal: Reader, session: DbSession) -> ReviewItemOut:
    row, comment = await service.get_with_comment(session, principal=principal, item_id=item_id)
    return ReviewItemOut.from_row(row, comment)


@router.post("/{item_id}/claim", summary="Claim an item for yourself", responses=CHANGE)
async def claim_item(item_id: UUID, principal: Writer, session: DbSession) -> ReviewItemOut:
    """The signed-in member (or their personal token) becomes the assignee; 403 for an
    organization API key, 409 when someone else holds it or it is resolved."""
    row = await service.claim(session, principal=principal, item_id=item_id)
    return ReviewItemOut.from_row(row)


@router.post("/{item_id}/assign", summary="Assign an item to a member", responses=CHANGE)
async def assign_item(
    item_id: UUID, body: AssignIn, principal: Writer, session: DbSession
) -> ReviewItemOut:
    """The assignee must be a member who may moderate the item's brand (422
    `assignee_not_allowed` otherwise); the caller is recorded as `assigned_by`."""
    row = await service.assign(
        session, principal=principal, item_id=item_id, assignee=body.assignee
    )
    return ReviewItemOut.from_row(row)


@router.post("/{item_id}/release", summary="Put an item back in the queue", responses=CHANGE)
async def release_item(item_id: UUID, principal: Writer, session: DbSession) -> ReviewItemOut:
    row = await service.assign(session, principal=principal, item_id=item_id, assignee=None)
    return ReviewItemOut.from_row(row)


@router.post("/{item_id}/resolve", summary="Approve, hide, delete or reply", responses=CHANGE)
async def resolve_item(
    item_id: UUID, body: ResolveIn, principal: Writer, session: DbSession
) -> ReviewItemOut:
    """The reviewer's decision replaces the rule's; hide, delete and reply reach the network. The
    caller is recorded as `resolved_by`; an item someone claimed is theirs to resolve."""
    row = await service.resolve(session, principal=principal, item_id=item_id, data=body)
    return ReviewItemOut.from_row(row)
