"""Brand publishing settings as the workspace announces them (a brand never configured gets the
defaults), and the bad-buzz alerts that pause a brand's queue while open."""

from __future__ import annotations

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.contracts.analytics import AlertRaised, AlertResolved
from beacon_shared.contracts.workspace import BrandConfigured
from beacon_shared.logging import get_logger
from publisher.brands import repository
from publisher.brands.schemas import BrandPublishing, BrandSettings, OpenAlert

log = get_logger(__name__)


async def get(session: AsyncSession, *, tenant_id: str, brand_id: str | None) -> BrandSettings:
    """The brand's settings (the defaults for no brand or a brand never configured)."""
    if brand_id is None:
        return BrandSettings()
    row = await repository.get_settings(session, tenant_id=tenant_id, brand_id=brand_id)
    return BrandSettings() if row is None else BrandSettings.model_validate(dict(row._mapping))


async def publishing(session: AsyncSession, *, tenant_id: str, brand_id: str) -> BrandPublishing:
    """The brand's settings, its open alerts and whether they pause its queue now."""
    settings = await get(session, tenant_id=tenant_id, brand_id=brand_id)
    alerts = await repository.open_alerts(session, tenant_id=tenant_id, brand_id=brand_id)
    return BrandPublishing(
        **settings.model_dump(),
        paused_by_alert=settings.pause_on_alert and bool(alerts),
        open_alerts=[OpenAlert.model_validate(dict(row._mapping)) for row in alerts],
    )


async def configure(session: AsyncSession, *, tenant_id: str, brand: BrandConfigured) -> bool:
    """Keep the workspace's settings of a brand unless newer ones are kept already; whether
    they were taken."""
    last = await repository.lock_updated_at(session, tenant_id=tenant_id, brand_id=brand.brand_id)
    if last is not None and last >= brand.configured_at:
        return False
    settings = BrandSettings(
        timezone=brand.timezone,
        approval_required=brand.approval_required,
        self_approval_allowed=brand.self_approval_allowed,
        pause_on_alert=brand.pause_on_alert,
    )
    await repository.upsert_settings(
        session,
        tenant_id=tenant_id,
        brand_id=brand.brand_id,
        values={**settings.model_dump(), "updated_at": brand.configured_at},
    )
    log.info(
        "brand.configured",
        tenant_id=tenant_id,
        brand_id=brand.brand_id,
        pause_on_alert=brand.pause_on_alert,
        deleted=brand.deleted,
    )
    return True


# Bad-buzz alerts --------------------------------------------------------------------------------


async def alert_raised(session: AsyncSession, *, tenant_id: str, alert: AlertRaised) -> bool:
    """Keep an alert analytics raised; returns whether the brand's queue is paused now."""
    added = await repository.insert_alert(
        session,
        tenant_id=tenant_id,
        brand_id=alert.brand_id,
        alert_id=alert.alert_id,
        kind=alert.kind.value,
        since=alert.raised_at,
    )
    state = await publishing(session, tenant_id=tenant_id, brand_id=alert.brand_id)
    if added and state.paused_by_alert:
        log.warning(
            "brand.paused_by_alert",
            tenant_id=tenant_id,
            brand_id=alert.brand_id,
            alert_id=str(alert.alert_id),
        )
    return state.paused_by_alert


async def alert_resolved(session: AsyncSession, *, tenant_id: str, alert: AlertResolved) -> bool:
    """Close an alert; returns whether the brand's queue is still paused (by another alert)."""
    await repository.resolve_alert(
        session,
        tenant_id=tenant_id,
        brand_id=alert.brand_id,
        alert_id=alert.alert_id,
        kind=alert.kind.value,
        resolved_at=alert.resolved_at,
    )
    state = await publishing(session, tenant_id=tenant_id, brand_id=alert.brand_id)
    log.info(
        "brand.alert_resolved",
        tenant_id=tenant_id,
        brand_id=alert.brand_id,
        alert_id=str(alert.alert_id),
        still_paused=state.paused_by_alert,
    )
    return state.paused_by_alert


def paused(
    tenant_id: ColumnElement[str], brand_id: ColumnElement[str | None]
) -> ColumnElement[bool]:
    """A condition for other packages' queries: the brand's queue is paused by an open alert."""
    return repository.paused(tenant_id, brand_id)
