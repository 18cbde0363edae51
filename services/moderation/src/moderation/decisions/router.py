"""HTTP routes of the decisions API."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from beacon_shared.auth.brand_reads import brands_to_read
from beacon_shared.auth.brands import Brands
from beacon_shared.db import DbSession
from moderation.access import READ, visible_brands
from moderation.decisions import service
from moderation.decisions.schemas import DecisionOut, DecisionPage, DecisionQuery
from moderation.dependencies import Reader

router = APIRouter(prefix="/v1/decisions", tags=["decisions"])


@router.get("", summary="List decisions, newest first", responses={401: {}, 403: {}, 422: {}})
async def list_decisions(
    query: Annotated[DecisionQuery, Query()], principal: Reader, brands: Brands, session: DbSession
) -> DecisionPage:
    """Filter by action, brand and decision time; page with `cursor`. A credential limited to
    some brands lists theirs only."""
    brand_ids = await brands_to_read(brands, principal, READ, query.brand_id)
    rows, next_cursor = await service.list_page(
        session, tenant_id=principal.tenant_id, query=query, brand_ids=brand_ids
    )
    return DecisionPage(
        items=[DecisionOut.from_rows(*described) for described in rows], next_cursor=next_cursor
    )


@router.get(
    "/{decision_id}", summary="Get one decision", responses={401: {}, 403: {}, 404: {}, 422: {}}
)
async def get_decision(decision_id: UUID, principal: Reader, session: DbSession) -> DecisionOut:
    """One decision of the caller's tenant, on a brand the caller may read."""
    described = await service.get(
        session,
        tenant_id=principal.tenant_id,
        decision_id=decision_id,
        brand_ids=visible_brands(principal),
    )
    return DecisionOut.from_rows(*described)
