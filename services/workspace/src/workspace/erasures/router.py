"""HTTP routes of erasure requests: asked with `privacy:write`, read with `privacy:read` (owners
and admins hold both)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from beacon_shared.auth import Principal
from beacon_shared.auth.brands import Brands, require_on
from beacon_shared.auth.verify import require_brand_scope
from beacon_shared.db import DbSession
from beacon_shared.pagination import Cursor, split_page
from workspace.erasures import service
from workspace.erasures.schemas import ErasureIn, ErasureOut, ErasurePage, ErasureQuery

router = APIRouter(prefix="/v1/erasures", tags=["privacy"])
Requester = Annotated[Principal, Depends(require_brand_scope("privacy:write"))]
Reader = Annotated[Principal, Depends(require_brand_scope("privacy:read"))]


@router.post("", summary="Erase an author's data", status_code=202, responses={403: {}, 422: {}})
async def request_erasure(
    body: ErasureIn, principal: Requester, brands: Brands, session: DbSession
) -> ErasureOut:
    """Every service erases what it holds about the author on the network (on `brand_id`, or on
    every brand): interactions and their raw payloads, moderation's copies, decisions, review
    items and labels, the author's analytics rows, and their inbox contact and messages. Applies
    to what exists when each service reads the request; the receipt (`GET /v1/erasures/{id}`)
    shows each service's counts and is `completed` once all have erased."""
    await brands.check(principal, "privacy:write", body.brand_id)
    return await service.request(session, principal=principal, body=body)


@router.get("", summary="List erasure requests, newest first")
async def list_erasures(
    query: Annotated[ErasureQuery, Query()], principal: Reader, session: DbSession
) -> ErasurePage:
    """The requests the caller may read, each with its receipt; page with `cursor`."""
    after = Cursor.decode(query.cursor) if query.cursor else None
    rows = await service.page(session, principal=principal, after=after, limit=query.limit + 1)
    found, next_cursor = split_page(rows, query.limit, at="requested_at")
    return ErasurePage(items=await service.receipts(session, found), next_cursor=next_cursor)


@router.get("/{erasure_id}", summary="An erasure request's receipt", responses={404: {}})
async def get_erasure(erasure_id: UUID, principal: Reader, session: DbSession) -> ErasureOut:
    """Each service's status, what it erased by kind and when; `completed` with its time once
    every service has erased."""
    found = await service.get(session, tenant_id=principal.tenant_id, erasure_id=erasure_id)
    require_on(principal, "privacy:read", found.brand_id)
    return found
