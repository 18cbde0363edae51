"""HTTP routes of brands' rule sets: versions, activation and dry-runs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from beacon_shared.auth.brands import Brands
from beacon_shared.db import DbSession
from moderation.access import READ, WRITE
from moderation.dependencies import BrandPath, Reader, Writer
from moderation.rules import service
from moderation.rules.dependencies import Version
from moderation.rules.schemas import (
    DryRunBody,
    DryRunQuery,
    DryRunReport,
    RuleSetCreate,
    RuleSetOut,
    RuleSetPage,
    RuleSetQuery,
    RuleSetUpdate,
)

router = APIRouter(prefix="/v1/brands/{brand_id}/rule-sets", tags=["rules"])
READING: dict[int | str, dict[str, Any]] = {401: {}, 403: {}, 404: {}, 422: {}}
CHANGE: dict[int | str, dict[str, Any]] = {401: {}, 403: {}, 404: {}, 409: {}, 422: {}}


@router.post("", status_code=201, summary="Create a draft rule set", responses=CHANGE)
async def create_draft(
    brand_id: BrandPath, body: RuleSetCreate, principal: Writer, brands: Brands, session: DbSession
) -> RuleSetOut:
    """Numbered after the brand's last version; `copy_from` copies a version (0: the defaults)."""
    await brands.check(principal, WRITE, brand_id)
    return await service.create_draft(
        session,
        tenant_id=principal.tenant_id,
        brand_id=brand_id,
        actor=principal.actor,
        data=body,
    )


@router.get("", summary="List the brand's rule set versions, newest first", responses=READING)
async def list_versions(
    brand_id: BrandPath,
    query: Annotated[RuleSetQuery, Query()],
    principal: Reader,
    brands: Brands,
    session: DbSession,
) -> RuleSetPage:
    """Stored versions without their rules; page with `cursor`. Version 0 is never listed."""
    await brands.check(principal, READ, brand_id)
    items, next_cursor = await service.list_versions(
        session, tenant_id=principal.tenant_id, brand_id=brand_id, query=query
    )
    return RuleSetPage(items=items, next_cursor=next_cursor)


@router.post(
    "/dry-run", summary="Try unsaved rules on the brand's latest comments", responses=READING
)
async def dry_run_unsaved(
    brand_id: BrandPath,
    body: DryRunBody,
    query: Annotated[DryRunQuery, Query()],
    principal: Reader,
    brands: Brands,
    session: DbSession,
) -> DryRunReport:
    """Compares the rules in the body with the rules in effect; nothing is stored."""
    await brands.check(principal, READ, brand_id)
    return await service.dry_run(
        session,
        tenant_id=principal.tenant_id,
        brand_id=brand_id,
        limit=query.limit,
        rules=body.rules,
    )


@router.get("/{version}", summary="Get one rule set version", responses=READING)
async def get_version(
    brand_id: BrandPath, version: Version, principal: Reader, brands: Brands, session: DbSession
) -> RuleSetOut:
    """Version 0 is the default rules, used while no version is active."""
    await brands.check(principal, READ, brand_id)
    return await service.get_version(
        session, tenant_id=principal.tenant_id, brand_id=brand_id, version=version
    )


@router.patch("/{version}", summary="Change a draft", responses=CHANGE)
async def update_draft(
    brand_id: BrandPath,
    version: Version,
    body: RuleSetUpdate,
    principal: Writer,
    brands: Brands,
    session: DbSession,
) -> RuleSetOut:
    """Only a draft can change (409 otherwise); fields left out are kept."""
    await brands.check(principal, WRITE, brand_id)
    return await service.update_draft(
        session, tenant_id=principal.tenant_id, brand_id=brand_id, version=version, data=body
    )


@router.post("/{version}/activate", summary="Activate a version", responses=CHANGE)
async def activate(
    brand_id: BrandPath, version: Version, principal: Writer, brands: Brands, session: DbSession
) -> RuleSetOut:
    """The active version before it is retired; a retired version can be activated again."""
    await brands.check(principal, WRITE, brand_id)
    return await service.activate(
        session,
        tenant_id=principal.tenant_id,
        brand_id=brand_id,
        version=version,
        actor=principal.actor,
    )


@router.post(
    "/{version}/dry-run", summary="Try a version on the brand's latest comments", responses=READING
)
async def dry_run(
    brand_id: BrandPath,
    version: Version,
    query: Annotated[DryRunQuery, Query()],
    principal: Reader,
    brands: Brands,
    session: DbSession,
) -> DryRunReport:
    """Replays the brand's latest stored comments (`limit`, default 500, at most 5,000) through
    this version and through the rules in effect, and reports what would change."""
    await brands.check(principal, READ, brand_id)
    return await service.dry_run(
        session,
        tenant_id=principal.tenant_id,
        brand_id=brand_id,
        limit=query.limit,
        version=version,
    )
