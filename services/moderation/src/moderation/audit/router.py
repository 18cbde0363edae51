"""HTTP routes of the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from beacon_shared.auth import Principal, require_scope
from beacon_shared.db import DbSession
from moderation.audit import service
from moderation.audit.schemas import AuditEntryOut, AuditPage, AuditQuery

router = APIRouter(prefix="/v1/audit", tags=["audit"])
Reader = Annotated[Principal, Depends(require_scope("moderation:read"))]


@router.get("", summary="Read the audit log, newest first", responses={401: {}, 403: {}, 422: {}})
async def list_entries(
    query: Annotated[AuditQuery, Query()], principal: Reader, session: DbSession
) -> AuditPage:
    """Every automatic and human decision and network action; filter and page with `cursor`."""
    rows, next_cursor = await service.list_page(session, tenant_id=principal.tenant_id, query=query)
    return AuditPage(items=[AuditEntryOut.from_row(r) for r in rows], next_cursor=next_cursor)
