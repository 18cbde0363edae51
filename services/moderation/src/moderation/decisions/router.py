"""HTTP routes of the decisions API."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from beacon_shared.auth import Principal, require_scope
from beacon_shared.db import DbSession
from moderation.decisions import service
from moderation.decisions.schemas import DecisionOut, DecisionPage, DecisionQuery

router = APIRouter(prefix="/v1/decisions", tags=["decisions"])
Reader = Annotated[Principal, Depends(require_scope("moderation:read"))]


@router.get("", summary="List decisions, newest first", responses={401: {}, 403: {}, 422: {}})
async def list_decisions(
    query: Annotated[DecisionQuery, Query()], principal: Reader, session: DbSession
) -> DecisionPage:
    """Filter by action, brand and decision time; page with `cursor`."""
    rows, next_cursor = await service.list_page(session, tenant_id=principal.tenant_id, query=query)
    return DecisionPage(items=[DecisionOut.from_row(r) for r in rows], next_cursor=next_cursor)


@router.get(
    "/{decision_id}", summary="Get one decision", responses={401: {}, 403: {}, 404: {}, 422: {}}
)
async def get_decision(decision_id: UUID, principal: Reader, session: DbSession) -> DecisionOut:
    """One decision of the caller's tenant."""
    row = await service.get(session, tenant_id=principal.tenant_id, decision_id=decision_id)
    return DecisionOut.from_row(row)
