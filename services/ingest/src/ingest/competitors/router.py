"""HTTP routes of the tracked competitors API."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from beacon_shared.auth.brand_reads import brands_to_read
from beacon_shared.auth.brands import Brands
from beacon_shared.db import DbSession
from ingest import access
from ingest.competitors import service
from ingest.competitors.dependencies import Reader, Writer
from ingest.competitors.exceptions import CompetitorNotFound
from ingest.competitors.schemas import (
    CompetitorIn,
    CompetitorOut,
    CompetitorPage,
    CompetitorPatch,
    CompetitorQuery,
)

router = APIRouter(prefix="/v1/competitors", tags=["competitors"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Track a competitor's public account",
    responses={400: {}, 401: {}, 403: {}, 409: {}, 413: {}, 422: {}},
)
async def track_competitor(
    body: CompetitorIn, principal: Writer, brands: Brands, session: DbSession
) -> CompetitorOut:
    """The account's public posts are polled for the brand; their metrics feed share of voice.

    A brand tracking the same account twice is a 409 `competitor_already_tracked`.
    """
    await brands.check(principal, access.WRITE, body.brand_id)
    row = await service.track(session, tenant_id=principal.tenant_id, body=body)
    return CompetitorOut.from_row(row)


@router.get(
    "", summary="List tracked competitors, newest first", responses={401: {}, 403: {}, 422: {}}
)
async def list_competitors(
    query: Annotated[CompetitorQuery, Query()],
    principal: Reader,
    brands: Brands,
    session: DbSession,
) -> CompetitorPage:
    """Filter by brand, network and status; page by `cursor`."""
    rows, next_cursor = await service.list_page(
        session,
        tenant_id=principal.tenant_id,
        query=query,
        brands=await brands_to_read(brands, principal, access.READ, query.brand_id),
    )
    return CompetitorPage(items=[CompetitorOut.from_row(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/{competitor_id}",
    summary="Get one tracked competitor",
    responses={401: {}, 403: {}, 404: {}, 422: {}},
)
async def get_competitor(
    competitor_id: UUID, principal: Reader, session: DbSession
) -> CompetitorOut:
    """One tracked competitor of the caller's tenant, with how its last poll went."""
    row = await service.get(session, tenant_id=principal.tenant_id, competitor_id=competitor_id)
    access.check_readable(principal, row.brand_id, CompetitorNotFound(competitor_id))
    return CompetitorOut.from_row(row)


@router.patch(
    "/{competitor_id}",
    summary="Change a tracked competitor",
    responses={400: {}, 401: {}, 403: {}, 404: {}, 413: {}, 422: {}},
)
async def update_competitor(
    competitor_id: UUID, body: CompetitorPatch, principal: Writer, session: DbSession
) -> CompetitorOut:
    """Absent fields stay, null clears handle and label; `status: paused` stops polling it."""
    current = await service.get(session, tenant_id=principal.tenant_id, competitor_id=competitor_id)
    access.check_existing(principal, current.brand_id, CompetitorNotFound(competitor_id))
    row = await service.update(
        session, tenant_id=principal.tenant_id, competitor_id=competitor_id, patch=body
    )
    return CompetitorOut.from_row(row)


@router.delete(
    "/{competitor_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Stop tracking a competitor",
    responses={401: {}, 403: {}, 404: {}, 422: {}},
)
async def untrack_competitor(
    competitor_id: UUID, principal: Writer, session: DbSession
) -> Response:
    """Polling stops; metrics already observed stay in analytics."""
    current = await service.get(session, tenant_id=principal.tenant_id, competitor_id=competitor_id)
    access.check_existing(principal, current.brand_id, CompetitorNotFound(competitor_id))
    await service.untrack(session, tenant_id=principal.tenant_id, competitor_id=competitor_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
