"""Brands' open bad-buzz alerts: kept from analytics' events, audited, and read by the decider.

A brand is heightened while at least one of its alerts is open; entering and leaving are written
to the audit log (`alert.raised`, `alert.resolved`, with the brand's mode after each).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.contracts.analytics import AlertRaised, AlertResolved
from beacon_shared.logging import get_logger
from moderation.alerts import repository
from moderation.alerts.adjustment import heighten
from moderation.alerts.schemas import ModerationMode, OpenAlert
from moderation.audit import service as audit
from moderation.rules import Verdict

log = get_logger(__name__)

RAISED = "alert.raised"
RESOLVED = "alert.resolved"
# Who raised it, in the audit log: analytics' detector.
DETECTOR = "analytics"
ADJUSTMENT = (
    "Comments the brand's rules would allow are flagged for review when their sentiment is "
    "negative or their toxicity reaches half the default flag threshold; nothing else changes."
)


async def alert_raised(session: AsyncSession, *, tenant_id: str, alert: AlertRaised) -> bool:
    """Keep an alert (the brand becomes heightened); False when it was known already."""
    added = await repository.insert_alert(
        session,
        tenant_id=tenant_id,
        brand_id=alert.brand_id,
        alert_id=alert.alert_id,
        kind=alert.kind.value,
        since=alert.raised_at,
    )
    if added:
        await _audit(session, tenant_id, alert.brand_id, RAISED, DETECTOR, alert)
    return added


async def alert_resolved(session: AsyncSession, *, tenant_id: str, alert: AlertResolved) -> bool:
    """Close an alert (the brand relaxes if it was its last); False when it was closed already."""
    closed = await repository.resolve_alert(
        session,
        tenant_id=tenant_id,
        brand_id=alert.brand_id,
        alert_id=alert.alert_id,
        kind=alert.kind.value,
        resolved_at=alert.resolved_at,
    )
    if closed:
        actor = DETECTOR if alert.resolved_by == "baseline" else alert.resolved_by
        await _audit(session, tenant_id, alert.brand_id, RESOLVED, actor, alert)
    return closed


async def _audit(
    session: AsyncSession,
    tenant_id: str,
    brand_id: str,
    event: str,
    actor: str,
    alert: AlertRaised | AlertResolved,
) -> None:
    heightened = bool(await repository.open_alerts(session, tenant_id=tenant_id, brand_id=brand_id))
    await audit.record(
        session,
        tenant_id=tenant_id,
        brand_id=brand_id,
        event=event,
        actor=actor,
        detail={**alert.model_dump(mode="json"), "heightened": heightened},
    )
    log.info(
        "moderation.alert_recorded",
        audit_event=event,
        tenant_id=tenant_id,
        brand_id=brand_id,
        alert_id=str(alert.alert_id),
        heightened=heightened,
    )


async def mode(session: AsyncSession, *, tenant_id: str, brand_id: str) -> ModerationMode:
    """The brand's moderation mode and the alerts behind it."""
    rows = await repository.open_alerts(session, tenant_id=tenant_id, brand_id=brand_id)
    return ModerationMode(
        brand_id=brand_id,
        heightened=bool(rows),
        open_alerts=[OpenAlert.model_validate(dict(row._mapping)) for row in rows],
        adjustment=ADJUSTMENT,
    )


async def adjust(
    session: AsyncSession,
    *,
    brands: Sequence[tuple[str, str | None]],
    verdicts: Sequence[Verdict],
) -> list[Verdict]:
    """Each verdict, heightened when its (tenant, brand) has an alert open; one query a batch."""
    wanted: Collection[tuple[str, str]] = {(t, b) for t, b in brands if b is not None}
    heightened = await repository.with_open_alerts(session, wanted)
    if not heightened:
        return list(verdicts)
    return [
        heighten(verdict) if (tenant_id, brand_id) in heightened else verdict
        for (tenant_id, brand_id), verdict in zip(brands, verdicts, strict=True)
    ]
