"""HTTP routes of the brand registry."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from beacon_shared.auth import Principal, require_scope
from beacon_shared.auth.brands import require_on
from beacon_shared.auth.verify import require_brand_scope
from beacon_shared.db import DbSession
from workspace.brands import service
from workspace.brands.schemas import BrandIn, BrandList, BrandOut, BrandSettings

router = APIRouter(prefix="/v1/brands", tags=["brands"])
BrandId = Annotated[str, Path(min_length=1, max_length=128)]
Reader = Annotated[Principal, Depends(require_brand_scope("brands:read"))]
Editor = Annotated[Principal, Depends(require_brand_scope("brands:write"))]
# Adding and deleting brands is the organization's business, not one brand's.
Registrar = Annotated[Principal, Depends(require_scope("brands:write"))]


@router.post("", summary="Register a brand", status_code=201, responses={409: {}})
async def create_brand(body: BrandIn, principal: Registrar, session: DbSession) -> BrandOut:
    """Every service accepts the brand from then on (within the credential cache time, 5 s), and
    learns its settings from `brand.configured`. A live brand with the id is a 409 brand_exists;
    a deleted one is registered again."""
    return await service.create(session, principal=principal, body=body)


@router.get("", summary="List the brands")
async def list_brands(principal: Reader, session: DbSession) -> BrandList:
    """The brands the caller may see (all of them unless limited to some), by id."""
    return BrandList(items=await service.visible(session, principal=principal))


@router.get("/{brand_id}", summary="A brand", responses={404: {}})
async def get_brand(brand_id: BrandId, principal: Reader, session: DbSession) -> BrandOut:
    """A live brand with its settings."""
    found = await service.get(session, tenant_id=principal.tenant_id, brand_id=brand_id)
    require_on(principal, "brands:read", brand_id)
    return found


@router.patch("/{brand_id}", summary="Change a brand's settings", responses={404: {}})
async def change_brand(
    brand_id: BrandId, body: BrandSettings, principal: Editor, session: DbSession
) -> BrandOut:
    """The fields given change, the others stay; `brand.configured` announces the whole brand.
    Scheduled posts keep their UTC time when the time zone changes."""
    await service.get(session, tenant_id=principal.tenant_id, brand_id=brand_id)
    require_on(principal, "brands:write", brand_id)
    return await service.change(session, principal=principal, brand_id=brand_id, body=body)


@router.delete("/{brand_id}", summary="Delete a brand", status_code=204, responses={404: {}})
async def delete_brand(brand_id: BrandId, principal: Registrar, session: DbSession) -> Response:
    """Every service refuses the brand from then on (422 unknown_brand, within 5 s); the
    publisher cancels its scheduled posts. Its history stays."""
    await service.delete(session, principal=principal, brand_id=brand_id)
    return Response(status_code=204)
