"""HTTP routes of the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from beacon_shared.auth.brand_reads import brands_to_read
from beacon_shared.auth.brands import Brands
from beacon_shared.db import DbSession
from moderation.access import READ
from moderation.audit import service
from moderation.audit.schemas import AuditEntryOut, AuditPage, AuditQuery
from moderation.dependencies import Reader

router = APIRouter(prefix="/v1/audit", tags=["audit"])


@router.get("", summary="Read the audit log, newest first", responses={401: {}, 403: {}, 422: {}})
async def list_entries(
    query: Annotated[AuditQuery, Query()], principal: Reader, brands: Brands, session: DbSession
) -> AuditPage:
    """Every automatic and human decision and network action; filter and page with `cursor`. A
    credential limited to some brands reads their entries only."""
    brand_ids = await brands_to_read(brands, principal, READ, query.brand_id)
    rows, next_cursor = await service.list_page(
        session, tenant_id=principal.tenant_id, query=query, brand_ids=brand_ids
    )
    return AuditPage(items=[AuditEntryOut.from_row(r) for r in rows], next_cursor=next_cursor)
