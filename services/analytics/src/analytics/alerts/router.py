"""HTTP routes of bad-buzz alerts."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from analytics.alerts import service
from analytics.alerts.schemas import AlertOut, AlertPage, AlertQuery, ResolveIn
from beacon_shared.auth import Principal, require_scope
from beacon_shared.db import DbSession

router = APIRouter(prefix="/v1/alerts", tags=["alerts"])
Reader = Annotated[Principal, Depends(require_scope("analytics:read"))]
Writer = Annotated[Principal, Depends(require_scope("analytics:write"))]


@router.get("", summary="List bad-buzz alerts, newest first", responses={401: {}, 403: {}, 422: {}})
async def list_alerts(
    query: Annotated[AlertQuery, Query()], principal: Reader, session: DbSession
) -> AlertPage:
    """Open and resolved alerts; filter by status and brand, page with `cursor`."""
    rows, next_cursor = await service.list_page(session, tenant_id=principal.tenant_id, query=query)
    return AlertPage(items=[AlertOut.from_row(r) for r in rows], next_cursor=next_cursor)


@router.get("/{alert_id}", summary="Get an alert", responses={401: {}, 403: {}, 404: {}})
async def get_alert(alert_id: UUID, principal: Reader, session: DbSession) -> AlertOut:
    """One alert."""
    return AlertOut.from_row(
        await service.get(session, tenant_id=principal.tenant_id, alert_id=alert_id)
    )


@router.post(
    "/{alert_id}/resolve",
    summary="Close an alert",
    responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}},
)
async def resolve_alert(
    alert_id: UUID, body: ResolveIn, principal: Writer, session: DbSession
) -> AlertOut:
    """A person closes the alert (`alert.resolved` with `resolved_by` `user:<by>`); none is
    raised again for that brand and kind until its signal has calmed down."""
    return AlertOut.from_row(
        await service.resolve(session, tenant_id=principal.tenant_id, alert_id=alert_id, by=body.by)
    )
