"""HTTP routes of the brands' SLA policies."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, status

from beacon_shared.auth.brands import Brands
from beacon_shared.db import DbSession
from inbox.access import READ, WRITE, Reader, Writer
from inbox.sla import policies
from inbox.sla.schemas import BrandPath, SlaPolicyIn, SlaPolicyOut

router = APIRouter(prefix="/v1/brands/{brand_id}/sla-policy", tags=["sla"])


@router.get(
    "",
    summary="The brand's SLA policy",
    responses={401: {}, 403: {}, 404: {}, 422: {}},
)
async def get_policy(
    brand_id: BrandPath, principal: Reader, brands: Brands, session: DbSession
) -> SlaPolicyOut:
    """404 `sla_policy_not_found` when the brand has none."""
    await brands.check(principal, READ, brand_id)
    row = await policies.get(session, tenant_id=principal.tenant_id, brand_id=brand_id)
    return SlaPolicyOut.from_row(row)


@router.put(
    "",
    summary="Set the brand's SLA policy",
    responses={401: {}, 403: {}, 422: {}},
)
async def put_policy(
    brand_id: BrandPath, body: SlaPolicyIn, principal: Writer, brands: Brands, session: DbSession
) -> SlaPolicyOut:
    """Creates or replaces it whole. Targets apply to clocks started from then on; due times
    already set stay. 422 `invalid_timezone` for a zone IANA does not know,
    `invalid_business_hours` for an opening that closes before it opens or overlaps another of
    its day, `sla_target_required` for a policy without any target."""
    await brands.check(principal, WRITE, brand_id)
    row = await policies.put(
        session, principal=principal, brand_id=brand_id, body=body, now=datetime.now(UTC)
    )
    return SlaPolicyOut.from_row(row)


@router.delete(
    "",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Remove the brand's SLA policy",
    responses={401: {}, 403: {}, 404: {}, 422: {}},
)
async def delete_policy(
    brand_id: BrandPath, principal: Writer, brands: Brands, session: DbSession
) -> None:
    """New clocks get no due time; those running keep theirs."""
    await brands.check(principal, WRITE, brand_id)
    await policies.remove(session, tenant_id=principal.tenant_id, brand_id=brand_id)
