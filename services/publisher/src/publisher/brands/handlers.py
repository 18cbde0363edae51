"""Consumed bad-buzz alerts: each becomes a webhook, and an open one pauses its brand's queue
when the brand asked for it (pause_on_alert)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from beacon_shared.consumer import Consumer
from beacon_shared.contracts.analytics import AlertRaised, AlertResolved
from beacon_shared.contracts.topics import ALERT_RAISED, ALERT_RESOLVED
from beacon_shared.events import Envelope
from publisher.brands import service
from publisher.webhooks import service as webhooks

GROUP_ID = "publisher.alerts"


async def alert_raised(session: AsyncSession, envelope: Envelope) -> None:
    """Keep the alert (pausing the brand if it asked) and notify the tenant's endpoints."""
    alert = envelope.payload(AlertRaised)
    paused = await service.alert_raised(session, tenant_id=envelope.tenantid, alert=alert)
    await webhooks.notify(
        session,
        tenant_id=envelope.tenantid,
        event_type="alert.raised",
        data={**alert.model_dump(mode="json"), "publishing_paused": paused},
        brand_id=alert.brand_id,
    )


async def alert_resolved(session: AsyncSession, envelope: Envelope) -> None:
    """Close the alert (resuming the brand unless another keeps it paused) and notify."""
    alert = envelope.payload(AlertResolved)
    paused = await service.alert_resolved(session, tenant_id=envelope.tenantid, alert=alert)
    await webhooks.notify(
        session,
        tenant_id=envelope.tenantid,
        event_type="alert.resolved",
        data={**alert.model_dump(mode="json"), "publishing_paused": paused},
        brand_id=alert.brand_id,
    )


def alerts_consumer() -> Consumer:
    """The group turning analytics' bad-buzz alerts into webhooks and queue pauses."""
    return Consumer(
        group_id=GROUP_ID,
        topics=[ALERT_RAISED.name, ALERT_RESOLVED.name],
        handlers={
            AlertRaised.event_type: alert_raised,
            AlertResolved.event_type: alert_resolved,
        },
    )
