"""HTTP routes of bad-buzz alerts."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from analytics.alerts import service
from analytics.alerts.schemas import AlertOut, AlertPage, AlertQuery
from beacon_shared.auth import Principal
from beacon_shared.auth.brand_reads import brands_to_read
from beacon_shared.auth.brands import Brands
from beacon_shared.auth.verify import require_brand_scope
from beacon_shared.db import DbSession

router = APIRouter(prefix="/v1/alerts", tags=["alerts"])
Reader = Annotated[Principal, Depends(require_brand_scope(service.READ))]
Writer = Annotated[Principal, Depends(require_brand_scope(service.WRITE))]


@router.get("", summary="List bad-buzz alerts, newest first", responses={401: {}, 403: {}, 422: {}})
async def list_alerts(
    query: Annotated[AlertQuery, Query()], principal: Reader, brands: Brands, session: DbSession
) -> AlertPage:
    """Open and resolved alerts of the brands the credential may read; filter by status and
    brand, page with `cursor`."""
    rows, next_cursor = await service.list_page(
        session,
        tenant_id=principal.tenant_id,
        query=query,
        brands=await brands_to_read(brands, principal, service.READ, query.brand_id),
    )
    return AlertPage(items=[AlertOut.from_row(r) for r in rows], next_cursor=next_cursor)


@router.get("/{alert_id}", summary="Get an alert", responses={401: {}, 403: {}, 404: {}})
async def get_alert(alert_id: UUID, principal: Reader, session: DbSession) -> AlertOut:
    """One alert."""
    return AlertOut.from_row(await service.get(session, principal=principal, alert_id=alert_id))


@router.post(
    "/{alert_id}/resolve",
    summary="Close an alert",
    responses={401: {}, 403: {}, 404: {}, 409: {}, 422: {}},
)
async def resolve_alert(alert_id: UUID, principal: Writer, session: DbSession) -> AlertOut:
    """The caller closes the alert (`alert.resolved` with `resolved_by` `user:<id>`, or
    `key:<id>` for an API key); none is raised again for that brand and kind until its signal
    has calmed down."""
    return AlertOut.from_row(await service.resolve(session, principal=principal, alert_id=alert_id))
