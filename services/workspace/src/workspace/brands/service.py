"""The brand registry's rules: brands are registered, changed and deleted here, announced to the
other services by `brand.configured`, and their ids kept in `iam.brand` for every request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared import outbox
from beacon_shared.auth import brands as registry
from beacon_shared.auth.principal import Principal
from beacon_shared.contracts.publisher import BrandConfigured as PublisherBrandConfigured
from beacon_shared.contracts.workspace import BrandConfigured
from beacon_shared.events import Envelope
from beacon_shared.logging import get_logger
from workspace.audit.service import record
from workspace.brands import repository
from workspace.brands.exceptions import BrandExists, BrandNotFound, TooManyBrands
from workspace.brands.schemas import BrandIn, BrandOut, BrandSettings
from workspace.db import outbox as outbox_table

log = get_logger(__name__)
SOURCE = "/beacon/workspace"
MAX_BRANDS = 1_000


async def visible(session: AsyncSession, *, principal: Principal) -> list[BrandOut]:
    """The brands the caller may read, by id."""
    rows = await repository.live(
        session, tenant_id=principal.tenant_id, brand_ids=principal.brands_for("brands:read")
    )
    return [BrandOut.from_row(r) for r in rows]


async def get(session: AsyncSession, *, tenant_id: str, brand_id: str) -> BrandOut:
    """One live brand (BrandNotFound otherwise)."""
    rows = await repository.live(session, tenant_id=tenant_id, brand_ids=[brand_id])
    if not rows:
        raise BrandNotFound(f"No brand {brand_id!r} in this organization.")
    return BrandOut.from_row(rows[0])


async def create(session: AsyncSession, *, principal: Principal, body: BrandIn) -> BrandOut:
    """Register a brand (BrandExists if it is live, TooManyBrands past MAX_BRANDS)."""
    tenant_id = principal.tenant_id
    if await registry.missing_brands(session, tenant_id=tenant_id, brand_ids=[body.id]) == []:
        raise BrandExists(f"The brand {body.id!r} exists.")
    if await repository.count_live(session, tenant_id=tenant_id) >= MAX_BRANDS:
        raise TooManyBrands(f"An organization has at most {MAX_BRANDS} brands.")
    await registry.register_brand(session, tenant_id=tenant_id, brand_id=body.id)
    settings = {
        "name": body.name,
        "timezone": body.timezone or "UTC",
        "languages": body.languages or [],
        "approval_required": bool(body.approval_required),
        "self_approval_allowed": bool(body.self_approval_allowed),
        "pause_on_alert": bool(body.pause_on_alert),
    }
    await _configure(session, principal, body.id, settings, action="brand.created")
    return await get(session, tenant_id=tenant_id, brand_id=body.id)


async def change(
    session: AsyncSession, *, principal: Principal, brand_id: str, body: BrandSettings
) -> BrandOut:
    """Change some of a live brand's settings; the rest stay."""
    current = await get(session, tenant_id=principal.tenant_id, brand_id=brand_id)
    changes = body.model_dump(exclude_unset=True)
    settings = {
        name: changes[name] if changes.get(name) is not None else getattr(current, name)
        for name in BrandSettings.model_fields
    }
    await _configure(session, principal, brand_id, settings, action="brand.changed")
    return await get(session, tenant_id=principal.tenant_id, brand_id=brand_id)


async def delete(session: AsyncSession, *, principal: Principal, brand_id: str) -> None:
    """Delete a live brand: every service refuses it from then on, and the publisher cancels its
    scheduled posts when `brand.configured` says so."""
    current = await get(session, tenant_id=principal.tenant_id, brand_id=brand_id)
    await registry.delete_brand(session, tenant_id=principal.tenant_id, brand_id=brand_id)
    settings = {name: getattr(current, name) for name in BrandSettings.model_fields}
    await _configure(session, principal, brand_id, settings, action="brand.deleted", deleted=True)


async def adopt(session: AsyncSession, *, tenant_id: str, legacy: PublisherBrandConfigured) -> bool:
    """Take a brand's settings from the publisher's own `brand.configured` (saved before the
    registry existed) unless the registry has newer ones; whether they were taken."""
    last = await repository.lock_configured_at(
        session, tenant_id=tenant_id, brand_id=legacy.brand_id
    )
    if last is not None and last >= legacy.configured_at:
        return False
    await registry.register_brand(session, tenant_id=tenant_id, brand_id=legacy.brand_id)
    rows = await repository.live(session, tenant_id=tenant_id, brand_ids=[legacy.brand_id])
    current = BrandOut.from_row(rows[0])
    await repository.save(
        session,
        values={
            "tenant_id": tenant_id,
            "id": legacy.brand_id,
            "name": current.name,
            "languages": current.languages,
            "self_approval_allowed": current.self_approval_allowed,
            "timezone": legacy.timezone,
            "approval_required": legacy.approval_required,
            "pause_on_alert": legacy.pause_on_alert,
            "configured_at": legacy.configured_at,
        },
    )
    return True


async def _configure(
    session: AsyncSession,
    principal: Principal,
    brand_id: str,
    settings: dict[str, Any],
    *,
    action: str,
    deleted: bool = False,
) -> None:
    """Save the settings whole, announce them and record who did it."""
    tenant_id = principal.tenant_id
    last = await repository.lock_configured_at(session, tenant_id=tenant_id, brand_id=brand_id)
    now = datetime.now(UTC)
    # Consumers keep the latest configuration by this time: it must move forward per brand even
    # if this host's clock is behind the one that saved last.
    configured_at = now if last is None or now > last else last + timedelta(microseconds=1)
    await repository.save(
        session,
        values={
            "tenant_id": tenant_id,
            "id": brand_id,
            **settings,
            "configured_at": configured_at,
            "deleted_at": configured_at if deleted else None,
        },
    )
    event = BrandConfigured(
        brand_id=brand_id, **settings, deleted=deleted, configured_at=configured_at
    )
    envelope = Envelope.build(event, tenant_id=tenant_id, subject=brand_id, source=SOURCE)
    await outbox.stage(session, outbox_table, [envelope])
    await record(
        session,
        tenant_id=tenant_id,
        actor=principal.actor,
        action=action,
        target=f"brand:{brand_id}",
        detail=settings,
    )
    log.info(action, tenant_id=tenant_id, brand_id=brand_id)
