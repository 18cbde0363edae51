"""HTTP route of the organization's audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from beacon_shared import audit
from beacon_shared.auth import Principal, require_scope
from beacon_shared.pagination import Cursor, split_page
from workspace.audit.schemas import AuditEntryOut, AuditPage, AuditQuery

router = APIRouter(tags=["audit"])
Auditor = Annotated[Principal, Depends(require_scope("audit:read"))]


@router.get("/v1/audit-log", summary="The organization's audit log, newest first")
async def audit_log(
    query: Annotated[AuditQuery, Query()], principal: Auditor, request: Request
) -> AuditPage:
    """Every state-changing call made in the organization, in every service: who (`actor`, and
    the credential), what (`method`, `route`), which resource (the route's path parameters),
    when, from where (client address, user agent) and the outcome (`status`, refusals and
    failures included). Filter by actor, service, method, status and time; page with `cursor`."""
    filters = {
        name: value
        for name, value in query.model_dump(
            include={"actor", "service", "method", "status"}
        ).items()
        if value is not None
    }
    async with request.app.state.engine.connect() as conn:
        rows = await audit.entries(
            conn,
            tenant_id=principal.tenant_id,
            filters=filters,
            since=query.since,
            until=query.until,
            after=Cursor.decode(query.cursor) if query.cursor else None,
            limit=query.limit + 1,
        )
    page, next_cursor = split_page(rows, query.limit, at="at")
    return AuditPage(items=[AuditEntryOut.from_row(r) for r in page], next_cursor=next_cursor)
